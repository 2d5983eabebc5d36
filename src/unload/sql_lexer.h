#pragma once
// The one SQL tokenizer: every part of the product that must know what in a statement is
// code and what is quoted or commented out (the gateway's statement classification, the
// query checks, UNLOAD parsing and validation, the Redshift → PostgreSQL literal rewrite)
// reads the text through it, so that they all see the same statement.
//
//   cu::unload::sql::Lexer lex(text, cu::unload::sql::Dialect::kRedshift);
//   for (auto t = lex.next(); t.kind != TokenKind::kEnd; t = lex.next()) {
//     if (t.kind == TokenKind::kError) { … describe(t.error) … }
//     if (t.is_word("limit")) { … }
//   }
//
// Whitespace and comments separate tokens and are not tokens: `-- …` to the end of the
// line, and `/* … */`, which nests as in PostgreSQL and Redshift (`/* a /* b */ c */` is one
// comment). Quoted tokens:
//   '…'        a string; `''` is a quote. Redshift (PostgreSQL 8.0) also reads `\` as an
//              escape there (`'it\'s'`, spec §2.1); PostgreSQL with standard_conforming_strings
//              on (9.1+) does not.
//   E'…'       PostgreSQL only: a string whose `\` escapes. (Redshift has no E'…'; it reads
//              `E` as a word before a string, which ends at the same place.)
//   $tag$…$tag$, $$…$$   a dollar-quoted string (both dialects).
//   "…"        a quoted identifier; `""` is a quote.
// An opening quote or comment without its end is a kError token (and the last one).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cu::unload::sql {

enum class Dialect { kRedshift, kPostgres };

enum class TokenKind {
  kWord,          // keyword or identifier: letters, digits, `_`, `$`, bytes >= 0x80
  kQuotedIdent,   // "…"
  kString,        // '…' (or E'…' on PostgreSQL)
  kDollarString,  // $tag$…$tag$
  kNumber,        // 42, 6.2, .5, 1e-3
  kParam,         // $1
  kSymbol,        // any other single character: ( ) , ; . = < > + - * / …
  kEnd,
  kError,  // an unterminated quote or comment (error says which)
};

enum class LexError {
  kNone,
  kUnterminatedString,
  kUnterminatedIdent,
  kUnterminatedComment,
  kUnterminatedDollar,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t pos = 0;         // byte offset of the first character
  std::string_view text;  // the token's source text (quotes included)
  bool escapes = false;   // a string whose backslashes escape (Redshift '…', E'…')
  LexError error = LexError::kNone;

  size_t end() const { return pos + text.size(); }
  // Case-insensitive comparison of a word with a lower-case keyword.
  bool is_word(std::string_view lower_keyword) const;
  bool is_symbol(char c) const { return kind == TokenKind::kSymbol && text[0] == c; }
};

class Lexer {
 public:
  Lexer(std::string_view sql, Dialect dialect) : s_(sql), dialect_(dialect) {}

  // The next token after whitespace and comments; kEnd (or the kError) again and again at
  // the end. Lazy, so that a caller reports the first token it cannot use before any later
  // unterminated quote.
  Token next();

 private:
  void skip_blanks();
  Token quoted(size_t start, char quote, bool escapes);
  Token dollar(size_t start);

  std::string_view s_;
  Dialect dialect_;
  size_t i_ = 0;
  bool stopped_ = false;  // a kError was returned
  Token error_;
};

// Every token of `sql`, the last one kEnd or kError.
std::vector<Token> tokenize(std::string_view sql, Dialect dialect);

// The value of a kString token: quotes removed, `''` is `'`, and in a string whose
// backslashes escape, Redshift's table (spec §2.4): `\b \f \n \r \t`, `\` + 1–3 octal digits
// that byte, any other `\c` is c. The value of a kQuotedIdent: quotes removed, `""` is `"`.
std::string value_of(const Token& t);

// What an error token means, e.g. "unterminated quoted string". Never quotes the text: an
// unterminated literal may hold a secret.
const char* describe(LexError e);

}  // namespace cu::unload::sql
