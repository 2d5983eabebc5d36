// pg::checked_select: what may be unloaded is decided before any database is touched.
#include <gtest/gtest.h>

#include "base/error.h"
#include "pg/query_check.h"

namespace cu::pg {
namespace {

std::string rejected(std::string_view sql) {
  try {
    checked_select(sql);
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
}  // namespace cu::pg
