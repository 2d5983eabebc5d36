// Incremental unloads without a database: the keys (both or neither, exit 2 for a column that
// is not one plain name, a state that is not s3://bucket/key or a file, a template with an
// unknown placeholder or without {to}), the window's literals (only values of the column's
// type reach SQL), the rendered prefix, the bounded query and the state document.
#include <gtest/gtest.h>

#include "base/error.h"
#include "error_of.h"
#include "job/config.h"
#include "job/incremental.h"
#include "pg/types.h"

namespace {

using namespace cu::job;
using cu_test::error_of;

JobConfig build_with(const std::string& extra) {
  return build(parse_toml(
      "source = 'host=localhost'\nquery = 'select * from sales'\nformat = 'csv'\n" + extra,
      "job.toml"));
}

std::string refusal(const std::string& extra) {
  cu::ErrorKind kind = cu::ErrorKind::kOther;
  std::string message = error_of([&] { build_with(extra); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage) << message;
  return message;
}

TEST(IncrementalConfig, TheKeysBecomeOneSetting) {
  JobConfig j = build_with(
      "incremental_column = 'Sold_At'\nstate = 's3://dev-bucket/state/sales.json'\n"
      "incremental_start = '2026-01-01 00:00:00'\nto = "
      "'s3://dev-bucket/sales/day={to:%Y-%m-%d}/{to}/x_'\n");
  ASSERT_TRUE(j.incremental);
  EXPECT_EQ(j.incremental->column, "sold_at");
  EXPECT_EQ(j.incremental->state, "s3://dev-bucket/state/sales.json");
  EXPECT_EQ(j.incremental->start, "2026-01-01 00:00:00");
  EXPECT_FALSE(build_with("to = 'out/x_'\n").incremental);
}

TEST(IncrementalConfig, MistakesAreUsageErrors) {
  const std::string ok_to = "to = 'out/{to}/x_'\n";
  EXPECT_NE(refusal("incremental_column = 'a.b'\nstate = 's.json'\n" + ok_to)
                .find("one plain column name"),
            std::string::npos);
  EXPECT_NE(refusal("incremental_column = '\"a\"'\nstate = 's.json'\n" + ok_to)
                .find("one plain column name"),
            std::string::npos);
  EXPECT_NE(refusal("incremental_column = 'a; drop table x'\nstate = 's.json'\n" + ok_to)
                .find("one plain column name"),
            std::string::npos);
  EXPECT_NE(refusal("incremental_column = 'a'\n" + ok_to).find("needs both"), std::string::npos);
  EXPECT_NE(refusal("state = 's.json'\n" + ok_to).find("needs both"), std::string::npos);
  EXPECT_NE(refusal("incremental_column = 'a'\nstate = 's3://b/'\n" + ok_to).find("not a bucket"),
            std::string::npos);
  EXPECT_NE(refusal("incremental_column = 'a'\nstate = 'http://x/y'\n" + ok_to).find("s3://"),
            std::string::npos);
  EXPECT_NE(refusal("incremental_column = 'a'\nstate = 's.json'\nto = 'out/{day}/x_'\n")
                .find("unknown placeholder {day}"),
            std::string::npos);
  EXPECT_NE(
      refusal("incremental_column = 'a'\nstate = 's.json'\nto = 'out/{to:%Y}/x_'\n").find("{to}"),
      std::string::npos);
  EXPECT_NE(refusal("incremental_column = 'a'\nstate = 's.json'\nto = 'out/{to:%q}/{to}/x_'\n")
                .find("'%q'"),
            std::string::npos);
  EXPECT_NE(refusal("to = 'out/{to}/x_'\n").find("placeholder"), std::string::npos);
  EXPECT_NE(refusal("incremental_start = '5'\nto = 'out/x_'\n").find("needs incremental_column"),
            std::string::npos);
  cu::ErrorKind kind = cu::ErrorKind::kOther;
  std::string no_wait = error_of(
      [] {
        build(
            parse_toml("via = 'data-api'\ncluster_id = 'c'\ndatabase = 'd'\nwait = false\n"
                       "iam_role = 'arn:aws:iam::123456789012:role/R'\nquery = 'select 1'\n"
                       "incremental_column = 'a'\nstate = 's.json'\nto = 's3://dev-bucket/{to}/'\n",
                       "job.toml"));
      },
      &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage);
  EXPECT_NE(no_wait.find("waits for its statement"), std::string::npos) << no_wait;
  EXPECT_NE(refusal("incremental_column = 'a'\nstate = 's.json'\nallow_overwrite = true\n" + ok_to)
                .find("never replaces"),
            std::string::npos);
}

TEST(IncrementalWindow, TypesOfTheColumn) {
  EXPECT_EQ(watermark_type(cu::pg::oid::kTimestamptz, "c"), WatermarkType::kTimestamptz);
  EXPECT_EQ(watermark_type(cu::pg::oid::kInt2, "c"), WatermarkType::kSmallint);
  cu::ErrorKind kind = cu::ErrorKind::kOther;
  std::string message = error_of([] { watermark_type(cu::pg::oid::kText, "note"); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage);
  EXPECT_NE(message.find("note is text"), std::string::npos) << message;
}

TEST(IncrementalWindow, LiteralsAreCheckedValuesOfTheType) {
  EXPECT_EQ(window_literal(WatermarkType::kBigint, "-42", "state"), "-42");
  EXPECT_EQ(window_literal(WatermarkType::kDate, "2026-12-03", "state"),
            "cast('2026-12-03' as date)");
  EXPECT_EQ(window_literal(WatermarkType::kTimestamp, "2026-12-03 10:15:00.25", "state"),
            "cast('2026-12-03 10:15:00.25' as timestamp)");
  EXPECT_EQ(window_literal(WatermarkType::kTimestamptz, "2026-12-03 10:15:00+05:30", "state"),
            "cast('2026-12-03 10:15:00+05:30' as timestamptz)");
  for (const char* v : {"1 or 1=1", "2026-12-03' or '1'='1", "", "2026-12-03 10:15", "1e3"}) {
    cu::ErrorKind kind = cu::ErrorKind::kOther;
    error_of([&] { window_literal(WatermarkType::kTimestamp, v, "state"); }, &kind);
    EXPECT_EQ(kind, cu::ErrorKind::kUsage) << v;
  }
  EXPECT_ANY_THROW(window_literal(WatermarkType::kInteger, "12345678901234567890", "state"));
  EXPECT_ANY_THROW(window_literal(WatermarkType::kDate, "2026-12-03 00:00:00", "state"));
}

TEST(IncrementalWindow, QueryAndPrefix) {
  Window first{.column = "sold_at",
               .type = WatermarkType::kTimestamptz,
               .from = std::nullopt,
               .to = "2026-12-03 10:15:00.5+00"};
  EXPECT_EQ(window_query("select * from t", first),
            "select * from (select * from t) as cu_window where \"sold_at\" <= "
            "cast('2026-12-03 10:15:00.5+00' as timestamptz)");
  EXPECT_EQ(render_window_prefix("s3://b/s/day={to:%Y-%m-%d}/{from}_{to}/x_", first),
            "s3://b/s/day=2026-12-03/start_2026-12-03T10-15-00.5Z/x_");
  Window next = first;
  next.from = "2026-12-02 00:00:00+00";
  EXPECT_EQ(window_query("select 1 as sold_at", next),
            "select * from (select 1 as sold_at) as cu_window where \"sold_at\" > "
            "cast('2026-12-02 00:00:00+00' as timestamptz) and \"sold_at\" <= "
            "cast('2026-12-03 10:15:00.5+00' as timestamptz)");
  EXPECT_EQ(render_window_prefix("out/{from:%H%M}-{to:%H%M%%}/", next), "out/0000-1015%/");
  Window ints{.column = "id", .type = WatermarkType::kBigint, .from = "7", .to = "42"};
  EXPECT_EQ(render_window_prefix("out/{from}-{to}/x_", ints), "out/7-42/x_");
  EXPECT_EQ(max_query("select * from t", "id", WatermarkType::kBigint, std::string("7")),
            "select max(\"id\") from (select * from t) as cu_window where \"id\" > 7");
  EXPECT_ANY_THROW(render_window_prefix("out/{to:%Y}/{to}", ints));
}

TEST(IncrementalState, RoundTripAndChecks) {
  Window w{.column = "d", .type = WatermarkType::kDate, .from = "2026-01-01", .to = "2026-02-01"};
  State s{.column = "d",
          .type = WatermarkType::kDate,
          .watermark = "2026-01-01",
          .window = std::nullopt,
          .pending = w,
          .to = "out/{to}/x_"};
  State back = parse_state(state_json(s), "state.json");
  EXPECT_EQ(back.column, "d");
  EXPECT_EQ(back.type, WatermarkType::kDate);
  EXPECT_EQ(back.watermark, "2026-01-01");
  ASSERT_TRUE(back.pending);
  EXPECT_EQ(back.pending->to, "2026-02-01");
  EXPECT_EQ(back.pending->from, "2026-01-01");
  EXPECT_FALSE(back.window);
  EXPECT_EQ(back.to, "out/{to}/x_");

  for (const char* text : {
           "[]",
           "{\"column\": \"d\"}",
           "{\"column\": \"d\", \"type\": \"text\"}",
           "{\"column\": \"d\", \"type\": \"date\", \"watermark\": \"x' or 1=1 --\"}",
           "{\"column\": \"d\", \"type\": \"date\", \"watermark\": \"2026-01-01\", "
           "\"pending\": {\"from\": \"2025-01-01\", \"to\": \"2026-02-01\"}}",
       }) {
    cu::ErrorKind kind = cu::ErrorKind::kOther;
    error_of([&] { parse_state(text, "state.json"); }, &kind);
    EXPECT_EQ(kind, cu::ErrorKind::kUsage) << text;
  }
}

}  // namespace
