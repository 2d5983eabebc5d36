// The UnloadExecutor seam, in process: an executor passed in GatewayOptions::executors
// gets the statement, the session's user and database, and the client's own upstream
// session, on which describe() and copy_out() run inside the client's transaction.
// Needs the local stack (scripts/test or scripts/with-stack): fails without it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "base/error.h"
#include "base/redact.h"
#include "gateway/gateway.h"
#include "gateway/unload_executor.h"
#include "gateway_support.h"

using namespace gwtest;
namespace gw = cu::gateway;

namespace {

// What the test executor saw, for the test to check.
struct Seen {
  std::string statement, user, database;
  std::vector<cu::pg::wire::Column> columns;
  std::string copy_bytes;
  std::size_t secret_forms_while_running = 0;
};

class RecordingExecutor : public gw::UnloadExecutor {
 public:
  explicit RecordingExecutor(Seen& seen) : seen_(seen) {}
  std::uint64_t execute(std::string_view statement, const gw::SessionInfo& session,
                        gw::UpstreamSession& upstream) override {
    seen_.statement = std::string(statement);
    seen_.user = session.user;
    seen_.database = session.database;
    if (statement.find("fail in sink") != std::string_view::npos) {
      // The sink fails while COPY data is arriving: the rest is drained, the error returns.
      upstream.copy_out(
          "COPY (select g from generate_series(1, 100000) g) TO STDOUT", [](std::string_view) {
            throw cu::Error(cu::ErrorKind::kDestination, "upload", "s3://bucket/key", "disk full");
          });
    }
    if (auto at = statement.find("key="); at != std::string_view::npos) {
      // As the engine's executor does with a statement's CREDENTIALS: the key is registered
      // as a secret, and an error that quotes it reaches the client hidden.
      std::string key(statement.substr(at + 4, 24));
      cu::register_secret(key);
      seen_.secret_forms_while_running = cu::registered_secret_forms();
      throw cu::Error(cu::ErrorKind::kAccess, "assume role", "", "key " + key + " refused");
    }
    if (statement.find("access") != std::string_view::npos) {
      throw cu::Error(cu::ErrorKind::kAccess, "assume role", "arn:aws:iam::222222222222:role/Nope",
                      "not authorized to assume role");
    }
    seen_.columns = upstream.describe("select id, name, price from gw_exec order by id");
    seen_.copy_bytes.clear();
    return upstream.copy_out(
        "COPY (select id, name, price from gw_exec order by id) TO STDOUT WITH (FORMAT binary)",
        [&](std::string_view chunk) { seen_.copy_bytes.append(chunk); });
  }

 private:
  Seen& seen_;
};

class GatewayExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = stack_env();
    ASSERT_TRUE(env_.missing.empty()) << missing_env_message(env_);
    gw::GatewayOptions o;
    o.executors = [this] { return std::make_unique<RecordingExecutor>(seen_); };
    o.listen_port = "0";
    o.upstream = gw::parse_upstream("host=" + env_.host + " port=" + env_.port);
    gateway_ = std::make_unique<gw::Gateway>(o);
    server_ = std::thread([this] { gateway_->serve(); });
  }
  void TearDown() override {
    if (gateway_) {
      gateway_->stop();
      server_.join();
      EXPECT_EQ(gateway_->active_sessions(), 0);
    }
  }

  StackEnv env_;
  Seen seen_;
  std::unique_ptr<gw::Gateway> gateway_;
  std::thread server_;
};

TEST_F(GatewayExecutorTest, DescribeAndBinaryCopyRunInTheClientsTransaction) {
  auto c = connect(env_, gateway_->port());
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  exec(c.get(), "begin");
  exec(c.get(),
       "create temp table gw_exec(id int, name varchar(20), price numeric(6,2)); "
       "insert into gw_exec values (1, 'a', 1.50), (2, null, 2.25)");
  auto r = exec(c.get(), "UNLOAD ('select 1') TO 's3://bucket/p_' IAM_ROLE default");
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  EXPECT_EQ(seen_.statement, "UNLOAD ('select 1') TO 's3://bucket/p_' IAM_ROLE default");
  EXPECT_EQ(seen_.user, env_.user);
  EXPECT_EQ(seen_.database, env_.database);
  ASSERT_EQ(seen_.columns.size(), 3u);
  EXPECT_EQ(seen_.columns[0].name, "id");
  EXPECT_EQ(seen_.columns[0].type_oid, 23u);    // int4 (pg_type.dat)
  EXPECT_EQ(seen_.columns[1].type_oid, 1043u);  // varchar
  EXPECT_EQ(seen_.columns[1].type_mod, 24);     // 20 + VARHDRSZ
  EXPECT_EQ(seen_.columns[2].type_oid, 1700u);  // numeric
  // The binary COPY signature from the PostgreSQL documentation (COPY, "Binary Format").
  ASSERT_GE(seen_.copy_bytes.size(), 11u);
  EXPECT_EQ(seen_.copy_bytes.substr(0, 11), std::string("PGCOPY\n\xff\r\n\0", 11));
  // The same bytes as COPY gives directly in this transaction.
  EXPECT_EQ(seen_.copy_bytes,
            copy_out(c.get(),
                     "copy (select id, name, price from gw_exec order by id) to stdout "
                     "with (format binary)"));
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_INTRANS);
  EXPECT_EQ(one_value(c.get(), "select pg_last_unload_count()"), "2");
  exec(c.get(), "rollback");
}

TEST_F(GatewayExecutorTest, ExecutorErrorsBecomeSqlstatesAndTheStreamStaysInStep) {
  auto c = connect(env_, gateway_->port());
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  auto r = exec(c.get(), "unload ('select 1') to 's3://b/k' iam_role 'access'");
  EXPECT_EQ(sqlstate(r.get()), "42501");
  std::string msg = PQerrorMessage(c.get());
  EXPECT_NE(msg.find("not authorized to assume role"), std::string::npos) << msg;
  EXPECT_NE(msg.find("arn:aws:iam::222222222222:role/Nope"), std::string::npos) << msg;
  r = exec(c.get(), "unload ('fail in sink') to 's3://b/k'");
  EXPECT_EQ(sqlstate(r.get()), "58030");
  EXPECT_NE(std::string(PQerrorMessage(c.get())).find("disk full"), std::string::npos);
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_IDLE);
  EXPECT_EQ(one_value(c.get(), "select 'in step'"), "in step");
}

TEST_F(GatewayExecutorTest, AStatementsSecretsAreHiddenWhileItRunsAndForgottenAfter) {
  auto c = connect(env_, gateway_->port());
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  std::size_t before = cu::registered_secret_forms();
  for (int i = 0; i < 200; ++i) {
    std::string key = fmt::format("Stmt{:04d}-secret-access-k", i);
    ASSERT_EQ(key.size(), 24u);
    auto r = exec(c.get(), "unload ('select 1') to 's3://b/k' credentials 'key=" + key + "'");
    EXPECT_EQ(sqlstate(r.get()), "42501");
    std::string msg = PQerrorMessage(c.get());
    EXPECT_NE(msg.find("key *** refused"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(key), std::string::npos) << msg;
    EXPECT_EQ(seen_.secret_forms_while_running, before + 1);
  }
  // 200 statements, each with its own key: the registry is as it was before them.
  EXPECT_EQ(cu::registered_secret_forms(), before);
}

TEST_F(GatewayExecutorTest, WithoutAnInstalledExecutorUnloadIsRefusedAndNothingRuns) {
  gw::GatewayOptions o;  // no executors
  o.listen_port = "0";
  o.upstream = gw::parse_upstream("host=" + env_.host + " port=" + env_.port);
  gw::Gateway bare(o);
  std::thread server([&] { bare.serve(); });
  auto c = connect(env_, bare.port());
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  auto r = exec(c.get(), "unload ('select 1') to '/tmp/never_'");
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
  std::string msg = PQerrorMessage(c.get());
  EXPECT_NE(msg.find("no UNLOAD executor installed"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists("/tmp/never_000"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/never_0000_part_00"));
  EXPECT_EQ(one_value(c.get(), "select 'in step'"), "in step");
  c.reset();
  bare.stop();
  server.join();
}

}  // namespace
