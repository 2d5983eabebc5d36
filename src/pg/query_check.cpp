#include "pg/query_check.h"

#include <cctype>

#include "base/error.h"

namespace cu::pg {
namespace {

[[noreturn]] void reject(std::string message) {
  throw Error(ErrorKind::kUsage, "check query", "--query", std::move(message))
      .with_hint("give one SELECT (or WITH … SELECT, VALUES, TABLE) statement");
}

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// A tiny lexer: it only needs to know what is code and what is quoted or commented, so
// that a ';' or a keyword inside a string never counts.
struct Scanner {
  std::string_view s;
  size_t i = 0;

  // Skips whitespace and comments; returns false at the end.
  bool skip_blank() {
    while (i < s.size()) {
      char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
        auto nl = s.find('\n', i);
        i = nl == std::string_view::npos ? s.size() : nl + 1;
      } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
        int depth = 1;
        i += 2;
        while (depth > 0) {
          if (i + 1 >= s.size()) {
            reject("unterminated /* comment");
          }
          if (s[i] == '/' && s[i + 1] == '*') {
            ++depth;
            i += 2;
          } else if (s[i] == '*' && s[i + 1] == '/') {
            --depth;
            i += 2;
          } else {
            ++i;
          }
        }
      } else {
        return true;
      }
    }
    return false;
  }

  // Consumes one token starting at s[i] (not blank).
  void token() {
    char c = s[i];
    bool escape_string = (c == 'E' || c == 'e') && i + 1 < s.size() && s[i + 1] == '\'' &&
                         (i == 0 || !ident_char(s[i - 1]));
    if (escape_string) {
      ++i, c = '\'';
    }
    if (c == '\'' || c == '"') {
      char q = c;
      for (++i;; ++i) {
        if (i >= s.size()) {
          reject(q == '\'' ? "unterminated string literal" : "unterminated quoted identifier");
        }
        if (escape_string && s[i] == '\\') {
          ++i;
          continue;
        }
        if (s[i] == q) {
          if (i + 1 < s.size() && s[i + 1] == q) {
            ++i;
            continue;
          }
          ++i;
          return;
        }
      }
    }
    if (c == '$' && (i == 0 || !ident_char(s[i - 1]))) {
      auto close = s.find('$', i + 1);
      if (close != std::string_view::npos) {
        auto tag = s.substr(i, close - i + 1);
        bool valid = true;
        for (char t : tag.substr(1, tag.size() - 2)) {
          valid = valid && ident_char(t) && t != '$';
        }
        if (valid) {
          auto end = s.find(tag, close + 1);
          if (end == std::string_view::npos) {
            reject("unterminated dollar-quoted string");
          }
          i = end + tag.size();
          return;
        }
      }
    }
    if (ident_char(c)) {
      while (i < s.size() && ident_char(s[i])) {
        ++i;
      }
      return;
    }
    ++i;
  }
};

bool keyword_is(std::string_view word, std::string_view kw) {
  if (word.size() != kw.size()) {
    return false;
  }
  for (size_t k = 0; k < word.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(word[k])) != kw[k]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string checked_select(std::string_view sql) {
  Scanner sc{sql};
  // First keyword, after any opening parentheses.
  while (sc.skip_blank() && sql[sc.i] == '(') {
    ++sc.i;
  }
  if (sc.i >= sql.size()) {
    reject("the query is empty");
  }
  size_t start = sc.i;
  sc.token();
  std::string_view first = sql.substr(start, sc.i - start);
  if (!keyword_is(first, "select") && !keyword_is(first, "with") && !keyword_is(first, "values") &&
      !keyword_is(first, "table")) {
    std::string shown(first.substr(0, 40));
    reject("only a query that returns rows can be unloaded, not a statement starting with \"" +
           shown + "\"");
  }
  size_t end = sc.i;  // end of the last significant token before any ';'
  bool after_semicolon = false;
  while (sc.skip_blank()) {
    if (sql[sc.i] == ';') {
      after_semicolon = true;
      ++sc.i;
      continue;
    }
    if (after_semicolon) {
      reject("the query holds more than one statement");
    }
    sc.token();
    end = sc.i;
  }
  return std::string(sql.substr(0, end));
}

}  // namespace cu::pg
