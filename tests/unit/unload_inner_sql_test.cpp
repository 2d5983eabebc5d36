// to_postgres_sql(): Redshift literal semantics (docs/redshift-unload.md#s2.1, #s2.4) carried to
// PostgreSQL. Expected texts are derived by hand from the two dialects' rules: E'…' doubles `\` and
// `'`.
#include <gtest/gtest.h>

#include "base/error.h"
#include "unload/inner_sql.h"

namespace {

using cu::unload::to_postgres_sql;

TEST(InnerSql, LiteralsBecomeEscapeStringsWithTheSameValue) {
  EXPECT_EQ(to_postgres_sql("select * from venue where venuestate = 'NV'"),
            "select * from venue where venuestate = E'NV'");
  // '\\' is one backslash on Redshift (docs/redshift-unload.md#s2.3 row 5).
  EXPECT_EQ(to_postgres_sql(R"(select replace(path, '\\', '/') from f)"),
            R"(select replace(path, E'\\', E'/') from f)");
  EXPECT_EQ(to_postgres_sql(R"(select 'it\'s', 'it''s', '')"), R"(select E'it''s', E'it''s', E'')");
  EXPECT_EQ(to_postgres_sql(R"(select '\t|\n', '\101\x41\q')"), "select E'\t|\n', E'Ax41q'");
  EXPECT_EQ(to_postgres_sql("select 'caf\xc3\xa9'"), "select E'caf\xc3\xa9'");
}

TEST(InnerSql, IdentifiersAndCommentsAreUntouched) {
  EXPECT_EQ(to_postgres_sql(R"(select "a\b", "it's" from t -- don't
/* it's */ where x = 'y')"),
            R"(select "a\b", "it's" from t -- don't
/* it's */ where x = E'y')");
  EXPECT_EQ(to_postgres_sql(R"(select "say ""hi""" from t)"), R"(select "say ""hi""" from t)");
  EXPECT_EQ(to_postgres_sql("select 1"), "select 1");
}

TEST(InnerSql, Errors) {
  try {
    to_postgres_sql("select 'abc");
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_STREQ(e.what(),
                 "translate query: unterminated quoted string at position 8 of the query");
  }
  try {
    to_postgres_sql(R"(select 'a\0b')");
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_STREQ(e.what(),
                 "translate query: a string literal contains a NUL byte, which PostgreSQL cannot "
                 "hold at position 8 of the query");
  }
}

}  // namespace
