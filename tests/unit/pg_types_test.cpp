#include <gtest/gtest.h>

#include <set>

#include "pg/types.h"

namespace {

using cu::pg::find_type;
using cu::pg::type_name;
using cu::pg::TypeCategory;

TEST(PgTypes, EachOidOnceWithItsPostgresName) {
  std::set<uint32_t> oids;
  std::set<std::string_view> names;
  for (const auto& t : cu::pg::kTypes) {
    EXPECT_TRUE(oids.insert(t.oid).second) << t.oid;
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_EQ(find_type(t.oid), &t);
  }
  // Spot checks against pg_type / format_type.
  EXPECT_EQ(type_name(cu::pg::oid::kInt4), "integer");
  EXPECT_EQ(type_name(1043), "character varying");
  EXPECT_EQ(type_name(1184), "timestamp with time zone");
  EXPECT_EQ(type_name(18), "\"char\"");
  EXPECT_EQ(type_name(600), "oid 600");  // point: not in the table
  EXPECT_EQ(find_type(600), nullptr);
}

// The decoder's list of OIDs had no time with time zone and no interval (its type_name
// wrote them as bare numbers), while the delimited formats' list knew timetz: one table now.
TEST(PgTypes, TimeWithTimeZoneAndIntervalAreInTheTable) {
  ASSERT_NE(find_type(cu::pg::oid::kTimetz), nullptr);
  EXPECT_EQ(cu::pg::oid::kTimetz, 1266u);
  EXPECT_EQ(find_type(1266)->category, TypeCategory::kDateTime);
  EXPECT_EQ(type_name(1266), "time with time zone");
  EXPECT_EQ(cu::pg::oid::kInterval, 1186u);
  EXPECT_EQ(find_type(1186)->category, TypeCategory::kTimespan);
  EXPECT_EQ(type_name(1186), "interval");
}

TEST(PgTypes, Categories) {
  EXPECT_EQ(find_type(26)->category, TypeCategory::kInteger);  // oid
  EXPECT_EQ(find_type(1700)->category, TypeCategory::kNumeric);
  EXPECT_EQ(find_type(700)->category, TypeCategory::kFloat);
  EXPECT_EQ(find_type(17)->category, TypeCategory::kBinary);
  EXPECT_EQ(find_type(3802)->category, TypeCategory::kJson);
  EXPECT_EQ(find_type(2950)->category, TypeCategory::kUuid);
  EXPECT_EQ(find_type(705)->category, TypeCategory::kString);
}

}  // namespace
