// Redshift's default text format, byte for byte. Expected bytes come from the rules and
// examples of docs/redshift-unload.md#s5.1 (cited per case), never from the
// encoder. Inputs are rows as PostgreSQL's COPY text format sends them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "format/encoder.h"
#include "format/text_copy_row.h"

namespace cu::format {
namespace {

using VC = ValueClass;

std::string encode(const DelimitedOptions& o, std::vector<OutputColumn> cols,
                   std::vector<std::string> copy_rows) {
  auto enc = make_delimited_encoder(o, std::move(cols));
  std::string out;
  if (o.header) enc->encode_header(out);
  for (const auto& r : copy_rows) enc->encode_row(r, out);
  return out;
}

std::vector<OutputColumn> chars(size_t n) {
  std::vector<OutputColumn> c;
  for (size_t i = 0; i < n; ++i) c.push_back({"c" + std::to_string(i), VC::kCharacter});
  return c;
}

DelimitedOptions text() { return DelimitedOptions{}; }
DelimitedOptions escape() {
  DelimitedOptions o;
  o.escape = true;
  return o;
}

TEST(TextEncoder, SpecExampleRow) {
  // docs/redshift-unload.md#s5.1 example row: Atlanta|GA|2008-01-04|363.00|1362.00
  EXPECT_EQ(encode(text(),
                   {{"city", VC::kCharacter},
                    {"state", VC::kCharacter},
                    {"d", VC::kDateTime},
                    {"a", VC::kNumber},
                    {"b", VC::kNumber}},
                   {"Atlanta\tGA\t2008-01-04\t363.00\t1362.00"}),
            "Atlanta|GA|2008-01-04|363.00|1362.00\n");
}

TEST(TextEncoder, NullIsEmptyAndIndistinguishableFromEmptyString) {
  // docs/redshift-unload.md#s5.1: NULL -> zero-length field; '' is zero-length too.
  EXPECT_EQ(encode(text(), chars(3), {"\\N\t\tx"}), "||x\n");
}

TEST(TextEncoder, NullAsIsVerbatimAlsoForNumbers) {
  DelimitedOptions o;
  o.null_as = "NULL";
  EXPECT_EQ(encode(o, {{"a", VC::kNumber}, {"b", VC::kCharacter}}, {"\\N\t\\N"}), "NULL|NULL\n");
}

TEST(TextEncoder, LiteralNullAndBackslashNStrings) {
  // The text 'NULL' and the two characters \N are values, not NULL. COPY sends \N as \\N.
  EXPECT_EQ(encode(text(), chars(2), {"NULL\t\\\\N"}), "NULL|\\N\n");
  // With ESCAPE the backslash of \N is escaped (docs/redshift-unload.md#s5.1).
  EXPECT_EQ(encode(escape(), chars(2), {"NULL\t\\\\N"}), "NULL|\\\\N\n");
}

TEST(TextEncoder, WithoutEscapeNothingIsEscaped) {
  // docs/redshift-unload.md#s5.1: without ESCAPE, delimiter, LF, CR and backslash are written as
  // they are.
  EXPECT_EQ(encode(text(), chars(1), {"a|b\\nc\\rd\\\\e"}), "a|b\nc\rd\\e\n");
}

TEST(TextEncoder, EscapePutsBackslashBeforeLfCrDelimiterBackslash) {
  // docs/redshift-unload.md#s5.1: backslash before LF, CR, delimiter, backslash; LF stays a real LF
  // byte.
  EXPECT_EQ(encode(escape(), chars(1), {"a|b\\nc\\rd\\\\e"}), "a\\|b\\\nc\\\rd\\\\e\n");
  // The value a<LF> with delimiter | is stored as a\ + LF (SPARK-INPUT).
  EXPECT_EQ(encode(escape(), chars(1), {"a\\n"}), "a\\\n\n");
}

TEST(TextEncoder, EscapeLeavesQuotesAloneWithoutAddquotes) {
  EXPECT_EQ(encode(escape(), chars(1), {"say \"hi\" it's"}), "say \"hi\" it's\n");
}

TEST(TextEncoder, EscapeOnlyTouchesCharacterColumns) {
  // docs/redshift-unload.md#s5.1: ESCAPE applies to CHAR/VARCHAR; a date with DELIMITER '-' is left
  // alone.
  DelimitedOptions o = escape();
  o.delimiter = '-';
  EXPECT_EQ(encode(o, {{"d", VC::kDateTime}, {"s", VC::kCharacter}}, {"2008-01-04\tx-y"}),
            "2008-01-04-x\\-y\n");
}

TEST(TextEncoder, EscapeUsesTheChosenDelimiter) {
  DelimitedOptions o = escape();
  o.delimiter = ',';
  EXPECT_EQ(encode(o, chars(2), {"a,b|c\td"}), "a\\,b|c,d\n");
}

TEST(TextEncoder, TabAndControlCharactersPassThrough) {
  // Only LF, CR, delimiter and backslash are special; TAB, BS, FF, VT, 0x01 are data.
  EXPECT_EQ(encode(escape(), chars(1), {"a\\tb\\bc\\fd\\ve\\001f"}), std::string("a\tb\bc\fd\ve\x01"
                                                                                 "f\n"));
}

TEST(TextEncoder, MultiByteUtf8PassesThrough) {
  EXPECT_EQ(encode(escape(), chars(2), {"ü€😀\t日本|語"}), "ü€😀|日本\\|語\n");
}

TEST(TextEncoder, PlainRowsBesideRowsThatNeedWork) {
  // Rows with nothing to escape and no NULL, interleaved with rows that have either: every
  // row follows the same rules whichever way the encoder takes (docs/redshift-unload.md#s5.1).
  DelimitedOptions o = escape();
  o.delimiter = ',';
  EXPECT_EQ(encode(o, chars(3), {"a\tb c\t1", "x,y\t\\N\tz", "p\tq\tr", "\\N\t\t"}),
            "a,b c,1\nx\\,y,,z\np,q,r\n,,\n");
  DelimitedOptions tab;
  tab.delimiter = '\t';
  EXPECT_EQ(encode(tab, chars(2), {"a b\tc", "d\t\\N"}), "a b\tc\nd\t\n");
  // A float column is never copied blindly: NaN and Infinity have Redshift spellings.
  EXPECT_EQ(encode(text(), {{"f", VC::kFloat}, {"n", VC::kNumber}}, {"NaN\t1", "1.5\t2"}),
            "nan|1\n1.5|2\n");
  // Under ADDQUOTES every value is wrapped, plain rows too (docs/redshift-unload.md#s5.1).
  DelimitedOptions q;
  q.addquotes = true;
  EXPECT_EQ(encode(q, chars(2), {"a\tb"}), "\"a\"|\"b\"\n");
}

TEST(TextEncoder, AddquotesWrapsEveryValueNumbersToo) {
  // docs/redshift-unload.md#s5.1: "1","Hello, World"; embedded quotes are not doubled.
  DelimitedOptions o;
  o.addquotes = true;
  EXPECT_EQ(encode(o, {{"n", VC::kNumber}, {"s", VC::kCharacter}, {"q", VC::kCharacter}},
                   {"1\tHello, World\tsay \"hi\""}),
            "\"1\"|\"Hello, World\"|\"say \"hi\"\"\n");
}

TEST(TextEncoder, AddquotesWithEscapeEscapesBothQuoteCharacters) {
  // docs/redshift-unload.md#s5.1: with ADDQUOTES, ESCAPE also covers " and '.
  DelimitedOptions o = escape();
  o.addquotes = true;
  EXPECT_EQ(encode(o, chars(1), {"it's \"x\"|y"}), "\"it\\'s \\\"x\\\"\\|y\"\n");
}

TEST(TextEncoder, AddquotesLeavesNullUnquoted) {
  // OPEN-13, our choice (docs/formats.md): NULL is the bare NULL AS string, "" is ''.
  DelimitedOptions o;
  o.addquotes = true;
  EXPECT_EQ(encode(o, chars(3), {"\\N\t\tx"}), "|\"\"|\"x\"\n");
  o.null_as = "NULL";
  EXPECT_EQ(encode(o, chars(1), {"\\N"}), "NULL\n");
}

TEST(TextEncoder, EscapeAppliesToNullAsInCharacterColumns) {
  // Redshift escapes the NULL AS string too (NULL AS '\N' ESCAPE writes \\N; spectrify #6).
  DelimitedOptions o = escape();
  o.null_as = "\\N";
  EXPECT_EQ(encode(o, {{"s", VC::kCharacter}, {"n", VC::kNumber}}, {"\\N\t\\N"}), "\\\\N|\\N\n");
}

TEST(TextEncoder, HeaderUsesSameDelimiterQuotingAndEscaping) {
  // docs/redshift-unload.md#s5.1 example: venueid|venuename|venuecity|...
  DelimitedOptions o;
  o.header = true;
  EXPECT_EQ(encode(o, {{"venueid", VC::kNumber}, {"venuename", VC::kCharacter}}, {"1\tx"}),
            "venueid|venuename\n1|x\n");
  o.addquotes = true;
  o.escape = true;
  EXPECT_EQ(encode(o, {{"a|b", VC::kNumber}}, {}), "\"a\\|b\"\n");
}

TEST(TextEncoder, RedshiftSpellingOfFloatsAndBinary) {
  // docs/redshift-unload.md#s5.1: nan, inf, -inf; docs/redshift-unload.md#s5.6: VARBYTE as
  // hexadecimal.
  EXPECT_EQ(encode(text(),
                   {{"a", VC::kFloat},
                    {"b", VC::kFloat},
                    {"c", VC::kFloat},
                    {"d", VC::kFloat},
                    {"e", VC::kBinary},
                    {"f", VC::kCharacter}},
                   {"NaN\tInfinity\t-Infinity\t1.5\t\\\\x4142\tNaN"}),
            "nan|inf|-inf|1.5|4142|NaN\n");
}

TEST(TextEncoder, HundredKilobyteValue) {
  std::string value(100 * 1024, 'x');
  value[0] = '|';
  value[50000] = '\\';
  std::string copy_row = value;
  copy_row.replace(50000, 1, "\\\\");
  std::string expected = value;
  expected.replace(50000, 1, "\\\\");
  expected.replace(0, 1, "\\|");
  EXPECT_EQ(encode(escape(), chars(1), {copy_row}), expected + "\n");
  EXPECT_EQ(encode(text(), chars(1), {copy_row}), value + "\n");
}

TEST(TextEncoder, ManyRowsReuseState) {
  std::string out;
  auto enc = make_delimited_encoder(escape(), chars(2));
  enc->encode_row("a\\\\b\tc", out);
  enc->encode_row("d\te", out);
  EXPECT_EQ(out, "a\\\\b|c\nd|e\n");
}

TEST(CopyTextFields, DecodesEveryEscape) {
  std::string out;
  decode_copy_escapes("\\\\\\b\\f\\n\\r\\t\\v\\101\\x42\\q", out);
  EXPECT_EQ(out, std::string("\\\b\f\n\r\t\vABq"));
}

TEST(DelimitedOptions, RedshiftRules) {
  auto fails = [](DelimitedOptions o) {
    try {
      validate(o);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      return std::string(e.what());
    }
    return std::string();
  };
  DelimitedOptions o;
  o.format = DelimitedFormat::kCsv;
  o.addquotes = true;
  EXPECT_NE(fails(o).find("ADDQUOTES is not supported for UNLOAD to CSV"), std::string::npos);
  o.addquotes = false;
  o.escape = true;
  EXPECT_NE(fails(o).find("ESCAPE"), std::string::npos);
  o.escape = false;
  o.delimiter = '"';
  EXPECT_NE(fails(o), "");
  o = {};
  o.delimiter = '\n';
  EXPECT_NE(fails(o), "");
  o.delimiter = static_cast<char>(0xC3);
  EXPECT_NE(fails(o), "");
  o.delimiter = '\t';
  EXPECT_EQ(fails(o), "");
}

}  // namespace
}  // namespace cu::format
