// Redshift's UNLOAD … CSV, byte for byte. Expected bytes come from the rules and examples
// of docs/redshift-unload.md#s5.2 (and docs/formats.md for the open
// questions), never from the encoder. Inputs are rows in PostgreSQL's COPY text format.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/encoder.h"

namespace cu::format {
namespace {

using VC = ValueClass;

DelimitedOptions csv() {
  DelimitedOptions o;
  o.format = DelimitedFormat::kCsv;
  return o;
}

std::vector<OutputColumn> venue() {
  return {{"venueid", VC::kNumber},
          {"venuename", VC::kCharacter},
          {"venuecity", VC::kCharacter},
          {"venuestate", VC::kCharacter},
          {"venueseats", VC::kNumber}};
}

std::string encode(const DelimitedOptions& o, std::vector<OutputColumn> cols,
                   std::vector<std::string> rows) {
  auto enc = make_delimited_encoder(o, std::move(cols));
  std::string out;
  if (o.header) enc->encode_header(out);
  for (const auto& r : rows) enc->encode_row(r, out);
  return out;
}

TEST(CsvEncoder, SpecExampleDoublesQuotes) {
  // docs/redshift-unload.md#s5.2: 2,"Columbus ""Crew"" Stadium",Columbus,OH,0
  EXPECT_EQ(encode(csv(), venue(), {"2\tColumbus \"Crew\" Stadium\tColumbus\tOH\t0"}),
            "2,\"Columbus \"\"Crew\"\" Stadium\",Columbus,OH,0\n");
}

TEST(CsvEncoder, SpecExampleWithPipeDelimiter) {
  // docs/redshift-unload.md#s5.2: 1|"Pinewood Race|track"|Akron|OH|0, while commas stay bare.
  DelimitedOptions o = csv();
  o.delimiter = '|';
  EXPECT_EQ(encode(o, venue(),
                   {"1\tPinewood Race|track\tAkron\tOH\t0",
                    "3\tCommunity, Ballpark, Arena\tKansas City\tKS\t0"}),
            "1|\"Pinewood Race|track\"|Akron|OH|0\n"
            "3|Community, Ballpark, Arena|Kansas City|KS|0\n");
}

TEST(CsvEncoder, LineBreaksAreQuotedNotEscaped) {
  EXPECT_EQ(encode(csv(), {{"s", VC::kCharacter}, {"t", VC::kCharacter}}, {"a\\nb\ta\\rb"}),
            "\"a\nb\",\"a\rb\"\n");
}

TEST(CsvEncoder, BackslashTabControlAndUtf8AreBare) {
  EXPECT_EQ(encode(csv(), {{"s", VC::kCharacter}}, {"a\\\\b\\tc\\001d ü€😀"}),
            std::string("a\\b\tc\x01") + "d ü€😀\n");
}

TEST(CsvEncoder, NullIsEmptyAndEmptyStringIsQuoted) {
  // docs/redshift-unload.md#s5.2: NULL default is an empty field. OPEN-14, our choice: '' is
  // written "".
  EXPECT_EQ(encode(csv(), {{"a", VC::kCharacter}, {"b", VC::kCharacter}, {"c", VC::kNumber}},
                   {"\\N\t\t\\N"}),
            ",\"\",\n");
}

TEST(CsvEncoder, NullAsAndValuesThatLookLikeIt) {
  // NULL AS is written bare; the text 'NULL' is quoted so the two stay apart (our choice,
  // as PostgreSQL's COPY CSV does); the two characters \N are ordinary data.
  DelimitedOptions o = csv();
  o.null_as = "NULL";
  EXPECT_EQ(encode(o, {{"a", VC::kCharacter}, {"b", VC::kCharacter}, {"c", VC::kCharacter}},
                   {"\\N\tNULL\t\\\\N"}),
            "NULL,\"NULL\",\\N\n");
  // Without NULL AS the literal NULL is plain text.
  EXPECT_EQ(encode(csv(), {{"a", VC::kCharacter}}, {"NULL"}), "NULL\n");
}

TEST(CsvEncoder, PlainRowsBesideRowsThatNeedQuoting) {
  // Rows that need nothing interleaved with rows holding an empty value (first, middle,
  // last), a quote, the delimiter or a NULL: each follows docs/redshift-unload.md#s5.2 whichever
  // way it is encoded.
  auto cols =
      std::vector<OutputColumn>{{"a", VC::kCharacter}, {"b", VC::kCharacter}, {"c", VC::kNumber}};
  EXPECT_EQ(encode(csv(), cols,
                   {"x y\tz\t1", "\tz\t2", "x\t\t3", "x\tz\t", "q\"\tz\t4", "a,b\tz\t5",
                    "\\N\tz\t6", "p\tq\t7"}),
            "x y,z,1\n\"\",z,2\nx,\"\",3\nx,z,\"\"\n\"q\"\"\",z,4\n\"a,b\",z,5\n,z,6\np,q,7\n");
  DelimitedOptions tab = csv();
  tab.delimiter = '\t';
  EXPECT_EQ(encode(tab, cols, {"a,b\tz\t1", "x\t\t2"}), "a,b\tz\t1\nx\t\"\"\t2\n");
  // With NULL AS every value is compared with it; a float column has Redshift spellings.
  DelimitedOptions na = csv();
  na.null_as = "z";
  EXPECT_EQ(encode(na, cols, {"x\tz\t1"}), "x,\"z\",1\n");
  EXPECT_EQ(encode(csv(), {{"f", VC::kFloat}}, {"Infinity", "2.5"}), "inf\n2.5\n");
}

TEST(CsvEncoder, HeaderPassesThroughQuoting) {
  DelimitedOptions o = csv();
  o.header = true;
  EXPECT_EQ(encode(o, {{"id", VC::kNumber}, {"a,b", VC::kCharacter}}, {"1\tx"}),
            "id,\"a,b\"\n1,x\n");
}

TEST(CsvEncoder, RedshiftSpellingOfFloatsAndBinary) {
  EXPECT_EQ(encode(csv(), {{"f", VC::kFloat}, {"g", VC::kFloat}, {"b", VC::kBinary}},
                   {"-Infinity\tNaN\t\\\\xdeadbeef"}),
            "-inf,nan,deadbeef\n");
}

TEST(CsvEncoder, HundredKilobyteValue) {
  std::string value(100 * 1024, 'y');
  value[10] = '"';
  value[70000] = ',';
  std::string expected = "\"" + value.substr(0, 10) + "\"\"" + value.substr(11) + "\"\n";
  EXPECT_EQ(encode(csv(), {{"s", VC::kCharacter}}, {value}), expected);
}

}  // namespace
}  // namespace cu::format
