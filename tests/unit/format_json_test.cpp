// Redshift JSON lines, byte for byte. Expected lines follow the spec (docs/redshift-unload.md#s5.3:
// one object per line, keys = column names, numbers bare, strings JSON-escaped as in
// `{"venueid":2,"venuename":"Columbus \"Crew\" Stadium ",...}`, NULL → null) and the
// choices of docs/formats.md for OPEN-15 (PostgreSQL's ISO text for dates and timestamps,
// exact decimals, JSON booleans, NaN/Infinity as strings).

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/error.h"
#include "format/json_writer.h"

namespace cu::format {
namespace {

ColumnType t(const char* name, ValueKind kind, int precision = 0, int scale = 0) {
  return ColumnType{name, kind, precision, scale};
}

TEST(JsonWriter, SpecExampleRow) {
  std::vector<ColumnType> types = {t("venueid", ValueKind::kInt16),
                                   t("venuename", ValueKind::kText),
                                   t("venueseats", ValueKind::kInt32)};
  ColumnBatch b(types);
  b.column(0).append_int(2);
  b.column(1).append_bytes("Columbus \"Crew\" Stadium ");
  b.column(2).append_null();
  std::string out;
  JsonWriter(types).write(b, out);
  EXPECT_EQ(out,
            "{\"venueid\":2,\"venuename\":\"Columbus \\\"Crew\\\" Stadium \","
            "\"venueseats\":null}\n");
}

TEST(JsonWriter, StringEscapes) {
  std::string out;
  append_json_string(std::string("a\"b\\c\nd\re\tf\x01g\x1f/\xC3\xBC\x7f", 18), out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f/\xC3\xBC\x7f\"");
}

TEST(JsonWriter, EveryKind) {
  std::vector<ColumnType> types = {
      t("b", ValueKind::kBool),          t("i8", ValueKind::kInt64),
      t("f4", ValueKind::kFloat32),      t("f8", ValueKind::kFloat64),
      t("d", ValueKind::kDecimal, 5, 2), t("n", ValueKind::kNumericText),
      t("j", ValueKind::kJson),          t("dt", ValueKind::kDate),
      t("ts", ValueKind::kTimestamp),    t("tz", ValueKind::kTimestampTz),
      t("tm", ValueKind::kTime),         t("u", ValueKind::kUuid),
      t("by", ValueKind::kBytes),        t("c", ValueKind::kText)};
  ColumnBatch b(types);
  b.column(0).append_int(1);
  b.column(1).append_int(INT64_MIN);
  b.column(2).append_double(static_cast<double>(3.14f));
  b.column(3).append_double(0.1);
  b.column(4).append_decimal(-5);
  b.column(5).append_bytes("123456789012345678901234567890.123456789");
  b.column(6).append_bytes("{\"a\": [1, 2.5]}");
  b.column(7).append_int(2926);                                // 2008-01-05
  b.column(8).append_int(2926 * 86400000000LL + 52200500000);  // 14:30:00.5
  b.column(9).append_int(-1);                                  // 1999-12-31 23:59:59.999999
  b.column(10).append_int(45296000001);                        // 12:34:56.000001
  b.column(11).append_bytes(
      std::string("\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11", 16));
  b.column(12).append_bytes(std::string("\0\xff", 2));
  b.column(13).append_bytes("ab   ");
  std::string out;
  JsonWriter(types).write(b, out);
  EXPECT_EQ(out,
            "{\"b\":true,\"i8\":-9223372036854775808,\"f4\":3.14,\"f8\":0.1,\"d\":-0.05,"
            "\"n\":123456789012345678901234567890.123456789,\"j\":{\"a\": [1, 2.5]},"
            "\"dt\":\"2008-01-05\",\"ts\":\"2008-01-05 14:30:00.5\","
            "\"tz\":\"1999-12-31 23:59:59.999999+00\",\"tm\":\"12:34:56.000001\","
            "\"u\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\",\"by\":\"00ff\",\"c\":\"ab   \"}\n");
}

TEST(JsonWriter, NonFiniteNumbersAreStrings) {
  std::vector<ColumnType> types = {t("f", ValueKind::kFloat64), t("n", ValueKind::kNumericText)};
  ColumnBatch b(types);
  b.column(0).append_double(NAN);
  b.column(1).append_bytes("NaN");
  b.column(0).append_double(-INFINITY);
  b.column(1).append_bytes("-Infinity");
  std::string out;
  JsonWriter(types).write(b, out);
  EXPECT_EQ(out, "{\"f\":\"nan\",\"n\":\"NaN\"}\n{\"f\":\"-inf\",\"n\":\"-Infinity\"}\n");
}

TEST(JsonWriter, DecimalsKeepTheirScale) {
  std::string out;
  append_decimal(0, 2, out);
  out += ' ';
  append_decimal(36300, 2, out);
  out += ' ';
  append_decimal(-1, 10, out);
  out += ' ';
  append_decimal(42, 0, out);
  __int128 max = 1;
  for (int i = 0; i < 38; ++i) max *= 10;
  out += ' ';
  append_decimal(-(max - 1), 10, out);
  EXPECT_EQ(out, "0.00 363.00 -0.0000000001 42 -9999999999999999999999999999.9999999999");
}

// Day numbers from PostgreSQL: select d - date '2000-01-01' (DateStyle ISO renderings).
TEST(JsonWriter, DatesAcrossEras) {
  auto date = [](int64_t pg_days) {
    std::string s;
    append_date(pg_days, s);
    return s;
  };
  EXPECT_EQ(date(0), "2000-01-01");
  EXPECT_EQ(date(-10958), "1969-12-31");
  EXPECT_EQ(date(-36524), "1900-01-01");
  EXPECT_EQ(date(14263), "2039-01-19");
  EXPECT_EQ(date(2921939), "9999-12-31");
  EXPECT_EQ(date(-730119), "0001-01-01");
  EXPECT_EQ(date(-730120), "0001-12-31 BC");
  EXPECT_EQ(date(-730485), "0001-01-01 BC");  // 1 BC was a leap year
  std::string ts;
  append_timestamp(-1, ts);
  EXPECT_EQ(ts, "1999-12-31 23:59:59.999999");
  ts.clear();
  append_timestamp(-3155673600000000LL, ts);  // 1900-01-01 00:00:00
  EXPECT_EQ(ts, "1900-01-01 00:00:00");
  ts.clear();
  // select (extract(epoch from timestamptz '0044-03-15 12:00:00+00 BC') - 946684800) * 1e6
  append_timestamp(-64464465600000000LL, "+00", ts);
  EXPECT_EQ(ts, "0044-03-15 12:00:00+00 BC");
}

TEST(JsonWriter, DuplicateKeysAreRefused) {
  try {
    JsonWriter w({t("a", ValueKind::kInt32), t("a", ValueKind::kText)});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(e.message().find("\"a\""), std::string::npos);
  }
}

}  // namespace
}  // namespace cu::format
