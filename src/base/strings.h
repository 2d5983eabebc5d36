#pragma once
// Small string helpers every area shares: ASCII case folding, trimming, splitting, hex, and
// the tables that map an enum to the words users write for it. All of them work on bytes
// and ignore the C locale (a config file, an HTTP header or an SQL keyword is ASCII).
//
//   cu::lower("GZIP")                    -> "gzip"
//   cu::trim("  a b \n")                 -> "a b"
//   cu::split("a,,b", ',')               -> {"a", "", "b"}
//   cu::split_trimmed(" a, ,b ", ',')    -> {"a", "b"}
//   cu::hex("\x01\xab")                  -> "01ab"
//   cu::percent_decode("a%2Fb%zz")       -> "a/b%zz"
//
//   enum class Mode { kAuto, kServer };
//   inline constexpr cu::Keyword<Mode> kModeWords[] = {{Mode::kAuto, "auto"},
//                                                      {Mode::kServer, "server"}};
//   cu::keyword_of(kModeWords, Mode::kServer)   -> "server"
//   cu::from_keyword(kModeWords, "auto")        -> Mode::kAuto (std::nullopt if unknown)

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cu {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// Space, tab, CR, LF, vertical tab, form feed (what std::isspace accepts in the C locale).
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string lower(std::string_view s);
std::string upper(std::string_view s);

// Equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

// `s` without leading and trailing whitespace (is_space).
std::string_view trim(std::string_view s);

// The pieces between each `sep`, as they are: n separators give n + 1 pieces, empty ones
// included ("" gives {""}).
std::vector<std::string> split(std::string_view s, char sep);

// The pieces between each `sep`, trimmed, empty ones left out (" a, ,b " gives {"a", "b"}).
std::vector<std::string> split_trimmed(std::string_view s, char sep);

// Lower-case hexadecimal digits of each byte, two per byte.
std::string hex(std::string_view bytes);
void append_hex(std::string& out, std::string_view bytes);

// The value of one hexadecimal digit (either case), or -1.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Percent-decoding (RFC 3986): every %XX (hex, either case) becomes its byte; anything else,
// a stray '%' and '+' included, is kept as it is. Used for URIs (SigV4's canonical query,
// where AWS encodes spaces as %20) and for Hive's partition folder names.
std::string percent_decode(std::string_view s);

// `s` with every control byte but tab and newline (0x00-0x1f, 0x7f) written as `\xNN`, so
// that text from input cannot drive a terminal (escape sequences) when echoed in an error.
std::string escape_controls(std::string_view s);

// One entry of an enum <-> word table. A table is a constexpr array of them, the one place
// where an enum's spelling is written; both directions read it.
template <typename E>
struct Keyword {
  E value;
  std::string_view word;
};

// The word for `value`, or "?" when the table lacks it.
template <typename E, std::size_t N>
constexpr std::string_view keyword_of(const Keyword<E> (&table)[N], E value) {
  for (const Keyword<E>& k : table) {
    if (k.value == value) {
      return k.word;
    }
  }
  return "?";
}

// The value whose word is `word` (exactly: fold case first where the input may vary).
template <typename E, std::size_t N>
constexpr std::optional<E> from_keyword(const Keyword<E> (&table)[N], std::string_view word) {
  for (const Keyword<E>& k : table) {
    if (k.word == word) {
      return k.value;
    }
  }
  return std::nullopt;
}

// The table's words joined by `sep`, for messages: "auto | server | client".
template <typename E, std::size_t N>
std::string keyword_list(const Keyword<E> (&table)[N], std::string_view sep = " | ") {
  std::string out;
  for (const Keyword<E>& k : table) {
    if (!out.empty()) {
      out += sep;
    }
    out += k.word;
  }
  return out;
}

}  // namespace cu
