// How PostgreSQL column types choose their rendering rules in text and CSV.
#include <gtest/gtest.h>

#include "engine/value_class.h"

namespace cu::engine {
namespace {

TEST(ValueClassOf, PostgresTypes) {
  using VC = format::ValueClass;
  EXPECT_EQ(value_class_of(25), VC::kCharacter);    // text
  EXPECT_EQ(value_class_of(1043), VC::kCharacter);  // varchar
  EXPECT_EQ(value_class_of(1042), VC::kCharacter);  // bpchar
  EXPECT_EQ(value_class_of(3802), VC::kCharacter);  // jsonb: no Redshift type, treated as text
  EXPECT_EQ(value_class_of(23), VC::kNumber);
  EXPECT_EQ(value_class_of(1700), VC::kNumber);
  EXPECT_EQ(value_class_of(701), VC::kFloat);
  EXPECT_EQ(value_class_of(16), VC::kBoolean);
  EXPECT_EQ(value_class_of(1184), VC::kDateTime);
  EXPECT_EQ(value_class_of(17), VC::kBinary);
  EXPECT_EQ(value_class_of(20), VC::kNumber);       // int8
  EXPECT_EQ(value_class_of(26), VC::kNumber);       // oid
  EXPECT_EQ(value_class_of(700), VC::kFloat);       // real
  EXPECT_EQ(value_class_of(1082), VC::kDateTime);   // date
  EXPECT_EQ(value_class_of(1083), VC::kDateTime);   // time
  EXPECT_EQ(value_class_of(1266), VC::kDateTime);   // timetz
  EXPECT_EQ(value_class_of(1186), VC::kCharacter);  // interval
  EXPECT_EQ(value_class_of(2950), VC::kCharacter);  // uuid
  EXPECT_EQ(value_class_of(114), VC::kCharacter);   // json
  EXPECT_EQ(value_class_of(600), VC::kCharacter);   // point: not in the catalogue
}

}  // namespace
}  // namespace cu::engine
