// Object, manifest and partition names against the listings of docs/redshift-unload.md#s4 and #s6.
#include <gtest/gtest.h>

#include "base/error.h"
#include "unload/naming.h"
#include "unload/parse.h"

namespace {

using namespace cu::unload;

ObjectNaming naming(const std::string& options) {
  return ObjectNaming::of(parse("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default " + options));
}

TEST(Naming, ParallelOnNamesFromTheDocs) {
  // unload/0000_part_00, venue_pipe_0003_part_00, parallel0007_part_00 (DG-UNLOAD-NOW, DG-EX-NOW)
  EXPECT_EQ(object_name("unload/", 0, 0, naming("")), "unload/0000_part_00");
  EXPECT_EQ(object_name("unload/venue_pipe_", 3, 0, naming("")), "unload/venue_pipe_0003_part_00");
  EXPECT_EQ(object_name("parallel", 7, 0, naming("PARALLEL ON")), "parallel0007_part_00");
  EXPECT_EQ(object_name("p/", 1, 2, naming("CSV")), "p/0001_part_02");
  EXPECT_EQ(object_name("p/", 1, 2, naming("JSON")), "p/0001_part_02");
  // docs/redshift-unload.md#s4.3 extensions.
  EXPECT_EQ(object_name("p/", 0, 0, naming("GZIP")), "p/0000_part_00.gz");
  EXPECT_EQ(object_name("p/", 0, 0, naming("BZIP2")), "p/0000_part_00.bz2");
  EXPECT_EQ(object_name("p/", 0, 0, naming("ZSTD CSV")), "p/0000_part_00.zst");
  EXPECT_EQ(object_name("eventsize", 0, 0, naming("PARQUET")), "eventsize0000_part_00.parquet");
  EXPECT_EQ(object_name("p/", 0, 0, naming("EXTENSION 'txt.gz' GZIP")), "p/0000_part_00.txt.gz");
  EXPECT_EQ(object_name("p/", 0, 0, naming("EXTENSION 'csv' GZIP")), "p/0000_part_00.csv");
  // OPEN-8 choices (docs/unload-spec.md): one leading dot is not doubled; EXTENSION
  // replaces .parquet; '' means no suffix.
  EXPECT_EQ(object_name("p/", 0, 0, naming("EXTENSION '.csv'")), "p/0000_part_00.csv");
  EXPECT_EQ(object_name("p/", 0, 0, naming("PARQUET EXTENSION 'pq'")), "p/0000_part_00.pq");
  EXPECT_EQ(object_name("p/", 0, 0, naming("GZIP EXTENSION ''")), "p/0000_part_00");
  // OPEN-6: digits grow instead of wrapping.
  EXPECT_EQ(object_name("p/", 12345, 100, naming("")), "p/12345_part_100");
}

TEST(Naming, ParallelOffUsesThreeDigits) {
  // venue_serial_000, key000/key001/key002, manifest url serial000 (OPEN-7: 3 digits).
  EXPECT_EQ(object_name("venue_serial_", 5, 0, naming("PARALLEL OFF")), "venue_serial_000");
  EXPECT_EQ(object_name("key", 0, 2, naming("PARALLEL FALSE")), "key002");
  EXPECT_EQ(object_name("lineorder_serial_", 0, 0, naming("PARALLEL OFF GZIP")),
            "lineorder_serial_000.gz");
  EXPECT_EQ(object_name("k", 0, 1234, naming("PARALLEL OFF")), "k1234");
  EXPECT_EQ(object_name("k", 0, 1, Format::kParquet, Compression::kNone, std::nullopt, false),
            "k001.parquet");
}

TEST(Naming, Manifest) {
  EXPECT_EQ(manifest_name("venue_", false), "venue_manifest");
  EXPECT_EQ(manifest_name("unload/", false), "unload/manifest");
  EXPECT_EQ(manifest_name("partition", true), "partition/manifest");
  EXPECT_EQ(manifest_name("partition/", true), "partition/manifest");
}

TEST(Naming, PartitionFolders) {
  // s3://b/lineitem/l_shipdate=1992-01-02/0000_part_00.parquet;
  // TO 's3://b/partition' … partition by (eventname) -> partition/eventname=Zucchero/0000_part_00
  EXPECT_EQ(partition_prefix("lineitem/", {{"l_shipdate", "1992-01-02"}}),
            "lineitem/l_shipdate=1992-01-02/");
  EXPECT_EQ(
      object_name(partition_prefix("partition", {{"eventname", "Zucchero"}}), 0, 0, naming("")),
      "partition/eventname=Zucchero/0000_part_00");
  EXPECT_EQ(partition_prefix("p", {{"year", "2008"}, {"month", "September"}}),
            "p/year=2008/month=September/");
  EXPECT_EQ(partition_prefix("p/", {{"eventname", "ZZ Top"}}), "p/eventname=ZZ Top/");
  EXPECT_EQ(partition_prefix("p/", {{"c", std::nullopt}}), "p/c=__HIVE_DEFAULT_PARTITION__/");
  EXPECT_EQ(partition_prefix("p/", {{"c", ""}}), "p/c=__HIVE_DEFAULT_PARTITION__/");
  // Hive's escaping (OPEN-10 choice).
  EXPECT_EQ(escape_partition_value("a/b=c%d:e"), "a%2Fb%3Dc%25d%3Ae");
  EXPECT_EQ(escape_partition_value("x\ny#"), "x%0Ay%23");
  EXPECT_EQ(escape_partition_value("caf\xc3\xa9 ok-_.~"), "caf\xc3\xa9 ok-_.~");
  // And back (the catalog reads partition values from the folder names).
  EXPECT_EQ(cu::percent_decode("a%2Fb%3Dc%25d%3Ae"), "a/b=c%d:e");
  EXPECT_EQ(cu::percent_decode(escape_partition_value("x\ny#")), "x\ny#");
}

TEST(Naming, Destinations) {
  EXPECT_EQ(parse_destination("s3://dev-exports/shop/items_"),
            (Destination{true, "dev-exports", "shop/items_"}));
  EXPECT_EQ(parse_destination("s3://bucket"), (Destination{true, "bucket", ""}));
  EXPECT_EQ(parse_destination("s3://bucket/"), (Destination{true, "bucket", ""}));
  EXPECT_EQ(parse_destination("/tmp/out/venue_"), (Destination{false, "", "/tmp/out/venue_"}));
  EXPECT_EQ(object_url(parse_destination("s3://b/p/"), "p/0000_part_00"), "s3://b/p/0000_part_00");
  EXPECT_EQ(object_url(parse_destination("out/x_"), "out/x_manifest"), "out/x_manifest");
  try {
    parse_destination("s3:///p");
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_STREQ(e.what(),
                 "parse destination s3:///p: the S3 URL has no bucket; hint: give "
                 "s3://bucket/prefix");
  }
}

// A key with "." / ".." / empty segments is another place to every reader that resolves
// them (libcurl did: the object landed elsewhere than signed, listed and reported).
TEST(Naming, KeyPrefixSegmentsAreRefused) {
  EXPECT_EQ(parse_destination("s3://b/a.b/..x/x..y/.hidden_").prefix, "a.b/..x/x..y/.hidden_");
  EXPECT_EQ(parse_destination("s3://b/a/b/").prefix, "a/b/");
  for (const char* to : {"s3://b/a/../c/x_", "s3://b/./x_", "s3://b/a/..", "s3://b/a/.",
                         "s3://b/a//x_", "s3://b//x_", "s3://b/..", "s3://b/a/.//"}) {
    try {
      parse_destination(to);
      ADD_FAILURE() << to;
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.exit_code(), 2) << to;
      EXPECT_EQ(e.step(), "parse destination") << to;
      EXPECT_TRUE(e.message().starts_with("the key prefix has ")) << e.what();
    }
  }
  try {
    parse_destination("s3://b/a/../c/x_");
  } catch (const cu::Error& e) {
    EXPECT_STREQ(
        e.what(),
        "parse destination s3://b/a/../c/x_: the key prefix has a \"..\" segment; hint: "
        "write the prefix without empty, \".\" or \"..\" segments: s3://bucket/folder/name_");
  }
  // Local paths are the file system's business.
  EXPECT_EQ(parse_destination("out/../x_").prefix, "out/../x_");
}

}  // namespace
