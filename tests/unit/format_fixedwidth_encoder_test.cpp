// Redshift's FIXEDWIDTH text, byte for byte. Expected bytes are written by hand from the
// rules of docs/redshift-unload.md (#s1.3, #s1.6, #s5.1, #s5.5, cited per
// case), never produced by the encoder. Inputs are rows as PostgreSQL's COPY text format sends
// them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "format/encoder.h"
#include "format/fixedwidth_encoder.h"

namespace cu::format {
namespace {

using VC = ValueClass;

DelimitedOptions fixed() {
  DelimitedOptions o;
  o.format = DelimitedFormat::kFixedWidth;
  return o;
}

std::string encode(const DelimitedOptions& o, std::vector<OutputColumn> cols,
                   std::vector<std::string> copy_rows) {
  auto enc = make_delimited_encoder(o, std::move(cols));
  std::string out;
  enc->encode_header(out);
  for (const auto& r : copy_rows) enc->encode_row(r, out);
  return out;
}

// The VENUE example of docs/redshift-unload.md#s5.1 (`1  Toyota Park   ...IL0`) with the widths of
// the documented UNLOAD: 'venueid:3,venuename:39,venuecity:16,venuestate:2,venueseats:6'.
std::vector<OutputColumn> venue() {
  return {{"venueid", VC::kNumber, 3},
          {"venuename", VC::kCharacter, 39},
          {"venuecity", VC::kCharacter, 16},
          {"venuestate", VC::kCharacter, 2},
          {"venueseats", VC::kNumber, 6}};
}

TEST(FixedWidthEncoder, SpecVenueExampleLeftAlignedRightPadded) {
  // docs/redshift-unload.md#s5.1: no delimiters, each value left-aligned and right-padded with
  // spaces.
  std::string want =
      "1  "                                      // venueid:3
      "Toyota Park                            "  // venuename:39 (11 + 28 blanks)
      "Bridgeview      "                         // venuecity:16
      "IL"                                       // venuestate:2
      "0     "                                   // venueseats:6
      "\n";
  EXPECT_EQ(encode(fixed(), venue(), {"1\tToyota Park\tBridgeview\tIL\t0"}), want);
}

TEST(FixedWidthEncoder, NullIsSpacesToTheWidthByDefault) {
  // docs/redshift-unload.md#s1.3 / #s5.5: NULL → spaces unless NULL AS.
  EXPECT_EQ(encode(fixed(), {{"a", VC::kNumber, 3}, {"b", VC::kCharacter, 4}}, {"\\N\t\\N"}),
            "       \n");
}

TEST(FixedWidthEncoder, NullAsIsPaddedToTheWidth) {
  DelimitedOptions o = fixed();
  o.null_as = "N";
  EXPECT_EQ(encode(o, {{"a", VC::kNumber, 3}, {"b", VC::kCharacter, 2}}, {"\\N\t\\N", "7\tx"}),
            "N  N \n7  x \n");
}

TEST(FixedWidthEncoder, NullAsWiderThanANonCharacterColumnIsAnEmptyField) {
  // docs/redshift-unload.md#s5.5: non-character column → empty field (all blanks, the width kept).
  DelimitedOptions o = fixed();
  o.null_as = "NULL";
  EXPECT_EQ(encode(o, {{"a", VC::kNumber, 2}, {"b", VC::kCharacter, 4}}, {"\\N\t\\N"}), "  NULL\n");
}

TEST(FixedWidthEncoder, NullAsWiderThanACharacterColumnFails) {
  // docs/redshift-unload.md#s5.5: character column → error.
  DelimitedOptions o = fixed();
  o.null_as = "NULL";
  try {
    encode(o, {{"name", VC::kCharacter, 3}}, {"\\N"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("\"name\""), std::string::npos) << e.what();
  }
}

TEST(FixedWidthEncoder, AValueLongerThanItsWidthFailsNeverTruncates) {
  // docs/redshift-unload.md#s1.6: the UNLOAD fails; the message names the column, the row and the
  // sizes.
  try {
    encode(fixed(), {{"id", VC::kNumber, 3}, {"city", VC::kCharacter, 5}},
           {"1\tRome", "2\tMadrid"});
    FAIL() << "Madrid is 6 bytes, wider than 5";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    std::string m = e.what();
    EXPECT_NE(m.find("\"city\""), std::string::npos) << m;
    EXPECT_NE(m.find("row 2"), std::string::npos) << m;
    EXPECT_NE(m.find("6 bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("width 5"), std::string::npos) << m;
    EXPECT_EQ(m.find("Madrid"), std::string::npos) << "values stay out of messages: " << m;
  }
}

TEST(FixedWidthEncoder, WidthCountsBytesOfUtf8) {
  // "é" is 2 bytes in UTF-8: "café" fills a width of 5 exactly and does not fit in 4.
  EXPECT_EQ(encode(fixed(), {{"w", VC::kCharacter, 5}}, {"caf\xc3\xa9"}), "caf\xc3\xa9\n");
  EXPECT_THROW(encode(fixed(), {{"w", VC::kCharacter, 4}}, {"caf\xc3\xa9"}), Error);
}

TEST(FixedWidthEncoder, ValuesAreRedshiftsTextAndCopyEscapesAreDecoded) {
  // Floats as Redshift spells them (docs/redshift-unload.md#s5.1: nan/inf); COPY's "\t" is a real
  // TAB byte.
  EXPECT_EQ(encode(fixed(), {{"f", VC::kFloat, 4}, {"t", VC::kCharacter, 4}}, {"-Infinity\ta\\tb"}),
            "-inf"
            "a\tb \n");
}

TEST(FixedWidthEncoder, EscapeBackslashesLineBreaksAndCountsThem) {
  // Choice (docs/formats.md): ESCAPE puts '\' before LF, CR and '\' in character columns
  // (no delimiter to escape); the escaped bytes must fit the width.
  DelimitedOptions o = fixed();
  o.escape = true;
  EXPECT_EQ(encode(o, {{"t", VC::kCharacter, 7}}, {"a\\nb\\\\"}), "a\\\nb\\\\ \n");
  EXPECT_THROW(encode(o, {{"t", VC::kCharacter, 5}}, {"a\\nb\\\\"}), Error);
}

TEST(FixedWidthEncoder, RefusesDelimiterHeaderAndAddquotes) {
  // docs/redshift-unload.md#s1.3: not with DELIMITER or HEADER; ADDQUOTES not with FIXEDWIDTH.
  for (int i = 0; i < 3; ++i) {
    DelimitedOptions o = fixed();
    if (i == 0) o.delimiter = ',';
    if (i == 1) o.header = true;
    if (i == 2) o.addquotes = true;
    EXPECT_THROW(validate(o), Error) << i;
  }
}

TEST(FixedWidthEncoder, ResolvesNamesAndZeroBasedIndexes) {
  std::vector<std::string> result = {"venueid", "venuename", "venuecity"};
  using unload::FixedWidthColumn;
  // docs/redshift-unload.md#s1.3: colID may be a column name (`venueid:3`) or a 0-based index
  // (`0:3`).
  EXPECT_EQ(resolve_fixed_widths({{"venueid", 3}, {"venuename", 39}, {"venuecity", 16}}, result,
                                 {0, 1, 2}),
            (std::vector<uint32_t>{3, 39, 16}));
  EXPECT_EQ(resolve_fixed_widths({{"2", 16}, {"0", 3}, {"1", 39}}, result, {0, 1, 2}),
            (std::vector<uint32_t>{3, 39, 16}));
  // A column PARTITION BY leaves out of the files needs no width (and may have one).
  EXPECT_EQ(resolve_fixed_widths({{"0", 3}, {"venuecity", 16}}, result, {0, 2}),
            (std::vector<uint32_t>{3, 16}));
  EXPECT_THROW(resolve_fixed_widths({{"venueid", 3}}, result, {0, 1}), Error);  // none for 1
  EXPECT_THROW(resolve_fixed_widths({{"nosuch", 3}}, result, {}), Error);
  EXPECT_THROW(resolve_fixed_widths({{"3", 3}}, result, {}), Error);  // index out of range
  EXPECT_THROW(resolve_fixed_widths({{"0", 3}, {"venueid", 4}}, result, {0}), Error);
}

}  // namespace
}  // namespace cu::format
