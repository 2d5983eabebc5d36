#pragma once
// PostgreSQL's COPY text escaping of one value, for tests that write what a text COPY
// would stream (tests/support/engine_fakes.h) or compare with it: backslash, TAB, LF and
// CR become \\ \t \n \r; everything else is kept. (NULL is \N, written by the caller.)

#include <string>
#include <string_view>

namespace cu::test {

inline void append_copy_text_escaped(std::string_view v, std::string& out) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace cu::test
