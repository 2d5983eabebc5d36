#include "unload/sql_text.h"

#include <cctype>

#include "base/strings.h"

namespace cu::unload {

std::string quote_literal(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\'') {
      out += "''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string e_literal(std::string_view text) {
  std::string out = "E'";
  out.reserve(text.size() + 3);
  for (char c : text) {
    if (c == '\\' || c == '\'') {
      out += c;
    }
    out += c;
  }
  out += '\'';
  return out;
}

namespace {

using u128 = unsigned __int128;

std::string to_decimal(u128 v) {
  if (v == 0) {
    return "0";
  }
  std::string s;
  while (v != 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

// Shortest decimal with at most 20 fractional digits whose floor(value * unit) == bytes,
// e.g. 6657199308 bytes in GB -> "6.2". A value with k digits is n / 10^k; the smallest such
// n with n * unit >= bytes * 10^k is the only candidate for that k.
std::string shortest_decimal(std::uint64_t bytes, std::uint64_t unit) {
  u128 pow10 = 1;
  for (int k = 0; k <= 20; ++k, pow10 *= 10) {
    u128 target = static_cast<u128>(bytes) * pow10;
    u128 n = (target + unit - 1) / unit;
    if ((n * unit) / pow10 == bytes) {
      std::string digits = to_decimal(n);
      if (k == 0) {
        return digits;
      }
      if (digits.size() <= static_cast<size_t>(k)) {
        digits.insert(0, static_cast<size_t>(k) + 1 - digits.size(), '0');
      }
      digits.insert(digits.size() - static_cast<size_t>(k), ".");
      return digits;
    }
  }
  return {};  // unreachable: 10^20 is a multiple of 2^20 and 2^30 / 10^20 < 1
}

}  // namespace

std::string format_size(std::uint64_t bytes) {
  std::string mb = shortest_decimal(bytes, kMB) + " MB";
  std::string gb = shortest_decimal(bytes, kGB) + " GB";
  return gb.size() < mb.size() ? gb : mb;
}

std::optional<std::uint64_t> parse_size(std::string_view number, std::string_view unit) {
  std::uint64_t mult = kMB;
  if (unit.empty() || iequals(unit, "MB")) {
    mult = kMB;
  } else if (iequals(unit, "GB")) {
    mult = kGB;
  } else {
    return std::nullopt;
  }
  u128 whole = 0, frac = 0, scale = 1;
  bool any_digit = false, dot = false;
  for (char c : number) {
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    any_digit = true;
    if (!dot) {
      whole = whole * 10 + static_cast<unsigned>(c - '0');
      if (whole > (u128{1} << 64)) {
        return std::nullopt;
      }
    } else if (scale < u128{10000000000} * 10000000000 * 1000) {  // 23 digits are plenty
      frac = frac * 10 + static_cast<unsigned>(c - '0');
      scale *= 10;
    }
  }
  if (!any_digit) {
    return std::nullopt;
  }
  u128 bytes = whole * mult + (frac * mult) / scale;
  if (bytes > UINT64_MAX) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(bytes);
}

std::optional<std::uint64_t> parse_size_text(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
    ++i;
  }
  size_t start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  std::string_view number = text.substr(start, i - start);
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
    ++i;
  }
  std::string_view unit = text.substr(i);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) {
    unit.remove_suffix(1);
  }
  return parse_size(number, unit);
}

}  // namespace cu::unload
