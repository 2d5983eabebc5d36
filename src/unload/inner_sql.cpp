#include "unload/inner_sql.h"

#include <fmt/format.h>

#include "base/error.h"

namespace cu::unload {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

[[noreturn]] void fail(size_t pos, const std::string& message) {
  throw Error(ErrorKind::kUsage, "translate query", "",
              fmt::format("{} at position {} of the query", message, pos + 1));
}

}  // namespace

std::string to_postgres_sql(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      size_t end = s.find('"', i + 1);
      while (end != std::string_view::npos && end + 1 < s.size() && s[end + 1] == '"') {
        end = s.find('"', end + 2);
      }
      size_t stop = end == std::string_view::npos ? s.size() : end + 1;
      out.append(s.substr(i, stop - i));
      i = stop;
    } else if (s.substr(i, 2) == "--") {
      size_t end = s.find('\n', i);
      size_t stop = end == std::string_view::npos ? s.size() : end;
      out.append(s.substr(i, stop - i));
      i = stop;
    } else if (s.substr(i, 2) == "/*") {
      size_t end = s.find("*/", i + 2);
      size_t stop = end == std::string_view::npos ? s.size() : end + 2;
      out.append(s.substr(i, stop - i));
      i = stop;
    } else if (c == '\'') {
      // Decode per spec §2.4, then write as E'…' with `\` and `'` doubled.
      size_t start = i++;
      std::string value;
      for (;;) {
        if (i >= s.size()) {
          fail(start, "unterminated quoted string");
        }
        char d = s[i++];
        if (d == '\'') {
          if (i < s.size() && s[i] == '\'') {
            value += '\'';
            ++i;
            continue;
          }
          break;
        }
        if (d != '\\' || i >= s.size()) {
          value += d;
          continue;
        }
        char e = s[i++];
        switch (e) {
          case 'b':
            value += '\b';
            break;
          case 'f':
            value += '\f';
            break;
          case 'n':
            value += '\n';
            break;
          case 'r':
            value += '\r';
            break;
          case 't':
            value += '\t';
            break;
          default:
            if (is_octal(e)) {
              int v = e - '0';
              for (int k = 0; k < 2 && i < s.size() && is_octal(s[i]); ++k) {
                v = v * 8 + (s[i++] - '0');
              }
              value += static_cast<char>(v & 0xFF);
            } else {
              value += e;
            }
        }
      }
      if (value.find('\0') != std::string::npos) {
        fail(start, "a string literal contains a NUL byte, which PostgreSQL cannot hold");
      }
      out += "E'";
      for (char v : value) {
        if (v == '\\' || v == '\'') {
          out += v;
        }
        out += v;
      }
      out += '\'';
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace cu::unload
