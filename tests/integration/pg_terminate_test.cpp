// The source ends the job's session mid-COPY (pg_terminate_backend from another session),
// against the stack's real PostgreSQL, in the two states a backend can be in:
//
// - computing rows (here: in pg_sleep): PostgreSQL sends ErrorResponse FATAL 57P01
//   "terminating connection due to administrator command" before closing. The error of
//   both COPY readers (pg::CopyTextReader and the engine's PgCopySource, which the job
//   uses) must carry that message and SQLSTATE, exit code 4.
// - blocked sending rows to a client that is not reading (wait_event ClientWrite):
//   PostgreSQL usually sends no reason at all (postgres.c, ProcessClientWriteInterrupt
//   sets whereToSendOutput = DestNone so as not to block again). The error must then say
//   that the server closed the connection and sent no reason, exit code 4.
//
// The expected words are PostgreSQL's own (errcodes.txt: 57P01 admin_shutdown; the
// message of ProcessInterrupts) and the server's state is read from pg_stat_activity, so
// neither depends on the code under test. Needs the local stack: CU_PG_CONNINFO, CU_PG_BIN.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "base/error.h"
#include "pg/connection.h"
#include "pg/copy_source.h"
#include "pg/copy_text_reader.h"
#include "stack_helpers.h"

namespace cu {
namespace {

using test::env;
using test::q;

constexpr const char* kServerReason = "terminating connection due to administrator command";

std::string psql_value(const std::string& sql) {
  std::string out = test::psql(" -At -c " + q(sql));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

// Waits (up to 30 s) until backend `pid` has shown `wait_event` with the same COPY progress
// (pg_stat_progress_copy.tuples_processed) `settle` times in a row, then terminates it
// from another session. Returns what happened, for the assertion message. Settling
// matters for ClientWrite: while the kernel still grows our receive buffer the backend
// goes in and out of its blocked write, and one that is between writes does send its
// reason; once the buffers are full and we read nothing, it stays blocked.
std::string terminate_when(int pid, const std::string& wait_event, int settle) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string id = std::to_string(pid);
  std::string seen, last;
  int same = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = psql_value(
        "select coalesce(a.wait_event, '-') || ' ' || coalesce(p.tuples_processed::text, '-') "
        "from pg_stat_activity a left join pg_stat_progress_copy p using (pid) where a.pid = " +
        id);
    same = seen.starts_with(wait_event + " ") && seen == last ? same + 1 : 1;
    if (!seen.starts_with(wait_event + " ")) {
      same = 0;
    }
    last = seen;
    if (same >= settle) {
      std::string t = psql_value("select pg_terminate_backend(" + id + ")");
      return t == "t" ? "terminated" : "pg_terminate_backend answered " + t;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(settle > 1 ? 200 : 50));
  }
  return "backend " + id + " never settled in wait_event " + wait_event + " (last: " + seen + ")";
}

class PgTerminate : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pg::Connection>(pg::parse_target(env("CU_PG_CONNINFO")));
    pid_ = PQbackendPID(conn_->raw());
    ASSERT_GT(pid_, 0);
  }

  std::unique_ptr<pg::Connection> conn_;
  int pid_ = 0;
};

// The backend is inside pg_sleep when it is terminated, so it is free to tell us why.
constexpr const char* kSleepingQuery = "select g, pg_sleep(60) from generate_series(1, 1) g";

TEST_F(PgTerminate, TextReaderCarriesTheServersReason) {
  std::string monitor;
  std::thread killer([&] { monitor = terminate_when(pid_, "PgSleep", 1); });
  try {
    pg::CopyTextReader reader(*conn_, kSleepingQuery);
    std::string_view row;
    while (reader.next(row)) {
    }
    killer.join();
    FAIL() << "the COPY ended normally; monitor: " << monitor;
  } catch (const Error& e) {
    killer.join();
    ASSERT_EQ(monitor, "terminated");
    std::string what = e.what();
    EXPECT_EQ(e.exit_code(), 4) << what;
    EXPECT_EQ(e.step(), "unload") << what;
    EXPECT_NE(what.find(kServerReason), std::string::npos) << what;
    EXPECT_NE(what.find("SQLSTATE 57P01"), std::string::npos) << what;
  }
}

TEST_F(PgTerminate, EngineCopySourceCarriesTheServersReason) {
  std::string monitor;
  std::thread killer([&] { monitor = terminate_when(pid_, "PgSleep", 1); });
  pg::PgCopySource source(*conn_);
  uint64_t chunks = 0;
  try {
    source.copy_out(std::string("COPY (") + kSleepingQuery + ") TO STDOUT",
                    [&](std::string_view) { ++chunks; });
    killer.join();
    FAIL() << "the COPY ended normally; monitor: " << monitor;
  } catch (const Error& e) {
    killer.join();
    ASSERT_EQ(monitor, "terminated");
    std::string what = e.what();
    EXPECT_EQ(e.exit_code(), 4) << what;
    EXPECT_EQ(e.resource(), source.describe_source()) << what;
    EXPECT_NE(what.find(kServerReason), std::string::npos) << what;
    EXPECT_NE(what.find("SQLSTATE 57P01"), std::string::npos) << what;
  }
  EXPECT_EQ(chunks, 0u);
}

// About 100 MB of rows: far more than the socket buffers, so the backend blocks in
// ClientWrite as soon as we stop reading.
constexpr const char* kLargeQuery = "select g, repeat('x', 1000) from generate_series(1, 100000) g";
constexpr const char* kNoReason =
    "the server closed the connection unexpectedly and sent no reason";

// One blocked-backend termination on a new session: the error's text (exit code, step and
// the two admissible forms are asserted here).
std::string terminate_blocked_copy() {
  pg::Connection conn(pg::parse_target(env("CU_PG_CONNINFO")));
  int pid = PQbackendPID(conn.raw());
  pg::CopyTextReader reader(conn, kLargeQuery);
  std::string_view row;
  EXPECT_TRUE(reader.next(row));  // streaming; now stop reading until the server blocks
  std::string monitor = terminate_when(pid, "ClientWrite", 3);
  EXPECT_EQ(monitor, "terminated");
  try {
    while (reader.next(row)) {
    }
    ADD_FAILURE() << "the COPY ended normally after " << reader.rows() << " rows";
    return {};
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_LT(reader.rows(), 100000u) << what;
    EXPECT_EQ(e.exit_code(), 4) << what;
    EXPECT_EQ(e.step(), "unload") << what;
    EXPECT_TRUE(what.find(kNoReason) != std::string::npos ||
                what.find(std::string(kServerReason) + " (SQLSTATE 57P01)") != std::string::npos)
        << what;
    // libpq's "terminated abnormally" guess (a crash) is not repeated.
    EXPECT_EQ(what.find("abnormally"), std::string::npos) << what;
    return what;
  }
}

// PostgreSQL usually sends nothing from a blocked write (about 4 times in 5 here; now and
// then the backend still gets its FATAL out, which the error then carries). Up to five
// sessions are terminated until one shows the no-reason case; each must give one of the
// two forms with exit code 4.
TEST(PgTerminateBlocked, NoReasonFromTheServerAndTheErrorSaysSo) {
  std::string seen;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string what = terminate_blocked_copy();
    if (::testing::Test::HasFailure()) {
      return;
    }
    if (what.find(kNoReason) != std::string::npos) {
      EXPECT_NE(what.find("pg_terminate_backend"), std::string::npos) << what;
      return;
    }
    seen += what + "\n";
  }
  FAIL() << "every blocked backend sent its reason; errors:\n" << seen;
}

TEST(LostWithoutReason, OnlyWhenLibpqReadNoServerMessage) {
  EXPECT_TRUE(pg::lost_without_reason(
      "server closed the connection unexpectedly This probably means the server terminated "
      "abnormally before or while processing the request."));
  EXPECT_FALSE(pg::lost_without_reason(
      "FATAL: terminating connection due to administrator command server closed the "
      "connection unexpectedly This probably means the server terminated abnormally"));
  EXPECT_FALSE(pg::lost_without_reason("could not receive data from server: Connection timed out"));
}

}  // namespace
}  // namespace cu
