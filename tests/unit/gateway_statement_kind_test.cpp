// Which statements the gateway answers itself, and the version text clients use to
// detect a Redshift-compatible server (docs/redshift-unload.md#s8.2).
#include <gtest/gtest.h>

#include "gateway/statement_kind.h"

using cu::gateway::classify;
using cu::gateway::StatementKind;

TEST(GatewayStatementKind, FindsUnloadAfterBlanksAndComments) {
  EXPECT_EQ(classify("unload ('select 1') to 's3://b/p'"), StatementKind::kUnload);
  EXPECT_EQ(classify("  \n\tUNLOAD('select 1') TO 's3://b/p'"), StatementKind::kUnload);
  EXPECT_EQ(classify("-- nightly export\nUnLoad ('x') to 'y'"), StatementKind::kUnload);
  EXPECT_EQ(classify("/* a /* nested */ comment */ unload ('x') to 'y'"), StatementKind::kUnload);
}

TEST(GatewayStatementKind, LeavesEverythingElseToPostgres) {
  EXPECT_EQ(classify("select 'unload ()'"), StatementKind::kPassThrough);
  EXPECT_EQ(classify("unloaded_rows"), StatementKind::kPassThrough);
  EXPECT_EQ(classify("select * from unload"), StatementKind::kPassThrough);
  EXPECT_EQ(classify("-- unload\nselect 1"), StatementKind::kPassThrough);
  EXPECT_EQ(classify("/* unterminated unload"), StatementKind::kPassThrough);
  EXPECT_EQ(classify(""), StatementKind::kPassThrough);
  EXPECT_EQ(classify("select version() like 'x%'"), StatementKind::kPassThrough);
  EXPECT_EQ(classify("select version(); select 1"), StatementKind::kPassThrough);
  EXPECT_EQ(classify("select pg_last_unload_count() + 1"), StatementKind::kPassThrough);
}

TEST(GatewayStatementKind, AnswersTheTwoSessionFunctions) {
  EXPECT_EQ(classify("select version()"), StatementKind::kVersion);
  EXPECT_EQ(classify("SELECT  Version ( ) ;"), StatementKind::kVersion);
  EXPECT_EQ(classify("select pg_catalog.version();"), StatementKind::kVersion);
  EXPECT_EQ(classify("/* probe */ select version()"), StatementKind::kVersion);
  EXPECT_EQ(classify("select pg_last_unload_count()"), StatementKind::kLastUnloadCount);
  EXPECT_EQ(classify("SELECT PG_LAST_UNLOAD_COUNT();"), StatementKind::kLastUnloadCount);
}

TEST(GatewayStatementKind, VersionTextIsDetectedAsRedshift) {
  std::string v = cu::gateway::version_text("15.20 (Debian 15.20-0+deb12u1)");
  EXPECT_EQ(v.rfind("PostgreSQL 8.0.2 on ", 0), 0u) << v;
  // Spec 8.2: "Redshift " after the last comma.
  auto comma = v.rfind(',');
  ASSERT_NE(comma, std::string::npos);
  EXPECT_EQ(v.substr(comma), ", Redshift 1.0.0");
  EXPECT_NE(v.find("crossunload-gateway"), std::string::npos);
  EXPECT_NE(v.find("over PostgreSQL 15.20,"), std::string::npos) << v;
}
