// The one SQL lexer (unload/sql_lexer.h): tricky statements and the tokens each dialect
// reads in them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unload/sql_lexer.h"

namespace cu::unload::sql {
namespace {

// One line per token: a kind letter and the token's text; an error names what is open.
std::vector<std::string> tokens(std::string_view text, Dialect d) {
  std::vector<std::string> out;
  for (const Token& t : tokenize(text, d)) {
    switch (t.kind) {
      case TokenKind::kWord:
        out.push_back("W " + std::string(t.text));
        break;
      case TokenKind::kQuotedIdent:
        out.push_back("I " + std::string(t.text));
        break;
      case TokenKind::kString:
        out.push_back("S " + std::string(t.text));
        break;
      case TokenKind::kDollarString:
        out.push_back("D " + std::string(t.text));
        break;
      case TokenKind::kNumber:
        out.push_back("N " + std::string(t.text));
        break;
      case TokenKind::kParam:
        out.push_back("P " + std::string(t.text));
        break;
      case TokenKind::kSymbol:
        out.push_back("Y " + std::string(t.text));
        break;
      case TokenKind::kError:
        out.push_back("E " + std::string(describe(t.error)) + " @" + std::to_string(t.pos));
        break;
      case TokenKind::kEnd:
        break;
    }
  }
  return out;
}

constexpr auto R = Dialect::kRedshift;
constexpr auto P = Dialect::kPostgres;

struct Case {
  const char* what;
  const char* sql;
  std::vector<std::string> redshift;
  std::vector<std::string> postgres;  // empty: as Redshift's
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"a comment nests: the first */ closes the inner one only",
       "select 1 /* a /* b */ limit 1 */",
       {"W select", "N 1"},
       {}},
      {"comments between tokens, -- to the end of the line",
       "/* a */ select/**/x -- y */ limit\n, 2",
       {"W select", "W x", "Y ,", "N 2"},
       {}},
      {"-- inside a string and a string inside a comment",
       "select '--x', /* 'y */ 1",
       {"W select", "S '--x'", "Y ,", "N 1"},
       {}},
      {"doubled quote", "select 'it''s'", {"W select", "S 'it''s'"}, {}},
      {"Redshift's backslash-escaped quote; PostgreSQL reads a backslash",
       R"(select 'it\'s' x)",
       {"W select", R"(S 'it\'s')", "W x"},
       {"W select", R"(S 'it\')", "W s", "E unterminated quoted string @13"}},
      {"an escaped backslash ends the literal in both readings",
       R"(select 'a\\' b)",
       {"W select", R"(S 'a\\')", "W b"},
       {}},
      {"E'…': PostgreSQL's escape string; Redshift reads the word E and a literal",
       R"(select E'it\'s', e'\\')",
       {"W select", "W E", R"(S 'it\'s')", "Y ,", "W e", R"(S '\\')"},
       {"W select", R"(S E'it\'s')", "Y ,", R"(S e'\\')"}},
      {"E only at the start of a word", "select fooE'x'", {"W select", "W fooE", "S 'x'"}, {}},
      {"dollar quotes, with and without a tag",
       "select $$it's$$, $t$ a $$ b ; $t$",
       {"W select", "D $$it's$$", "Y ,", "D $t$ a $$ b ; $t$"},
       {}},
      {"$ inside a word, a parameter, a lone $",
       "select a$b, $1, $ 2",
       {"W select", "W a$b", "Y ,", "P $1", "Y ,", "Y $", "N 2"},
       {}},
      {"quoted identifiers: doubled quote, a quote mark inside",
       R"(select "a""b", "it's" from t)",
       {"W select", R"(I "a""b")", "Y ,", R"(I "it's")", "W from", "W t"},
       {}},
      {"numbers and units",
       "64MB 1.5e3x .5 5e",
       {"N 64", "W MB", "N 1.5e3", "W x", "N .5", "N 5", "W e"},
       {}},
      {"multi-byte identifiers", "select café", {"W select", "W café"}, {}},
      {"casts are symbols", "x::int", {"W x", "Y :", "Y :", "W int"}, {}},
      {"unterminated nested comment",
       "select 1 /* a /* b */",
       {"W select", "N 1", "E unterminated /* comment @9"},
       {}},
      {"unterminated quoted identifier",
       R"(select "ab)",
       {"W select", "E unterminated quoted identifier @7"},
       {}},
      {"unterminated dollar quote",
       "select $q$ abc $$",
       {"W select", "E unterminated dollar-quoted string @7"},
       {}},
      {"unterminated: a backslash escapes the closing quote",
       R"(select 'abc\')",
       {"W select", "E unterminated quoted string @7"},
       {"W select", R"(S 'abc\')"}},
  };
  return c;
}

TEST(SqlLexer, TrickyStatements) {
  for (const Case& c : cases()) {
    EXPECT_EQ(tokens(c.sql, R), c.redshift) << c.what << "\n" << c.sql;
    EXPECT_EQ(tokens(c.sql, P), c.postgres.empty() ? c.redshift : c.postgres) << c.what << "\n"
                                                                              << c.sql;
  }
}

TEST(SqlLexer, IsLazyAndStopsAtTheFirstError) {
  Lexer lex("unload ('x /* more", R);
  EXPECT_TRUE(lex.next().is_word("unload"));
  EXPECT_TRUE(lex.next().is_symbol('('));
  Token e = lex.next();
  EXPECT_EQ(e.kind, TokenKind::kError);
  EXPECT_EQ(e.pos, 8u);
  EXPECT_EQ(lex.next().kind, TokenKind::kError);  // and stays there
  Lexer empty("  -- only a comment\n /* and /* another */ */ ", R);
  EXPECT_EQ(empty.next().kind, TokenKind::kEnd);
  EXPECT_EQ(empty.next().kind, TokenKind::kEnd);
}

TEST(SqlLexer, ValuesOfStringsAndIdentifiers) {
  auto value = [](std::string_view text, Dialect d) { return value_of(tokenize(text, d)[0]); };
  // Redshift's table (spec §2.4).
  EXPECT_EQ(value(R"('a''b')", R), "a'b");
  EXPECT_EQ(value(R"('a\'b')", R), "a'b");
  EXPECT_EQ(value(R"('a\\b')", R), "a\\b");
  EXPECT_EQ(value(R"('\b\f\n\r\t')", R), "\b\f\n\r\t");
  EXPECT_EQ(value(R"('\101\0612\7')", R), std::string("A12\x07"));
  EXPECT_EQ(value(R"('\x41\q\%')", R), "x41q%");
  EXPECT_EQ(value("''", R), "");
  // PostgreSQL: a backslash is a character, except in E'…'.
  EXPECT_EQ(value(R"('a\b')", P), "a\\b");
  EXPECT_EQ(value(R"(E'a\'b')", P), "a'b");
  // Identifiers keep their case; `""` is a quote.
  EXPECT_EQ(value(R"("Say ""hi""")", R), "Say \"hi\"");
  EXPECT_EQ(value(R"("a\b")", R), "a\\b");
}

TEST(SqlLexer, ErrorsNeverQuoteTheText) {
  for (LexError e : {LexError::kUnterminatedString, LexError::kUnterminatedIdent,
                     LexError::kUnterminatedComment, LexError::kUnterminatedDollar}) {
    EXPECT_EQ(std::string(describe(e)).find('\''), std::string::npos);
  }
}

}  // namespace
}  // namespace cu::unload::sql
