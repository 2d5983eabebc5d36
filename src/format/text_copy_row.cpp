#include "format/text_copy_row.h"

#include "base/strings.h"

namespace cu::format {

void decode_copy_escapes(std::string_view raw, std::string& out) {
  size_t i = 0;
  while (i < raw.size()) {
    size_t bs = raw.find('\\', i);
    if (bs == std::string_view::npos) {
      out.append(raw.substr(i));
      return;
    }
    out.append(raw.substr(i, bs - i));
    i = bs + 1;
    if (i >= raw.size()) {  // a lone trailing backslash: keep it
      out += '\\';
      return;
    }
    char c = raw[i++];
    switch (c) {
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
      case 'v':
        out += '\v';
        break;
      case 'x': {
        int v = 0, digits = 0;
        while (digits < 2 && i < raw.size() && hex_digit(raw[i]) >= 0) {
          v = v * 16 + hex_digit(raw[i++]);
          ++digits;
        }
        if (digits == 0) {
          out += 'x';
        } else {
          out += static_cast<char>(v);
        }
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int digits = 1; digits < 3 && i < raw.size() && raw[i] >= '0' && raw[i] <= '7';
               ++digits) {
            v = v * 8 + (raw[i++] - '0');
          }
          out += static_cast<char>(v & 0xff);
        } else {
          out += c;  // \\ and any other escaped character stand for themselves
        }
    }
  }
}

}  // namespace cu::format
