// The Glue/Athena table of an unload's output (job/catalog.h): the type table per format,
// each format's storage descriptor, the location rule, the partitions read back from the
// files' names, partition projection values kept across runs, the DDL, and the job keys.
// Every expected value is written out here by hand, from docs/catalog.md.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "job/catalog.h"
#include "job/config.h"
#include "pg/types.h"

namespace {

using namespace cu::job;
using cu::unload::Format;
namespace oid = cu::pg::oid;

cu::pg::Column col(std::string name, uint32_t type, int modifier = -1) {
  return {std::move(name), type, modifier};
}

cu::unload::UnloadSpec spec_to(std::string to, Format format = Format::kText) {
  cu::unload::UnloadSpec s;
  s.select = "select 1";
  s.destination = std::move(to);
  s.format = format;
  return s;
}

int exit_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const cu::Error& e) {
    return e.exit_code();
  }
  return 0;
}

TEST(CatalogTypes, EachSourceTypeInEachFormat) {
  struct Row {
    cu::pg::Column c;
    const char* text;
    const char* csv;
    const char* json;
    const char* parquet;
  };
  const int varchar20 = 20 + 4;
  const int char3 = 3 + 4;
  const int numeric8_2 = ((8 << 16) | 2) + 4;
  const Row rows[] = {
      {col("a", oid::kInt2), "smallint", "string", "smallint", "smallint"},
      {col("a", oid::kInt4), "int", "string", "int", "int"},
      {col("a", oid::kInt8), "bigint", "string", "bigint", "bigint"},
      {col("a", oid::kNumeric, numeric8_2), "decimal(8,2)", "string", "decimal(8,2)",
       "decimal(8,2)"},
      {col("a", oid::kNumeric), "string", "string", "string", "string"},
      {col("a", oid::kFloat4), "float", "string", "float", "float"},
      {col("a", oid::kFloat8), "double", "string", "double", "double"},
      {col("a", oid::kBool), "string", "string", "boolean", "boolean"},
      {col("a", oid::kBpchar, char3), "char(3)", "string", "char(3)", "char(3)"},
      {col("a", oid::kVarchar, varchar20), "varchar(20)", "string", "varchar(20)", "varchar(20)"},
      {col("a", oid::kVarchar), "string", "string", "string", "string"},
      {col("a", oid::kText), "string", "string", "string", "string"},
      {col("a", oid::kDate), "date", "string", "date", "date"},
      {col("a", oid::kTimestamp), "timestamp", "string", "timestamp", "timestamp"},
      {col("a", oid::kTimestamptz), "string", "string", "string", "timestamp"},
      {col("a", oid::kTime), "string", "string", "string", "string"},
      {col("a", oid::kJsonb), "string", "string", "string", "string"},
      {col("a", oid::kBytea), "string", "string", "string", "binary"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(cu::pg::type_name(r.c.type_oid));
    EXPECT_EQ(athena_type(r.c, Format::kText), r.text);
    EXPECT_EQ(athena_type(r.c, Format::kCsv), r.csv);
    EXPECT_EQ(athena_type(r.c, Format::kJson), r.json);
    EXPECT_EQ(athena_type(r.c, Format::kParquet), r.parquet);
  }
}

const std::vector<cu::pg::Column> kVenue = {col("VenueID", oid::kInt2),
                                            col("venuename", oid::kVarchar, 100 + 4),
                                            col("venuestate", oid::kBpchar, 2 + 4)};

TEST(CatalogTable, TextWithEscapeAndNullAs) {
  auto s = spec_to("s3://dev/venue/");
  s.delimiter = "\t";
  s.escape = true;
  s.null_as = "\\N";
  s.compression = cu::unload::Compression::kGzip;
  TableDefinition t = define_table({"sales", "venue"}, s, kVenue);
  EXPECT_EQ(t.location, "s3://dev/venue/");
  ASSERT_EQ(t.columns.size(), 3U);
  EXPECT_EQ(t.columns[0].name, "venueid");  // Athena's names are lower case
  EXPECT_EQ(t.columns[1].type, "varchar(100)");
  EXPECT_EQ(t.columns[2].type, "char(2)");
  EXPECT_EQ(t.serde, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  EXPECT_EQ(t.input_format, "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(t.serde_parameters,
            (std::map<std::string, std::string>{{"field.delim", "\t"},
                                                {"serialization.format", "\t"},
                                                {"escape.delim", "\\"},
                                                {"serialization.null.format", "\\N"}}));
  EXPECT_EQ(t.table_parameters.at("compressionType"), "gzip");
  EXPECT_EQ(t.table_parameters.at("classification"), "csv");
  EXPECT_FALSE(t.table_parameters.contains("skip.header.line.count"));
  nlohmann::json in = table_input(t);
  EXPECT_EQ(in["StorageDescriptor"]["Compressed"], true);
  EXPECT_EQ(in["TableType"], "EXTERNAL_TABLE");
}

TEST(CatalogTable, PlainTextNullIsTheEmptyField) {
  TableDefinition t = define_table({"d", "t"}, spec_to("s3://dev/venue/"), kVenue);
  EXPECT_EQ(
      t.serde_parameters,
      (std::map<std::string, std::string>{
          {"field.delim", "|"}, {"serialization.format", "|"}, {"serialization.null.format", ""}}));
  EXPECT_EQ(t.table_parameters.at("compressionType"), "none");
}

TEST(CatalogTable, CsvWithHeader) {
  auto s = spec_to("s3://dev/venue/", Format::kCsv);
  s.header = true;
  TableDefinition t = define_table({"d", "t"}, s, kVenue);
  EXPECT_EQ(t.serde, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  EXPECT_EQ(t.serde_parameters,
            (std::map<std::string, std::string>{
                {"separatorChar", ","}, {"quoteChar", "\""}, {"escapeChar", "\x7f"}}));
  EXPECT_EQ(t.table_parameters.at("skip.header.line.count"), "1");
  for (const auto& c : t.columns) {
    EXPECT_EQ(c.type, "string");
  }
}

TEST(CatalogTable, JsonAndParquet) {
  TableDefinition j = define_table({"d", "t"}, spec_to("s3://dev/v/", Format::kJson), kVenue);
  EXPECT_EQ(j.serde, "org.openx.data.jsonserde.JsonSerDe");
  EXPECT_EQ(j.serde_parameters.at("paths"), "venueid,venuename,venuestate");
  EXPECT_EQ(j.table_parameters.at("classification"), "json");
  TableDefinition p = define_table({"d", "t"}, spec_to("s3://dev/v/", Format::kParquet), kVenue);
  EXPECT_EQ(p.serde, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  EXPECT_EQ(p.input_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
  EXPECT_EQ(p.output_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
  EXPECT_EQ(p.table_parameters.at("parquet.compression"), "SNAPPY");
  EXPECT_FALSE(p.table_parameters.contains("compressionType"));
}

TEST(CatalogTable, RefusedOutputsAreUsageErrors) {
  EXPECT_EQ(exit_of([] { define_table({"d", "t"}, spec_to("s3://dev/venue_"), kVenue); }), 2);
  EXPECT_EQ(exit_of([] { define_table({"d", "t"}, spec_to("/tmp/venue/"), kVenue); }), 2);
  auto fixed = spec_to("s3://dev/v/");
  fixed.fixedwidth = std::vector<cu::unload::FixedWidthColumn>{};
  EXPECT_EQ(exit_of([&] { define_table({"d", "t"}, fixed, kVenue); }), 2);
  auto manifest = spec_to("s3://dev/v/");
  manifest.manifest = cu::unload::Manifest::kPlain;
  EXPECT_EQ(exit_of([&] { define_table({"d", "t"}, manifest, kVenue); }), 2);
  auto ext = spec_to("s3://dev/v/");
  ext.compression = cu::unload::Compression::kGzip;
  ext.extension = "txt";
  EXPECT_EQ(exit_of([&] { define_table({"d", "t"}, ext, kVenue); }), 2);
  ext.extension = "txt.gz";
  EXPECT_EQ(exit_of([&] { define_table({"d", "t"}, ext, kVenue); }), 0);
  auto include = spec_to("s3://dev/v", Format::kCsv);
  include.partition_by = cu::unload::PartitionBy{{"venuestate"}, true};
  EXPECT_EQ(exit_of([&] { define_table({"d", "t"}, include, kVenue); }), 2);
  EXPECT_EQ(exit_of([] {
              define_table({"d", "t"}, spec_to("s3://dev/v/"),
                           {col("a", oid::kInt4), col("A", oid::kInt4)});
            }),
            2);
}

TEST(CatalogTable, PartitionsFromTheFilesNames) {
  auto s = spec_to("s3://dev/venue", Format::kParquet);  // PARTITION BY adds the slash
  s.partition_by = cu::unload::PartitionBy{{"venuestate", "VenueID"}, false};
  TableDefinition t = define_table({"d", "t"}, s, kVenue);
  EXPECT_EQ(t.location, "s3://dev/venue/");
  ASSERT_EQ(t.columns.size(), 1U);
  EXPECT_EQ(t.columns[0].name, "venuename");
  ASSERT_EQ(t.partition_keys.size(), 2U);
  EXPECT_EQ(t.partition_keys[0].name, "venuestate");
  EXPECT_EQ(t.partition_keys[0].type, "char(2)");
  EXPECT_EQ(t.partition_keys[1].type, "smallint");
  auto parts = written_partitions(
      t, {"s3://dev/venue/venuestate=NY/VenueID=7/0000_part_00.parquet",
          "s3://dev/venue/venuestate=A%2FB/VenueID=__HIVE_DEFAULT_PARTITION__/0000_part_00.parquet",
          "s3://dev/venue/venuestate=NY/VenueID=7/0001_part_00.parquet"});
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0], (WrittenPartition{{"NY", "7"}, "s3://dev/venue/venuestate=NY/VenueID=7/"}));
  EXPECT_EQ(parts[1], (WrittenPartition{{"A/B", "__HIVE_DEFAULT_PARTITION__"},
                                        "s3://dev/venue/venuestate=A%2FB/"
                                        "VenueID=__HIVE_DEFAULT_PARTITION__/"}));
  nlohmann::json p = partition_input(t, parts[0]);
  EXPECT_EQ(p["Values"], nlohmann::json({"NY", "7"}));
  EXPECT_EQ(p["StorageDescriptor"]["Location"], "s3://dev/venue/venuestate=NY/VenueID=7/");
  EXPECT_EQ(p["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  EXPECT_THROW(written_partitions(t, {"s3://dev/venue/0000_part_00.parquet"}), cu::Error);
}

TEST(CatalogTable, ProjectionKeepsEarlierValues) {
  auto s = spec_to("s3://dev/venue/", Format::kParquet);
  s.partition_by = cu::unload::PartitionBy{{"venuestate"}, false};
  TableDefinition t = define_table({"d", "t", CatalogPartitions::kProjection}, s, kVenue);
  EXPECT_EQ(t.table_parameters.at("projection.enabled"), "true");
  EXPECT_EQ(t.table_parameters.at("projection.venuestate.type"), "enum");
  EXPECT_EQ(t.table_parameters.at("storage.location.template"),
            "s3://dev/venue/venuestate=${venuestate}/");
  nlohmann::json existing = {{"Parameters", {{"projection.venuestate.values", "CA,NY"}}}};
  nlohmann::json in = table_input(t, existing, {{"NY"}, {"TX"}});
  EXPECT_EQ(in["Parameters"]["projection.venuestate.values"], "CA,NY,TX");
  EXPECT_EQ(exit_of([&] { table_input(t, nullptr, {{"a,b"}}); }), 2);
}

TEST(CatalogDdl, CreateTableThenPartitions) {
  auto s = spec_to("s3://dev/venue/");
  s.partition_by = cu::unload::PartitionBy{{"venuestate"}, false};
  s.header = true;
  TableDefinition t = define_table({"sales", "venue"}, s, kVenue);
  EXPECT_EQ(athena_ddl(t),
            "CREATE EXTERNAL TABLE IF NOT EXISTS `sales`.`venue` (\n"
            "  `venueid` smallint,\n"
            "  `venuename` varchar(100)\n"
            ")\n"
            "PARTITIONED BY (`venuestate` char(2))\n"
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'\n"
            "WITH SERDEPROPERTIES (\n"
            "  'field.delim' = '|',\n"
            "  'serialization.format' = '|',\n"
            "  'serialization.null.format' = ''\n"
            ")\n"
            "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n"
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
            "LOCATION 's3://dev/venue/'\n"
            "TBLPROPERTIES (\n"
            "  'classification' = 'csv',\n"
            "  'compressionType' = 'none',\n"
            "  'skip.header.line.count' = '1'\n"
            ");\n"
            "MSCK REPAIR TABLE `sales`.`venue`;\n");
  std::string with = athena_ddl(t, {{{"N'Y"}, "s3://dev/venue/venuestate=N%27Y/"}});
  EXPECT_NE(with.find("ALTER TABLE `sales`.`venue` ADD IF NOT EXISTS\n"
                      "  PARTITION (`venuestate` = 'N\\'Y') LOCATION "
                      "'s3://dev/venue/venuestate=N%27Y/'\n;\n"),
            std::string::npos)
      << with;
}

TEST(CatalogConfigKeys, BothNamesValidatedTogether) {
  Values v = parse_json(R"({"query": "select 1", "to": "s3://dev-bucket/p/", "source": "host=x",
                            "catalog_database": "sales", "catalog_table": "venue",
                            "catalog_partitions": "projection", "print_ddl": true})");
  JobConfig job = build(v);
  ASSERT_TRUE(job.catalog);
  EXPECT_EQ(job.catalog->database, "sales");
  EXPECT_EQ(job.catalog->table, "venue");
  EXPECT_EQ(job.catalog->partitions, CatalogPartitions::kProjection);
  EXPECT_TRUE(job.print_ddl);
  auto with = [](std::string extra) {
    return parse_json(R"({"query": "select 1", "to": "s3://dev-bucket/p/", "source": "host=x")" +
                      extra + "}");
  };
  EXPECT_EQ(exit_of([&] { build(with(R"(, "catalog_database": "sales")")); }), 2);
  EXPECT_EQ(
      exit_of([&] { build(with(R"(, "catalog_database": "Sales", "catalog_table": "venue")")); }),
      2);
  EXPECT_EQ(
      exit_of([&] { build(with(R"(, "catalog_database": "sales", "catalog_table": "ven-ue")")); }),
      2);
  EXPECT_EQ(exit_of([&] { build(with(R"(, "print_ddl": true)")); }), 2);
  EXPECT_EQ(exit_of([&] { build(with(R"(, "catalog_partitions": "register")")); }), 2);
  EXPECT_EQ(exit_of([&] {
              build(with(R"(, "catalog_database": "s", "catalog_table": "t",
                              "catalog_partitions": "crawl")"));
            }),
            2);
}

}  // namespace
