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
}

}  // namespace
}  // namespace cu::engine
