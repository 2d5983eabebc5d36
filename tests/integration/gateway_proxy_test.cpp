// `crossunload gateway` between libpq/psql and the stack's PostgreSQL: ordinary traffic
// passes through unchanged (compared with the same statements sent directly), UNLOAD is
// answered as Redshift answers it, and sessions neither leak descriptors nor memory.
// Needs the local stack (scripts/test or scripts/with-stack): fails without it.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "gateway_support.h"

using namespace gwtest;

namespace {

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new StackEnv(stack_env());
    if (!env_->missing.empty()) return;
    dir_ =
        new fs::path(fs::temp_directory_path() / ("cu_gateway_test_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // Local-path UNLOADs below all write under dir_ (gateway_local_root_test.sh covers
    // the refusals).
    gw_ = new GatewayProcess(*env_, {"--local-root", dir_->string()}, *dir_ / "gateway.log");
    auto c = connect_direct(*env_);
    exec(c.get(),
         "drop table if exists gw_items; create table gw_items(id int primary key, name text, "
         "price numeric(8,2), note text); insert into gw_items select g, 'item ' || g, g * 1.5, "
         "case when g % 3 = 0 then null else 'n|' || g end from generate_series(1, 500) g");
  }
  static void TearDownTestSuite() {
    if (gw_) {
      int rc = gw_->stop();
      EXPECT_EQ(rc, 0) << "gateway exit status (leak or crash?); log:\n" << gw_->log();
      delete gw_;
      gw_ = nullptr;
    }
    if (dir_) {
      fs::remove_all(*dir_);
      delete dir_;
      dir_ = nullptr;
    }
  }
  void SetUp() override {
    ASSERT_TRUE(env_->missing.empty()) << missing_env_message(*env_);
    ASSERT_NE(gw_, nullptr);
  }

  Conn gw() {
    auto c = connect(*env_, gw_->port());
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
    return c;
  }
  fs::path fresh_dir(const std::string& name) {
    fs::path d = *dir_ / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }

  static StackEnv* env_;
  static fs::path* dir_;
  static GatewayProcess* gw_;
};

StackEnv* GatewayTest::env_ = nullptr;
fs::path* GatewayTest::dir_ = nullptr;
GatewayProcess* GatewayTest::gw_ = nullptr;

// Collects NoticeResponse texts (libpq's notice receiver).
struct Notices {
  std::mutex mu;
  std::vector<std::string> items;
  static void receive(void* self, const PGresult* r) {
    auto* n = static_cast<Notices*>(self);
    std::lock_guard lock(n->mu);
    const char* sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char* msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    n->items.push_back(std::string(sev ? sev : "") + ": " + (msg ? msg : ""));
  }
};

TEST_F(GatewayTest, OrdinaryQueriesReturnWhatPostgresReturns) {
  auto c = gw();
  auto d = connect_direct(*env_);
  for (const char* sql : {"select id, name, price, note from gw_items order by id",
                          "select count(*), sum(price), min(name) from gw_items",
                          "select current_user, current_database()", "select 1 where false",
                          "select array[1,2,null]::int[], '{\"a\":1}'::jsonb, 'x'::bytea"}) {
    auto a = exec(c.get(), sql);
    auto b = exec(d.get(), sql);
    ASSERT_EQ(PQresultStatus(a.get()), PGRES_TUPLES_OK) << sql << PQerrorMessage(c.get());
    ASSERT_EQ(PQntuples(a.get()), PQntuples(b.get())) << sql;
    ASSERT_EQ(PQnfields(a.get()), PQnfields(b.get())) << sql;
    for (int i = 0; i < PQntuples(a.get()); ++i) {
      for (int j = 0; j < PQnfields(a.get()); ++j) {
        ASSERT_EQ(PQgetisnull(a.get(), i, j), PQgetisnull(b.get(), i, j));
        ASSERT_STREQ(PQgetvalue(a.get(), i, j), PQgetvalue(b.get(), i, j)) << sql;
      }
    }
    for (int j = 0; j < PQnfields(a.get()); ++j) {
      EXPECT_STREQ(PQfname(a.get(), j), PQfname(b.get(), j));
      EXPECT_EQ(PQftype(a.get(), j), PQftype(b.get(), j));
    }
  }
  // An empty query and a multi-statement query.
  auto e = exec(c.get(), "");
  EXPECT_EQ(PQresultStatus(e.get()), PGRES_EMPTY_QUERY);
  EXPECT_EQ(one_value(c.get(), "select 1; select 2"), "2");
}

TEST_F(GatewayTest, ErrorsKeepTheirSqlstateAndTheSessionStaysUsable) {
  auto c = gw();
  auto r = exec(c.get(), "select 1/0");
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
  EXPECT_EQ(sqlstate(r.get()), "22012");
  r = exec(c.get(), "select * from no_such_table");
  EXPECT_EQ(sqlstate(r.get()), "42P01");
  r = exec(c.get(), "selec 1");
  EXPECT_EQ(sqlstate(r.get()), "42601");
  EXPECT_EQ(one_value(c.get(), "select 41 + 1"), "42");
}

TEST_F(GatewayTest, TransactionsCommitRollBackAndFail) {
  auto c = gw();
  exec(c.get(), "drop table if exists gw_tx; create table gw_tx(a int)");
  exec(c.get(), "begin");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_INTRANS);
  exec(c.get(), "insert into gw_tx values (1)");
  exec(c.get(), "rollback");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_IDLE);
  exec(c.get(), "begin; insert into gw_tx values (2); commit");
  exec(c.get(), "begin");
  exec(c.get(), "insert into gw_tx values (3)");
  auto r = exec(c.get(), "select 1/0");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_INERROR);
  r = exec(c.get(), "select 1");
  EXPECT_EQ(sqlstate(r.get()), "25P02");
  exec(c.get(), "rollback");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_IDLE);
  auto d = connect_direct(*env_);
  EXPECT_EQ(one_value(d.get(), "select string_agg(a::text, ',') from gw_tx"), "2");
}

TEST_F(GatewayTest, PreparedStatementsUseTheExtendedProtocol) {
  auto c = gw();
  Result p(
      PQprepare(c.get(), "by_id", "select name, price from gw_items where id = $1", 1, nullptr),
      PQclear);
  ASSERT_EQ(PQresultStatus(p.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  Result desc(PQdescribePrepared(c.get(), "by_id"), PQclear);
  EXPECT_EQ(PQnparams(desc.get()), 1);
  EXPECT_EQ(PQparamtype(desc.get(), 0), 23u);  // int4 (pg_type.dat)
  EXPECT_EQ(PQnfields(desc.get()), 2);
  for (int id : {7, 300}) {
    std::string v = std::to_string(id);
    const char* params[] = {v.c_str()};
    Result r(PQexecPrepared(c.get(), "by_id", 1, params, nullptr, nullptr, 0), PQclear);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(c.get());
    EXPECT_EQ(std::string(PQgetvalue(r.get(), 0, 0)), "item " + v);
  }
  // Unnamed statement with a binary result, and an error inside the extended protocol.
  const char* params[] = {"5"};
  Result r(PQexecParams(c.get(), "select id from gw_items where id = $1::int", 1, nullptr, params,
                        nullptr, nullptr, 1),
           PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  ASSERT_EQ(PQgetlength(r.get(), 0, 0), 4);
  EXPECT_EQ(std::string(PQgetvalue(r.get(), 0, 0), 4), std::string("\0\0\0\5", 4));
  const char* zero[] = {"0"};
  Result bad(PQexecParams(c.get(), "select 1/$1::int", 1, nullptr, zero, nullptr, nullptr, 0),
             PQclear);
  EXPECT_EQ(sqlstate(bad.get()), "22012");
  EXPECT_EQ(one_value(c.get(), "select 'still here'"), "still here");
  exec(c.get(), "deallocate by_id");
}

TEST_F(GatewayTest, CopyInAndOutPassThroughUnchanged) {
  auto c = gw();
  exec(c.get(), "drop table if exists gw_copy; create table gw_copy(a int, b text)");
  auto r = exec(c.get(), "copy gw_copy from stdin");
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_COPY_IN) << PQerrorMessage(c.get());
  std::string data;
  for (int i = 0; i < 20000; ++i) data += std::to_string(i) + "\tline " + std::to_string(i) + "\n";
  ASSERT_EQ(PQputCopyData(c.get(), data.data(), static_cast<int>(data.size())), 1);
  ASSERT_EQ(PQputCopyEnd(c.get(), nullptr), 1);
  Result done(PQgetResult(c.get()), PQclear);
  EXPECT_EQ(PQresultStatus(done.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  EXPECT_STREQ(PQcmdTuples(done.get()), "20000");
  while (PGresult* x = PQgetResult(c.get())) PQclear(x);
  auto d = connect_direct(*env_);
  std::string through = copy_out(c.get(), "copy (select * from gw_copy order by a) to stdout");
  std::string direct = copy_out(d.get(), "copy (select * from gw_copy order by a) to stdout");
  EXPECT_EQ(through, data);
  EXPECT_EQ(through, direct);
  std::string bin = copy_out(c.get(), "copy gw_items to stdout with (format binary)");
  EXPECT_EQ(bin, copy_out(d.get(), "copy gw_items to stdout with (format binary)"));
}

TEST_F(GatewayTest, CancelRequestCancelsASleep) {
  auto c = gw();
  ASSERT_EQ(PQsendQuery(c.get(), "select pg_sleep(10)"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  PGcancel* cancel = PQgetCancel(c.get());
  char err[256];
  EXPECT_EQ(PQcancel(cancel, err, sizeof err), 1) << err;
  PQfreeCancel(cancel);
  Result r(PQgetResult(c.get()), PQclear);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(sqlstate(r.get()), "57014");  // query_canceled
  EXPECT_LT(waited, std::chrono::seconds(5));
  while (PGresult* x = PQgetResult(c.get())) PQclear(x);
  EXPECT_EQ(one_value(c.get(), "select 'after cancel'"), "after cancel");
}

TEST_F(GatewayTest, CancelRequestStopsAnUnloadAndLeavesNoFile) {
  auto c = gw();
  fs::path out = fresh_dir("cancel_unload");
  std::string sql = "unload ('select pg_sleep(10)') to '" + (out / "s_").string() + "'";
  ASSERT_EQ(PQsendQuery(c.get(), sql.c_str()), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  PGcancel* cancel = PQgetCancel(c.get());
  char err[256];
  EXPECT_EQ(PQcancel(cancel, err, sizeof err), 1) << err;
  PQfreeCancel(cancel);
  Result r(PQgetResult(c.get()), PQclear);
  EXPECT_EQ(sqlstate(r.get()), "57014") << PQerrorMessage(c.get());
  while (PGresult* x = PQgetResult(c.get())) PQclear(x);
  EXPECT_FALSE(fs::exists(out / "s_0000_part_00"));
  EXPECT_EQ(one_value(c.get(), "select pg_last_unload_count()"), "0");
  EXPECT_EQ(one_value(c.get(), "select 'after cancel'"), "after cancel");
}

TEST_F(GatewayTest, SslIsDeclinedAndThePlainConnectionWorks) {
  auto c = connect(*env_, gw_->port(), "sslmode=prefer");
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  EXPECT_EQ(PQsslInUse(c.get()), 0);
  EXPECT_EQ(one_value(c.get(), "select 1"), "1");
  auto required = connect(*env_, gw_->port(), "sslmode=require");
  EXPECT_NE(PQstatus(required.get()), CONNECTION_OK);
  EXPECT_NE(std::string(PQerrorMessage(required.get())).find("SSL"), std::string::npos)
      << PQerrorMessage(required.get());
}

TEST_F(GatewayTest, TlsIsAcceptedWithACertificate) {
  fs::path d = fresh_dir("tls");
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
      "-keyout " +
      (d / "key.pem").string() + " -out " + (d / "cert.pem").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
  GatewayProcess tls(*env_,
                     {"--tls-cert", (d / "cert.pem").string(), "--tls-key",
                      (d / "key.pem").string(), "--local-root", dir_->string()},
                     d / "gateway.log");
  auto c = connect(*env_, tls.port(), "sslmode=require");
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get()) << tls.log();
  EXPECT_EQ(PQsslInUse(c.get()), 1);
  EXPECT_EQ(one_value(c.get(), "select count(*) from gw_items"), "500");
  fs::path out = fresh_dir("tls_unload");
  auto r = exec(c.get(), "unload ('select id from gw_items where id <= 3 order by id') to '" +
                             (out / "ids_").string() + "'");
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  EXPECT_EQ(read_file(out / "ids_0000_part_00"), "1\n2\n3\n");
  c.reset();
  EXPECT_EQ(tls.stop(), 0) << tls.log();
}

TEST_F(GatewayTest, VersionIdentifiesARedshiftCompatibleServer) {
  auto c = gw();
  std::string v = one_value(c.get(), "select version()");
  // Spec 8.2: Redshift is detected by "Redshift " after the last comma.
  auto comma = v.rfind(',');
  ASSERT_NE(comma, std::string::npos) << v;
  EXPECT_EQ(v.substr(comma), ", Redshift 1.0.0") << v;
  EXPECT_EQ(v.rfind("PostgreSQL 8.0.2 on ", 0), 0u) << v;
  EXPECT_NE(v.find("crossunload-gateway"), std::string::npos) << v;
  EXPECT_EQ(one_value(c.get(), "  SELECT  VERSION ( ) ;"), v);
  auto d = connect_direct(*env_);
  EXPECT_EQ(one_value(d.get(), "select version()").find("Redshift"), std::string::npos);
  // Other uses of version() still reach PostgreSQL.
  EXPECT_EQ(one_value(c.get(), "select version() like 'PostgreSQL 15%'"), "t");
}

TEST_F(GatewayTest, UnloadThroughPsqlReturnsTheInfoNoticeAndTagAndWritesTheFile) {
  fs::path out = fresh_dir("psql_unload");
  std::string sql =
      "unload ('select * from gw_items where note <> ''n|7'' or note is null "
      "order by id') to '" +
      (out / "items_").string() + "' parallel off";
  auto run =
      psql(*env_, gw_->port(), {"-c", sql, "-c", "select pg_last_unload_count()", "-At"}, "", out);
  ASSERT_EQ(run.rc, 0) << run.err;
  auto d = connect_direct(*env_);
  std::string n =
      one_value(d.get(), "select count(*) from gw_items where note <> 'n|7' or note is null");
  EXPECT_EQ(run.out, "UNLOAD\n" + n + "\n");
  EXPECT_EQ(run.err, "INFO:  UNLOAD completed, " + n + " record(s) unloaded successfully.\n");
  // Redshift's default text (spec 5.1), spelled out by PostgreSQL: fields joined by '|',
  // NULL as an empty field, nothing escaped without ESCAPE, LF after every row.
  std::string expected = one_value(
      d.get(),
      "select string_agg(concat_ws('|', id, name, price, coalesce(note, '')), E'\\n' order by "
      "id) || E'\\n' from gw_items where note <> 'n|7' or note is null");
  EXPECT_EQ(read_file(out / "items_000"), expected);
  EXPECT_NE(gw_->log().find("gateway unload client=127.0.0.1:"), std::string::npos);
}

TEST_F(GatewayTest, UnloadThroughTheExtendedProtocol) {
  auto c = gw();
  Notices notices;
  PQsetNoticeReceiver(c.get(), &Notices::receive, &notices);
  fs::path out = fresh_dir("extended_unload");
  std::string sql =
      "UNLOAD ('select id, name from gw_items where id <= 10 order by "
      "id') TO '" +
      (out / "x_").string() + "' CSV HEADER PARALLEL OFF";
  Result p(PQprepare(c.get(), "u1", sql.c_str(), 0, nullptr), PQclear);
  ASSERT_EQ(PQresultStatus(p.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  Result desc(PQdescribePrepared(c.get(), "u1"), PQclear);
  EXPECT_EQ(PQnfields(desc.get()), 0);  // no result set, as on Redshift
  Result r(PQexecPrepared(c.get(), "u1", 0, nullptr, nullptr, nullptr, 0), PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  EXPECT_STREQ(PQcmdStatus(r.get()), "UNLOAD");
  ASSERT_EQ(notices.items.size(), 1u);
  EXPECT_EQ(notices.items[0], "INFO: UNLOAD completed, 10 record(s) unloaded successfully.");
  auto d = connect_direct(*env_);
  EXPECT_EQ(read_file(out / "x_000"),
            copy_out(d.get(),
                     "copy (select id, name from gw_items where id <= 10 order by id) "
                     "to stdout with (format csv, header)"));
  // pg_last_unload_count() through the extended protocol too.
  Result cnt(PQexecParams(c.get(), "select pg_last_unload_count()", 0, nullptr, nullptr, nullptr,
                          nullptr, 0),
             PQclear);
  ASSERT_EQ(PQresultStatus(cnt.get()), PGRES_TUPLES_OK) << PQerrorMessage(c.get());
  EXPECT_STREQ(PQgetvalue(cnt.get(), 0, 0), "10");
  EXPECT_EQ(PQftype(cnt.get(), 0), 20u);  // int8, as Redshift's BIGINT
  // Unnamed statement, in a pipeline with an ordinary query before and after.
  fs::path out2 = fresh_dir("extended_unload_2");
  std::string sql2 = "unload ('select 1') to '" + (out2 / "one_").string() + "'";
  Result u(PQexecParams(c.get(), sql2.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), PQclear);
  EXPECT_STREQ(PQcmdStatus(u.get()), "UNLOAD") << PQerrorMessage(c.get());
  EXPECT_EQ(read_file(out2 / "one_0000_part_00"), "1\n");
  // A client asking for binary results (as JDBC does for int8) gets int8's binary form.
  Result bin(PQexecParams(c.get(), "select pg_last_unload_count()", 0, nullptr, nullptr, nullptr,
                          nullptr, 1),
             PQclear);
  ASSERT_EQ(PQresultStatus(bin.get()), PGRES_TUPLES_OK) << PQerrorMessage(c.get());
  EXPECT_EQ(PQfformat(bin.get(), 0), 1);
  ASSERT_EQ(PQgetlength(bin.get(), 0, 0), 8);
  EXPECT_EQ(std::string(PQgetvalue(bin.get(), 0, 0), 8), std::string("\0\0\0\0\0\0\0\1", 8));
}

TEST_F(GatewayTest, UnloadInsideAPipelineIsAnsweredInOrder) {
  auto c = gw();
  fs::path out = fresh_dir("pipeline");
  std::string u1 = "unload ('select 7') to '" + (out / "p1_").string() + "'";
  ASSERT_EQ(PQenterPipelineMode(c.get()), 1);
  ASSERT_EQ(PQsendQueryParams(c.get(), "select 1", 0, nullptr, nullptr, nullptr, nullptr, 0), 1);
  ASSERT_EQ(PQsendQueryParams(c.get(), u1.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), 1);
  ASSERT_EQ(PQsendQueryParams(c.get(), "select 2", 0, nullptr, nullptr, nullptr, nullptr, 0), 1);
  ASSERT_EQ(PQpipelineSync(c.get()), 1);
  // A batch whose first statement fails: the backend skips to Sync, and so must the UNLOAD.
  std::string u2 = "unload ('select 8') to '" + (out / "p2_").string() + "'";
  ASSERT_EQ(PQsendQueryParams(c.get(), "select 1/0", 0, nullptr, nullptr, nullptr, nullptr, 0), 1);
  ASSERT_EQ(PQsendQueryParams(c.get(), u2.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), 1);
  ASSERT_EQ(PQpipelineSync(c.get()), 1);
  std::vector<std::string> got;
  int syncs = 0;
  while (syncs < 2) {
    PGresult* r = PQgetResult(c.get());
    if (!r) continue;  // end of one query's results
    switch (PQresultStatus(r)) {
      case PGRES_TUPLES_OK:
        got.push_back(std::string("rows ") + PQgetvalue(r, 0, 0));
        break;
      case PGRES_COMMAND_OK:
        got.push_back(PQcmdStatus(r));
        break;
      case PGRES_FATAL_ERROR:
        got.push_back("error " + sqlstate(r));
        break;
      case PGRES_PIPELINE_ABORTED:
        got.push_back("aborted");
        break;
      case PGRES_PIPELINE_SYNC:
        got.push_back("sync");
        ++syncs;
        break;
      default:
        got.push_back(PQresStatus(PQresultStatus(r)));
    }
    PQclear(r);
  }
  ASSERT_EQ(PQexitPipelineMode(c.get()), 1);
  EXPECT_EQ(got, (std::vector<std::string>{"rows 1", "UNLOAD", "rows 2", "sync", "error 22012",
                                           "aborted", "sync"}));
  EXPECT_EQ(read_file(out / "p1_0000_part_00"), "7\n");
  EXPECT_FALSE(fs::exists(out / "p2_0000_part_00"));
  EXPECT_EQ(one_value(c.get(), "select pg_last_unload_count()"), "1");
}

TEST_F(GatewayTest, PsqlCopyFromStdinPassesThrough) {
  fs::path d = fresh_dir("psql_copy");
  auto run = psql(*env_, gw_->port(), {"-v", "ON_ERROR_STOP=1", "-At"},
                  "drop table if exists gw_psql_copy;\n"
                  "create table gw_psql_copy(a int, b text);\n"
                  "copy gw_psql_copy from stdin;\n1\tone\n2\t\\N\n3\tthree\n\\.\n"
                  "select count(*), count(b) from gw_psql_copy;\n"
                  "copy (select * from gw_psql_copy order by a) to stdout;\n",
                  d);
  ASSERT_EQ(run.rc, 0) << run.err;
  EXPECT_EQ(run.out, "DROP TABLE\nCREATE TABLE\nCOPY 3\n3|2\n1\tone\n2\t\\N\n3\tthree\n");
}

TEST_F(GatewayTest, UnloadSeesTheClientsOwnTransaction) {
  auto c = gw();
  fs::path out = fresh_dir("tx_unload");
  exec(c.get(), "begin");
  exec(c.get(), "create temp table gw_tmp as select 1 as a union all select 2");
  auto r = exec(c.get(),
                "unload ('select a from gw_tmp order by a') to '" + (out / "t_").string() + "'");
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_INTRANS);
  EXPECT_EQ(read_file(out / "t_0000_part_00"), "1\n2\n");
  // The gateway's own prepared statement is closed again: the session is left as it was.
  EXPECT_EQ(one_value(c.get(), "select count(*) from pg_prepared_statements"), "0");
  exec(c.get(), "commit");
}

TEST_F(GatewayTest, UnloadErrorsCarryASqlstateAndKeepTheSessionUsable) {
  auto c = gw();
  fs::path out = fresh_dir("bad_unload");
  std::string to = (out / "e_").string();
  // Syntax (parsed by the gateway): 42601, count unchanged.
  exec(c.get(), "unload ('select 1') to '" + to + "ok_'");
  auto r = exec(c.get(), "unload 'select 1' to '" + to + "'");
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
  EXPECT_EQ(sqlstate(r.get()), "42601") << PQerrorMessage(c.get());
  EXPECT_EQ(one_value(c.get(), "select pg_last_unload_count()"), "1");
  // The select fails in PostgreSQL: its own SQLSTATE; count 0 (failed during the unload).
  r = exec(c.get(), "unload ('select * from no_such_table') to '" + to + "'");
  EXPECT_EQ(sqlstate(r.get()), "42P01") << PQerrorMessage(c.get());
  EXPECT_NE(std::string(PQerrorMessage(c.get())).find("no_such_table"), std::string::npos);
  EXPECT_EQ(one_value(c.get(), "select pg_last_unload_count()"), "0");
  // Destination already written, no ALLOWOVERWRITE: 58030.
  exec(c.get(), "unload ('select 2') to '" + to + "x_'");
  r = exec(c.get(), "unload ('select 3') to '" + to + "x_'");
  EXPECT_EQ(sqlstate(r.get()), "58030") << PQerrorMessage(c.get());
  EXPECT_EQ(read_file(out / "e_x_0000_part_00"), "2\n");
  EXPECT_EQ(one_value(c.get(), "select 'usable'"), "usable");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_IDLE);
  // Inside a transaction block an error fails the transaction, upstream too.
  exec(c.get(), "begin");
  r = exec(c.get(), "unload ('select 1/0') to '" + to + "z_'");
  EXPECT_EQ(sqlstate(r.get()), "22012");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_INERROR);
  exec(c.get(), "rollback");
  exec(c.get(), "begin");
  r = exec(c.get(), "unload ('select 1') to '" + to + "x_'");  // exists: ours, not PG's
  EXPECT_EQ(sqlstate(r.get()), "58030");
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_INERROR);
  r = exec(c.get(), "select 1");
  EXPECT_EQ(sqlstate(r.get()), "25P02");  // PostgreSQL agrees the transaction is aborted
  exec(c.get(), "rollback");
  EXPECT_EQ(one_value(c.get(), "select 'after rollback'"), "after rollback");
}

TEST_F(GatewayTest, DisconnectsEndSessionsWithoutLeakingDescriptors) {
  int base = gw_->wait_fd_count(0, 2);
  {
    auto c = gw();
    auto d = connect_direct(*env_);
    std::string pid = one_value(c.get(), "select pg_backend_pid()");
    // The upstream ends the session: the client sees the connection go.
    exec(d.get(), "select pg_terminate_backend(" + pid + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto r = exec(c.get(), "select 1");
    EXPECT_NE(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  }
  {
    // A client that goes away mid-query, without Terminate.
    auto c = gw();
    PQsendQuery(c.get(), "select pg_sleep(0.5)");
    ::shutdown(PQsocket(c.get()), SHUT_RDWR);
  }
  for (int i = 0; i < 5; ++i) {
    auto c = gw();  // clean Terminate
    EXPECT_EQ(one_value(c.get(), "select 1"), "1");
  }
  EXPECT_EQ(gw_->wait_fd_count(base), base) << "descriptors left open after sessions ended";
  EXPECT_NE(gw_->log().find("gateway session client=127.0.0.1:"), std::string::npos);
}

TEST_F(GatewayTest, SixteenClientsAtOnceWithoutGrowth) {
  fs::path out = fresh_dir("concurrent");
  int port = 0;
  auto round = [&](int r) {
    std::atomic<int> failures{0}, statements{0};
    std::vector<std::thread> clients;
    for (int k = 0; k < 16; ++k) {
      clients.emplace_back([&, k] {
        auto c = connect(*env_, port);
        if (PQstatus(c.get()) != CONNECTION_OK) {
          ++failures;
          return;
        }
        for (int i = 0; i < 63; ++i) {
          ++statements;
          if (i % 8 == 0) {
            std::string to = (out / ("r" + std::to_string(r) + "_c" + std::to_string(k) + "_" +
                                     std::to_string(i) + "_"))
                                 .string();
            auto res = exec(c.get(), "unload ('select id, name from gw_items where id % 16 = " +
                                         std::to_string(k) + "') to '" + to + "'");
            if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) ++failures;
          } else {
            auto res =
                exec(c.get(), "select count(*) from gw_items where id % 16 = " + std::to_string(k));
            if (PQresultStatus(res.get()) != PGRES_TUPLES_OK ||
                std::string(PQgetvalue(res.get(), 0, 0)) != (k == 0   ? "31"
                                                             : k <= 4 ? "32"
                                                                      : "31"))
              ++failures;
          }
        }
      });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(statements.load(), 1008);
  };
  // A gateway of its own: AddressSanitizer's quarantine (freed memory held back to catch
  // use-after-free) and its lazy return of free pages to the system move RSS by megabytes
  // from round to round; without them RSS follows what the gateway holds.
  fs::path log = out / "gateway.log";
  GatewayProcess gw(*env_, {"--local-root", out.string()}, log,
                    "quarantine_size_mb=0:allocator_release_to_os_interval_ms=0");
  port = gw.port();
  int fd0 = gw.wait_fd_count(0, 2);
  round(0);  // warm-up: thread stacks, allocator arenas, the engine's buffers
  round(1);
  // Ten rounds of 16 sessions and 1008 statements. Allocator caches move RSS up and down
  // from one round to the next by up to a few MB (ASan build: under 7 MB summed over ten
  // rounds; release build: about 1 MB); a leak moves it one way every round. The sum stays
  // under 16 MB unless something is kept per statement (1.6 kB or more) or per session
  // (100 kB or more: a buffer, a thread). Unreachable leaks of any size fail the exit status
  // (LeakSanitizer).
  long rss0 = gw.rss_kb(), rss = rss0;
  std::vector<long> growth;
  for (int r = 2; r < 12; ++r) {
    round(r);
    EXPECT_EQ(gw.wait_fd_count(fd0), fd0) << "descriptors left open after round " << r;
    long now = gw.rss_kb();
    growth.push_back(now - rss);
    rss = now;
  }
  std::string per_round;
  for (long g : growth) per_round += " " + std::to_string(g);
  std::printf("gateway fds %d, VmRSS %ld kB -> %ld kB; growth per round (kB):%s\n", fd0, rss0, rss,
              per_round.c_str());
  EXPECT_LT(rss - rss0, 16 * 1024)
      << "RSS grew by " << rss - rss0 << " kB over ten rounds:" << per_round;
  EXPECT_EQ(gw.stop(), 0) << "gateway exit status (leak or crash?); log:\n" << read_file(log);
  int files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(out)) ++files;
  EXPECT_EQ(files, 12 * 16 * 8 + 1);  // and gateway.log
}

}  // namespace
