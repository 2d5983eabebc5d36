// The parts of the local unload that need no database: option checks, the dry-run plan,
// and how PostgreSQL column types choose their rendering rules.
#include <gtest/gtest.h>

#include "base/error.h"
#include "engine/local_unload.h"

namespace cu::engine {
namespace {

LocalUnloadJob job() {
  LocalUnloadJob j;
  j.source = "postgresql://etl:pl4n-secret@db.example:6543/tickit";
  j.spec.select = "select * from sales";
  j.spec.destination = "/tmp/out/sales_";
  return j;
}

int usage_exit(const LocalUnloadJob& j) {
  try {
    check_local_job(j);
  } catch (const Error& e) {
    return e.exit_code();
  }
  return 0;
}

TEST(CheckLocalJob, AcceptsTextAndCsvOptions) {
  LocalUnloadJob j = job();
  j.spec.format = unload::Format::kCsv;
  j.spec.header = true;
  j.spec.delimiter = "|";
  j.spec.null_as = "NULL";
  format::DelimitedOptions o = check_local_job(j);
  EXPECT_EQ(o.format, format::DelimitedFormat::kCsv);
  EXPECT_EQ(o.effective_delimiter(), '|');
  EXPECT_EQ(o.null_as, "NULL");
  EXPECT_TRUE(o.header);
}

TEST(CheckLocalJob, RefusesWhatItCannotDoYet) {
  auto with = [](auto change) {
    LocalUnloadJob j = job();
    change(j.spec);
    return usage_exit(j);
  };
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.format = unload::Format::kParquet; }), 2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.compression = unload::Compression::kGzip; }), 2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.manifest = unload::Manifest::kPlain; }), 2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.parallel = true; }), 2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.destination = "s3://bucket/x_"; }), 2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) {
              s.format = unload::Format::kCsv;
              s.addquotes = true;
            }),
            2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.select = "delete from sales"; }), 2);
  EXPECT_EQ(with([](unload::UnloadSpec& s) { s.select = "select 1; select 2"; }), 2);
}

TEST(DescribePlan, NamesEverythingButThePassword) {
  LocalUnloadJob j = job();
  j.spec.max_file_size = 5ull << 20;
  std::string plan = describe_plan(j);
  EXPECT_NE(plan.find("db.example:6543/tickit"), std::string::npos) << plan;
  EXPECT_NE(plan.find("user etl"), std::string::npos) << plan;
  EXPECT_NE(plan.find("/tmp/out/sales_000"), std::string::npos) << plan;
  EXPECT_NE(plan.find("select * from sales"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("pl4n-secret"), std::string::npos) << plan;
}

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
