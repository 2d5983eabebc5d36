#include "unload/sql_lexer.h"

#include <cctype>

namespace cu::unload::sql {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) { return is_word_start(c) || is_digit(c) || c == '$'; }

}  // namespace

bool Token::is_word(std::string_view lower_keyword) const {
  if (kind != TokenKind::kWord || text.size() != lower_keyword.size()) {
    return false;
  }
  for (size_t k = 0; k < text.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[k])) != lower_keyword[k]) {
      return false;
    }
  }
  return true;
}

void Lexer::skip_blanks() {
  while (i_ < s_.size()) {
    if (is_space(s_[i_])) {
      ++i_;
    } else if (s_.substr(i_, 2) == "--") {
      size_t nl = s_.find('\n', i_);
      i_ = nl == std::string_view::npos ? s_.size() : nl + 1;
    } else if (s_.substr(i_, 2) == "/*") {
      size_t start = i_;
      int depth = 0;
      do {
        if (i_ >= s_.size()) {
          stopped_ = true;
          error_ = Token{TokenKind::kError, start, s_.substr(start), false,
                         LexError::kUnterminatedComment};
          return;
        }
        if (s_.substr(i_, 2) == "/*") {
          ++depth;
          i_ += 2;
        } else if (s_.substr(i_, 2) == "*/") {
          --depth;
          i_ += 2;
        } else {
          ++i_;
        }
      } while (depth > 0);
    } else {
      return;
    }
  }
}

Token Lexer::quoted(size_t start, char quote, bool escapes) {
  // s_[i_] is the opening quote.
  for (++i_; i_ < s_.size(); ++i_) {
    char c = s_[i_];
    if (escapes && c == '\\') {
      ++i_;  // the escaped character, whatever it is
      continue;
    }
    if (c == quote) {
      if (i_ + 1 < s_.size() && s_[i_ + 1] == quote) {
        ++i_;
        continue;
      }
      ++i_;
      TokenKind kind = quote == '"' ? TokenKind::kQuotedIdent : TokenKind::kString;
      return Token{kind, start, s_.substr(start, i_ - start), escapes, LexError::kNone};
    }
  }
  i_ = s_.size();
  stopped_ = true;
  error_ = Token{TokenKind::kError, start, s_.substr(start), false,
                 quote == '"' ? LexError::kUnterminatedIdent : LexError::kUnterminatedString};
  return error_;
}

Token Lexer::dollar(size_t start) {
  // s_[start] == '$'. `$1` is a parameter; `$tag$` (tag: a word without `$`, not starting
  // with a digit) or `$$` opens a dollar quote; anything else is the symbol `$`.
  size_t j = start + 1;
  if (j < s_.size() && is_digit(s_[j])) {
    while (j < s_.size() && is_digit(s_[j])) {
      ++j;
    }
    i_ = j;
    return Token{TokenKind::kParam, start, s_.substr(start, j - start), false, LexError::kNone};
  }
  if (j < s_.size() && is_word_start(s_[j])) {
    while (j < s_.size() && is_word_char(s_[j]) && s_[j] != '$') {
      ++j;
    }
  }
  if (j >= s_.size() || s_[j] != '$') {
    i_ = start + 1;
    return Token{TokenKind::kSymbol, start, s_.substr(start, 1), false, LexError::kNone};
  }
  std::string_view tag = s_.substr(start, j + 1 - start);
  size_t close = s_.find(tag, j + 1);
  if (close == std::string_view::npos) {
    i_ = s_.size();
    stopped_ = true;
    error_ =
        Token{TokenKind::kError, start, s_.substr(start), false, LexError::kUnterminatedDollar};
    return error_;
  }
  i_ = close + tag.size();
  return Token{TokenKind::kDollarString, start, s_.substr(start, i_ - start), false,
               LexError::kNone};
}

Token Lexer::next() {
  if (stopped_) {
    return error_;
  }
  skip_blanks();
  if (stopped_) {
    return error_;
  }
  size_t start = i_;
  if (i_ >= s_.size()) {
    return Token{TokenKind::kEnd, start, {}, false, LexError::kNone};
  }
  char c = s_[i_];
  if (c == '\'') {
    return quoted(start, '\'', dialect_ == Dialect::kRedshift);
  }
  if (c == '"') {
    return quoted(start, '"', false);
  }
  if ((c == 'E' || c == 'e') && dialect_ == Dialect::kPostgres && i_ + 1 < s_.size() &&
      s_[i_ + 1] == '\'') {
    ++i_;
    return quoted(start, '\'', true);
  }
  if (c == '$') {
    return dollar(start);
  }
  if (is_word_start(c)) {
    while (i_ < s_.size() && is_word_char(s_[i_])) {
      ++i_;
    }
    return Token{TokenKind::kWord, start, s_.substr(start, i_ - start), false, LexError::kNone};
  }
  if (is_digit(c) || (c == '.' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) {
    bool dot = false;
    while (i_ < s_.size() && (is_digit(s_[i_]) || (s_[i_] == '.' && !dot))) {
      dot = dot || s_[i_] == '.';
      ++i_;
    }
    // An exponent only when digits follow (`5e3`, `1E-2`), so that `64MB` stays 64 + MB.
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      size_t j = i_ + 1;
      if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) {
        ++j;
      }
      if (j < s_.size() && is_digit(s_[j])) {
        while (j < s_.size() && is_digit(s_[j])) {
          ++j;
        }
        i_ = j;
      }
    }
    return Token{TokenKind::kNumber, start, s_.substr(start, i_ - start), false, LexError::kNone};
  }
  ++i_;
  return Token{TokenKind::kSymbol, start, s_.substr(start, 1), false, LexError::kNone};
}

std::vector<Token> tokenize(std::string_view sql, Dialect dialect) {
  std::vector<Token> out;
  Lexer lex(sql, dialect);
  for (;;) {
    out.push_back(lex.next());
    if (out.back().kind == TokenKind::kEnd || out.back().kind == TokenKind::kError) {
      return out;
    }
  }
}

std::string value_of(const Token& t) {
  std::string out;
  std::string_view s = t.text;
  if (t.kind == TokenKind::kQuotedIdent) {
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      out += s[i];
      if (s[i] == '"') {
        ++i;  // `""`
      }
    }
    return out;
  }
  if (t.kind != TokenKind::kString) {
    return std::string(s);
  }
  size_t i = s.front() == '\'' ? 1 : 2;  // '…' or E'…'
  size_t stop = s.size() - 1;
  while (i < stop) {
    char c = s[i++];
    if (c == '\'') {
      out += '\'';
      ++i;  // `''`
      continue;
    }
    if (c != '\\' || !t.escapes || i >= stop) {
      out += c;
      continue;
    }
    char e = s[i++];
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      default:
        if (is_octal(e)) {
          int v = e - '0';
          for (int k = 0; k < 2 && i < stop && is_octal(s[i]); ++k) {
            v = v * 8 + (s[i++] - '0');
          }
          out += static_cast<char>(v & 0xFF);
        } else {
          out += e;
        }
    }
  }
  return out;
}

const char* describe(LexError e) {
  switch (e) {
    case LexError::kNone:
      return "no error";
    case LexError::kUnterminatedString:
      return "unterminated quoted string";
    case LexError::kUnterminatedIdent:
      return "unterminated quoted identifier";
    case LexError::kUnterminatedComment:
      return "unterminated /* comment";
    case LexError::kUnterminatedDollar:
      return "unterminated dollar-quoted string";
  }
  return "?";
}

}  // namespace cu::unload::sql
