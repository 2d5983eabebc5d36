// unload::checked_select: what may be unloaded is decided before any database is touched.
#include <gtest/gtest.h>

#include "base/error.h"
#include "unload/query_check.h"

namespace cu::unload {
namespace {

constexpr auto kRedshift = sql::Dialect::kRedshift;
constexpr auto kPostgres = sql::Dialect::kPostgres;

// Most rules do not depend on the reading: checked in PostgreSQL's, as before.
std::string checked_select(std::string_view sql) { return unload::checked_select(sql, kPostgres); }

std::string rejected(std::string_view sql, QueryDialect dialect = kPostgres) {
  try {
    unload::checked_select(sql, dialect);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2) << e.what();
    EXPECT_EQ(e.step(), "check query");
    return e.what();
  }
  return "";
}

TEST(CheckedSelect, AcceptsQueriesThatReturnRows) {
  EXPECT_EQ(checked_select("select * from sales"), "select * from sales");
  EXPECT_EQ(checked_select("SELECT 1;"), "SELECT 1");
  EXPECT_EQ(checked_select("  with x as (select 1) select * from x ;  ; "),
            "  with x as (select 1) select * from x");
  EXPECT_EQ(checked_select("((select 1) union (select 2))"), "((select 1) union (select 2))");
  EXPECT_EQ(checked_select("values (1), (2)"), "values (1), (2)");
  EXPECT_EQ(checked_select("TABLE sales"), "TABLE sales");
  EXPECT_EQ(checked_select("-- daily\n/* a /* nested */ comment */ select 1 -- tail"),
            "-- daily\n/* a /* nested */ comment */ select 1");
  EXPECT_EQ(checked_select("select ';drop' as x, \"a;b\", $$;$$, $t$ ; $t$ from t;"),
            "select ';drop' as x, \"a;b\", $$;$$, $t$ ; $t$ from t");
  EXPECT_EQ(checked_select("select E'it\\'s;' as x"), "select E'it\\'s;' as x");
}

TEST(CheckedSelect, RejectsOtherStatements) {
  EXPECT_NE(rejected("delete from sales"), "");
  EXPECT_NE(rejected("  insert into t values (1)"), "");
  EXPECT_NE(rejected("/* select */ update t set a = 1"), "");
  EXPECT_NE(rejected("(drop table t)"), "");
  EXPECT_NE(rejected("selectx from t"), "");
  EXPECT_NE(rejected("copy t to stdout"), "");
  EXPECT_NE(rejected("explain select 1"), "");
}

TEST(CheckedSelect, RejectsEmptyAndUnterminated) {
  EXPECT_NE(rejected(""), "");
  EXPECT_NE(rejected(" -- nothing\n ; "), "");
  EXPECT_NE(rejected("select 'abc"), "");
  EXPECT_NE(rejected("select 1 /* open"), "");
  EXPECT_NE(rejected("select $x$ abc"), "");
}

TEST(CheckedSelect, RejectsSeveralStatements) {
  EXPECT_NE(rejected("select 1; drop table sales").find("more than one statement"),
            std::string::npos);
  EXPECT_NE(rejected("select 1) to stdout; drop table t; copy (select 1"), "");
}

}  // namespace
}  // namespace cu::unload

namespace cu::unload {
namespace {

TEST(CheckedSelect, ReadsLiteralsAsTheServerWill) {
  // Redshift reads `\'` inside '…' as a quote (spec §2.1); PostgreSQL 9.1+ does not.
  const char* redshift = R"(select 'it\'s' as v)";
  EXPECT_EQ(unload::checked_select(redshift, kRedshift), redshift);
  EXPECT_NE(rejected(redshift, kPostgres).find("unterminated quoted string"), std::string::npos);
  EXPECT_EQ(unload::checked_select(redshift, std::nullopt), redshift);  // mode auto
  // One statement to Redshift; two to PostgreSQL: refused in PostgreSQL's reading only.
  const char* split = R"(select 'a\'; delete from t; --' as v)";
  EXPECT_EQ(unload::checked_select(split, kRedshift), split);
  EXPECT_NE(rejected(split, kPostgres).find("more than one statement"), std::string::npos);
  EXPECT_EQ(unload::checked_select("select E'a\\'; delete from t; --'", kPostgres),
            "select E'a\\'; delete from t; --'");
}

TEST(CheckedSelect, RefusesDataModifyingWith) {
  for (const char* sql : {
           "with d as (delete from t returning *) select * from d",
           "WITH d AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM d",
           "with d as (update t set a = 1 returning *) select * from d",
           "with d as (merge into t using s on t.id = s.id when matched then delete) select 1",
           "with a as (select 1), d as ((delete from t returning *)) select * from a, d",
           "with d(x) as materialized (delete from t returning x) select * from d",
           "with d as not materialized (delete from t returning *) select * from d",
           "with recursive r as (select 1) delete from t returning *",
           "with a as (select 1) insert into t select * from a returning *",
           "(with d as (delete from t returning *) select * from d)",
           "select * from (with d as (delete from t returning *) select * from d) s",
       }) {
    for (QueryDialect d : {QueryDialect(kRedshift), QueryDialect(kPostgres), QueryDialect()}) {
      EXPECT_NE(rejected(sql, d).find("the query changes data"), std::string::npos) << sql;
    }
  }
  // Words that only look like it.
  EXPECT_EQ(checked_select("with d as (select 'delete' as \"update\") select * from d"),
            "with d as (select 'delete' as \"update\") select * from d");
  EXPECT_EQ(checked_select("with d as (select 1 as insert) select insert from d"),
            "with d as (select 1 as insert) select insert from d");
  EXPECT_EQ(checked_select("select * from t for update"), "select * from t for update");
}

}  // namespace
}  // namespace cu::unload
