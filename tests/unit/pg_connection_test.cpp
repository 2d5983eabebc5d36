// The parts of pg::Connection that need no server: conninfo parsing, secrets, server
// detection and the classification of libpq's connection failures.
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/error.h"
#include "base/redact.h"
#include "pg/connection.h"

namespace cu::pg {
namespace {

TEST(ParseTarget, ConninfoAndUrl) {
  Target t = parse_target("host=db.example port=5439 dbname=dev user=etl");
  EXPECT_EQ(t.describe(), "db.example:5439/dev");
  EXPECT_EQ(t.user, "etl");
  EXPECT_FALSE(t.password_in_conninfo);

  Target u = parse_target("postgresql://etl:s3cr3t-pw@127.0.0.1:6543/tickit");
  EXPECT_EQ(u.describe(), "127.0.0.1:6543/tickit");
  EXPECT_TRUE(u.password_in_conninfo);
  EXPECT_EQ(redact("pw is s3cr3t-pw"), "pw is ***");
}

TEST(ParseTarget, PasswordKeywordIsRegistered) {
  parse_target("host=h password='kv pass;word' dbname=d");
  EXPECT_EQ(redact("x kv pass;word y"), "x *** y");
}

TEST(ParseTarget, MalformedIsUsageErrorWithoutEchoingThePassword) {
  try {
    parse_target("postgresql://u:hunter2-pw@host:notaport/db");
    FAIL() << "accepted a bad port";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(std::string(e.what()).find("hunter2-pw"), std::string::npos) << e.what();
  }
  try {
    parse_target("host=h dbname");
    FAIL() << "accepted a bad conninfo";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
  }
}

TEST(DetectServer, RedshiftByItsVersionSuffix) {
  // docs/redshift-unload.md#s8.2
  EXPECT_EQ(detect_server("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) "
                          "3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.12103"),
            ServerKind::kRedshift);
  EXPECT_EQ(detect_server("PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu, "
                          "compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit"),
            ServerKind::kPostgres);
}

TEST(ClassifyConnectFailure, AuthenticationIsAccess) {
  EXPECT_EQ(classify_connect_failure("connection to server at \"127.0.0.1\", port 5432 failed: "
                                     "FATAL:  password authentication failed for user \"cu\""),
            ErrorKind::kAccess);
  EXPECT_EQ(classify_connect_failure("fe_sendauth: no password supplied"), ErrorKind::kAccess);
  EXPECT_EQ(classify_connect_failure("FATAL:  role \"nobody\" does not exist"), ErrorKind::kAccess);
  EXPECT_EQ(classify_connect_failure("connection to server at \"127.0.0.1\", port 1 failed: "
                                     "Connection refused"),
            ErrorKind::kSource);
  EXPECT_EQ(classify_connect_failure("FATAL:  database \"nope\" does not exist"),
            ErrorKind::kSource);
}

TEST(OneLine, CollapsesLibpqMessages) {
  EXPECT_EQ(one_line("a failed: Connection refused\n\tIs the server running?\n"),
            "a failed: Connection refused Is the server running?");
}

}  // namespace
}  // namespace cu::pg
