#include "base/syntax_error.h"

#include <algorithm>
#include <cctype>

namespace cu {

std::string json_syntax_error(std::string_view what) {
  // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error while
  // parsing value - invalid literal; last read: '<input>'; expected '[', '{', or a literal"
  if (auto id = what.find("] "); what.starts_with("[json.exception.") && id != what.npos) {
    what.remove_prefix(id + 2);
  }
  auto last = what.find("; last read: '");
  if (last == std::string_view::npos) {
    return std::string(what);
  }
  std::string out(what.substr(0, last));
  // What follows the quoted input is "; expected " and one of nlohmann's token names; the
  // input may hold such text too, but then it is only ever one of these names.
  static const char* const kTokens[] = {"'[', '{', or a literal",
                                        "string literal",
                                        "number literal",
                                        "true literal",
                                        "false literal",
                                        "null literal",
                                        "end of input",
                                        "'['",
                                        "'{'",
                                        "']'",
                                        "'}'",
                                        "':'",
                                        "','"};
  for (const char* token : kTokens) {
    if (what.ends_with(std::string("'; expected ") + token)) {
      out += std::string("; expected ") + token;
      break;
    }
  }
  return out;
}

std::string toml_syntax_error(std::string_view description) {
  if (auto saw = description.find(", saw "); saw != std::string_view::npos) {
    description = description.substr(0, saw);
  }
  std::string out;
  for (size_t i = 0; i < description.size();) {
    size_t open = description.find('\'', i);
    if (open == std::string_view::npos) {
      out += description.substr(i);
      break;
    }
    size_t close = description.find('\'', open + 1);
    std::string_view quoted = description.substr(
        open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
    bool mark = quoted.size() <= 2 && std::all_of(quoted.begin(), quoted.end(), [](char c) {
                  return std::ispunct(static_cast<unsigned char>(c)) != 0;
                });
    out += description.substr(i, open - i);
    out += mark ? "'" + std::string(quoted) + "'" : std::string("'…'");
    if (close == std::string_view::npos) {
      break;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace cu
