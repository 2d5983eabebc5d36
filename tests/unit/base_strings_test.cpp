#include <gtest/gtest.h>

#include "base/strings.h"

namespace {

TEST(Strings, LowerAndUpperFoldAsciiOnly) {
  EXPECT_EQ(cu::lower("GZIP Csv_1"), "gzip csv_1");
  EXPECT_EQ(cu::upper("parquet-x"), "PARQUET-X");
  // Bytes of UTF-8 text are left alone whatever the locale.
  EXPECT_EQ(cu::lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
  EXPECT_TRUE(cu::iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(cu::iequals("abc", "abcd"));
  EXPECT_FALSE(cu::iequals("a-b", "a_b"));
}

TEST(Strings, TrimRemovesEveryKindOfBlankAtTheEndsOnly) {
  EXPECT_EQ(cu::trim(" \t\r\n\v\fa b\t \n"), "a b");
  EXPECT_EQ(cu::trim("   "), "");
  EXPECT_EQ(cu::trim(""), "");
  EXPECT_EQ(cu::trim("x"), "x");
}

TEST(Strings, PercentDecodeTakesEveryHexPairAndKeepsTheRest) {
  EXPECT_EQ(cu::percent_decode("a%2Fb%3dc%25d%3Ae"), "a/b=c%d:e");  // either case
  EXPECT_EQ(cu::percent_decode("x%0Ay%23%20z+"), "x\ny# z+");       // '+' is not a space
  EXPECT_EQ(cu::percent_decode("100%"), "100%");
  EXPECT_EQ(cu::percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(cu::percent_decode("%C3%A9"), "\xc3\xa9");
  EXPECT_EQ(cu::hex_digit('7'), 7);
  EXPECT_EQ(cu::hex_digit('b'), 11);
  EXPECT_EQ(cu::hex_digit('F'), 15);
  EXPECT_EQ(cu::hex_digit('g'), -1);
}

TEST(Strings, SplitKeepsEveryPiece) {
  EXPECT_EQ(cu::split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(cu::split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(cu::split("a;", ';'), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(cu::split(" a ", ','), (std::vector<std::string>{" a "}));
}

TEST(Strings, SplitTrimmedDropsBlankPieces) {
  EXPECT_EQ(cu::split_trimmed(" a, ,b ,", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(cu::split_trimmed("", ',').empty());
  EXPECT_TRUE(cu::split_trimmed(" , ", ',').empty());
}

TEST(Strings, HexIsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(cu::hex(std::string_view("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(cu::hex(""), "");
  std::string s = "x=";
  cu::append_hex(s, "\x10");
  EXPECT_EQ(s, "x=10");
}

TEST(Strings, EscapeControlsKeepsTabNewlineAndText) {
  EXPECT_EQ(cu::escape_controls("plain é text\tand\nlines"), "plain é text\tand\nlines");
  EXPECT_EQ(cu::escape_controls("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(cu::escape_controls(std::string_view("a\0b\rc\x7f", 6)), "a\\x00b\\x0dc\\x7f");
  EXPECT_EQ(cu::escape_controls(""), "");
}

enum class Color { kRed, kGreen, kBlue };
constexpr cu::Keyword<Color> kColorWords[] = {
    {Color::kRed, "red"}, {Color::kGreen, "green"}, {Color::kBlue, "blue"}};

TEST(Strings, KeywordTablesReadBothWays) {
  static_assert(cu::keyword_of(kColorWords, Color::kGreen) == "green");
  static_assert(cu::from_keyword(kColorWords, "blue") == Color::kBlue);
  EXPECT_EQ(cu::from_keyword(kColorWords, "Blue"), std::nullopt);
  EXPECT_EQ(cu::keyword_of(kColorWords, static_cast<Color>(7)), "?");
  EXPECT_EQ(cu::keyword_list(kColorWords), "red | green | blue");
  EXPECT_EQ(cu::keyword_list(kColorWords, ", "), "red, green, blue");
}

}  // namespace
