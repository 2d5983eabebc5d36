#include "unload/pii.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/error.h"
#include "unload/mask.h"

namespace cu::unload {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_alpha(char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
constexpr bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
constexpr bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The character at `i`, or NUL past the end (NUL is no digit, letter or separator).
char at(std::string_view v, std::size_t i) { return i < v.size() ? v[i] : '\0'; }
// True at the start of the value or after a character that is not a digit.
bool digit_boundary_before(std::string_view v, std::size_t i) {
  return i == 0 || !is_digit(v[i - 1]);
}

// ---- e-mail: [A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2}
constexpr std::string_view kEmailRegex =
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z][A-Za-z]";

bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool is_label_char(char c) { return is_alnum(c) || c == '-'; }

bool email_at(std::string_view v, std::size_t at_sign) {
  if (at_sign == 0 || !is_local_char(v[at_sign - 1])) {
    return false;
  }
  std::size_t i = at_sign + 1;
  if (!is_label_char(at(v, i))) {
    return false;
  }
  while (is_label_char(at(v, i))) {
    ++i;
  }
  while (at(v, i) == '.') {
    if (is_alpha(at(v, i + 1)) && is_alpha(at(v, i + 2))) {
      return true;
    }
    if (!is_label_char(at(v, i + 1))) {
      return false;
    }
    ++i;
    while (is_label_char(at(v, i))) {
      ++i;
    }
  }
  return false;
}

bool match_email(std::string_view v) {
  for (std::size_t i = v.find('@'); i != std::string_view::npos; i = v.find('@', i + 1)) {
    if (email_at(v, i)) {
      return true;
    }
  }
  return false;
}

// ---- phone numbers: E.164 (+ and 8 to 15 digits, blanks, dots, dashes, parentheses between
// them), North American (NNN) NNN-NNNN / NNN-NNN-NNNN, and the trunk-prefix national form of
// most other countries (0AA[A] NNN[N] NNN[N]).
constexpr std::string_view kPhoneRegex =
    "[+][1-9]([ .()-]{0,2}[0-9]){7,14}([^0-9]|$)"
    "|(^|[^0-9])([(][0-9]{3}[)] ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)"
    "|(^|[^0-9])0[1-9][0-9]{1,3}[ -][0-9]{3,4}[ -]?[0-9]{3,4}([^0-9]|$)";

bool is_phone_sep(char c) { return c == ' ' || c == '.' || c == '(' || c == ')' || c == '-'; }

bool e164_at(std::string_view v, std::size_t plus) {
  std::size_t i = plus + 1;
  if (!is_digit(at(v, i)) || v[i] == '0') {
    return false;
  }
  ++i;
  for (int digits = 1; digits < 15; ++digits) {
    int seps = 0;
    while (seps < 2 && is_phone_sep(at(v, i))) {
      ++i;
      ++seps;
    }
    if (!is_digit(at(v, i))) {
      return false;
    }
    ++i;
    if (digits + 1 >= 8 && !is_digit(at(v, i))) {
      return true;
    }
  }
  return false;
}

// `n` digits at `i`; advances `i`.
bool digits_at(std::string_view v, std::size_t& i, int n) {
  for (int k = 0; k < n; ++k, ++i) {
    if (!is_digit(at(v, i))) {
      return false;
    }
  }
  return true;
}

bool north_american_at(std::string_view v, std::size_t start) {
  std::size_t i = start;
  if (at(v, i) == '(') {
    ++i;
    if (!digits_at(v, i, 3) || at(v, i) != ')') {
      return false;
    }
    ++i;
    if (at(v, i) == ' ') {
      ++i;
    }
  } else {
    if (!digits_at(v, i, 3)) {
      return false;
    }
    char c = at(v, i);
    if (c != ' ' && c != '.' && c != '-') {
      return false;
    }
    ++i;
  }
  if (!digits_at(v, i, 3)) {
    return false;
  }
  char c = at(v, i);
  if (c != ' ' && c != '.' && c != '-') {
    return false;
  }
  ++i;
  return digits_at(v, i, 4) && !is_digit(at(v, i));
}

bool national_at(std::string_view v, std::size_t start) {
  std::size_t i0 = start;
  if (at(v, i0) != '0' || !is_digit(at(v, i0 + 1)) || v[i0 + 1] == '0') {
    return false;
  }
  i0 += 2;
  // 0[1-9][0-9]{1,3}[ -][0-9]{3,4}[ -]?[0-9]{3,4} then a non-digit: every split is tried, as
  // the regular expression's backtracking does.
  for (int a = 1; a <= 3; ++a) {
    std::size_t i = i0;
    if (!digits_at(v, i, a) || (at(v, i) != ' ' && at(v, i) != '-')) {
      continue;
    }
    ++i;
    for (int b = 3; b <= 4; ++b) {
      std::size_t j = i;
      if (!digits_at(v, j, b)) {
        continue;
      }
      for (int sep = 0; sep <= 1; ++sep) {
        std::size_t k = j;
        if (sep == 1) {
          if (at(v, k) != ' ' && at(v, k) != '-') {
            continue;
          }
          ++k;
        }
        for (int c = 3; c <= 4; ++c) {
          std::size_t m = k;
          if (digits_at(v, m, c) && !is_digit(at(v, m))) {
            return true;
          }
        }
      }
    }
  }
  return false;
}

bool match_phone(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '+' && e164_at(v, i)) {
      return true;
    }
    if ((c == '(' || is_digit(c)) && digit_boundary_before(v, i) &&
        (north_american_at(v, i) || national_at(v, i))) {
      return true;
    }
  }
  return false;
}

// ---- payment cards: 13 to 19 digits (single blanks or dashes between), starting as the
// card networks' numbers do (22-27 Mastercard, 3 Amex/JCB/Diners, 4 Visa, 5 Mastercard,
// 6 Discover/UnionPay: never 0, 1, 7, 8, 9 or 20, 21, so compact timestamps 20yymmdd… are
// no candidates), passing the Luhn check.
constexpr std::string_view kCardRegex =
    "(^|[^0-9])(2[2-7]|[3-6][0-9])([ -]?[0-9]){11,17}([^0-9]|$)";

bool card_at(std::string_view v, std::size_t start) {
  char first = v[start];
  char second = at(v, start + 1);
  if (!is_digit(second) || first < '2' || first > '6' ||
      (first == '2' && (second < '2' || second > '7'))) {
    return false;
  }
  char digits[19];
  std::size_t n = 0;
  std::size_t i = start;
  digits[n++] = v[i++];
  digits[n++] = v[i++];
  while (n < 19) {
    std::size_t j = i;
    if (at(v, j) == ' ' || at(v, j) == '-') {
      ++j;
    }
    if (!is_digit(at(v, j))) {
      return false;
    }
    digits[n++] = v[j];
    i = j + 1;
    if (n >= 13 && !is_digit(at(v, i)) && luhn_valid(std::string_view(digits, n))) {
      return true;
    }
  }
  return false;
}

bool match_card(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (is_digit(v[i]) && digit_boundary_before(v, i) && card_at(v, i)) {
      return true;
    }
  }
  return false;
}

// ---- IBAN: country, check digits, then groups of four (a blank between groups allowed),
// 15 to 34 characters, passing the mod-97 check.
constexpr std::string_view kIbanRegex =
    "(^|[^A-Za-z0-9])[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,3})?([^A-Za-z0-9]|$)";

bool is_iban_char(char c) { return is_upper(c) || is_digit(c); }

bool iban_at(std::string_view v, std::size_t start) {
  if (!is_upper(at(v, start)) || !is_upper(at(v, start + 1)) || !is_digit(at(v, start + 2)) ||
      !is_digit(at(v, start + 3))) {
    return false;
  }
  char chars[40];
  std::size_t n = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    chars[n++] = v[start + k];
  }
  std::size_t i = start + 4;
  auto candidate = [&](std::size_t end) {
    return !is_alnum(at(v, end)) && n >= 15 && n <= 34 &&
           iban_checksum_valid(std::string_view(chars, n));
  };
  for (int groups = 0; groups < 7; ++groups) {
    std::size_t j = i;
    if (at(v, j) == ' ' && is_iban_char(at(v, j + 1))) {
      ++j;
    }
    std::size_t got = 0;
    while (got < 4 && is_iban_char(at(v, j))) {
      chars[n++] = v[j++];
      ++got;
    }
    if (got == 0) {
      return false;
    }
    if (got < 4) {
      return groups >= 2 && candidate(j);
    }
    i = j;
    if (groups + 1 >= 2 && candidate(i)) {
      return true;
    }
  }
  // Seven groups: a last partial group of one to three may follow.
  std::size_t j = i;
  if (at(v, j) == ' ' && is_iban_char(at(v, j + 1))) {
    ++j;
  }
  std::size_t got = 0;
  while (got < 3 && is_iban_char(at(v, j))) {
    chars[n++] = v[j++];
    ++got;
  }
  return got > 0 && candidate(j);
}

bool match_iban(std::string_view v) {
  for (std::size_t i = 0; i + 15 <= v.size(); ++i) {
    if (is_upper(v[i]) && (i == 0 || !is_alnum(v[i - 1])) && iban_at(v, i)) {
      return true;
    }
  }
  return false;
}

// ---- US social security numbers: AAA-GG-SSSS, area not 000, 666 or 9xx, group not 00,
// serial not 0000.
constexpr std::string_view kSsnRegex =
    "(^|[^0-9])(00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])"
    "-(0[1-9]|[1-9][0-9])-(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})([^0-9]|$)";

int number(std::string_view v, std::size_t i, int n) {
  int x = 0;
  for (int k = 0; k < n; ++k) {
    x = x * 10 + (v[i + static_cast<std::size_t>(k)] - '0');
  }
  return x;
}

bool ssn_at(std::string_view v, std::size_t start) {
  std::size_t i = start;
  if (!digits_at(v, i, 3) || at(v, i) != '-') {
    return false;
  }
  ++i;
  if (!digits_at(v, i, 2) || at(v, i) != '-') {
    return false;
  }
  ++i;
  if (!digits_at(v, i, 4) || is_digit(at(v, i))) {
    return false;
  }
  int area = number(v, start, 3);
  int group = number(v, start + 4, 2);
  int serial = number(v, start + 7, 4);
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

bool match_ssn(std::string_view v) {
  for (std::size_t i = 0; i + 11 <= v.size(); ++i) {
    if (is_digit(v[i]) && digit_boundary_before(v, i) && ssn_at(v, i)) {
      return true;
    }
  }
  return false;
}

// ---- IPv4: four octets 0-255 without leading zeros, not part of a longer dotted number.
constexpr std::string_view kIpv4Regex =
    "(^|[^0-9.])(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    "([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}([^0-9.]|$|[.]([^0-9]|$))";

bool octet_at(std::string_view v, std::size_t& i) {
  std::size_t start = i;
  while (is_digit(at(v, i)) && i - start < 4) {
    ++i;
  }
  std::size_t len = i - start;
  if (len == 0 || len > 3 || (len > 1 && v[start] == '0')) {
    return false;
  }
  return number(v, start, static_cast<int>(len)) <= 255;
}

bool ipv4_at(std::string_view v, std::size_t start) {
  std::size_t i = start;
  for (int k = 0; k < 4; ++k) {
    if (k > 0) {
      if (at(v, i) != '.') {
        return false;
      }
      ++i;
    }
    if (!octet_at(v, i)) {
      return false;
    }
  }
  char next = at(v, i);
  return !is_digit(next) && (next != '.' || !is_digit(at(v, i + 1)));
}

bool match_ipv4(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (is_digit(v[i]) && (i == 0 || (!is_digit(v[i - 1]) && v[i - 1] != '.')) && ipv4_at(v, i)) {
      return true;
    }
  }
  return false;
}

// ---- IPv6: a run of hex digits and colons (two colons at least) that is an address.
#define CU_H "[0-9A-Fa-f]{1,4}"
constexpr std::string_view kIpv6Regex =
    "(^|[^0-9A-Za-z:])((" CU_H ":){7}" CU_H "|(" CU_H ":){1,7}:|(" CU_H ":){1,6}(:" CU_H
    "){1,6}|:(:" CU_H "){1,7})([^0-9A-Za-z:]|$)";
#undef CU_H

bool match_ipv6(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size()) {
    if (!is_hex(v[i]) && v[i] != ':') {
      ++i;
      continue;
    }
    std::size_t start = i;
    int colons = 0;
    bool hex = false;
    while (i < v.size() && (is_hex(v[i]) || v[i] == ':' || v[i] == '.')) {
      colons += v[i] == ':' ? 1 : 0;
      hex = hex || is_hex(v[i]);
      ++i;
    }
    std::size_t end = i;
    while (end > start && v[end - 1] == '.') {
      --end;  // a sentence's full stop
    }
    bool bounded = (start == 0 || !is_alnum(v[start - 1])) && !is_alnum(at(v, end));
    // An address has eight groups (seven colons; six before a dotted IPv4 tail) or "::": a
    // time of day (10:20:30) has neither and is no candidate.
    std::string_view token = v.substr(start, end - start);
    bool shaped = colons >= 7 || token.find("::") != std::string_view::npos ||
                  (colons == 6 && token.find('.') != std::string_view::npos);
    if (bounded && shaped && hex && end - start <= 45) {
      char text[46];
      std::copy(v.begin() + static_cast<std::ptrdiff_t>(start),
                v.begin() + static_cast<std::ptrdiff_t>(end), text);
      text[end - start] = '\0';
      in6_addr addr{};
      if (inet_pton(AF_INET6, text, &addr) == 1) {
        return true;
      }
    }
    // Continue after the run (a run ended by a letter is skipped whole).
    while (i < v.size() && is_alnum(v[i])) {
      ++i;
    }
  }
  return false;
}

bool name_pattern_matches(std::string_view pattern, std::string_view word) {
  bool head = pattern.starts_with('*');
  bool tail = pattern.ends_with('*');
  std::string_view core = pattern.substr(head ? 1 : 0);
  core = core.substr(0, core.size() - (tail ? 1 : 0));
  if (head && tail) {
    return word.find(core) != std::string_view::npos;
  }
  if (tail) {
    return word.starts_with(core);
  }
  if (head) {
    return word.ends_with(core);
  }
  return word == core;
}

std::string percent(double share) { return fmt::format("{:.1f} %", share * 100.0); }

}  // namespace

const std::vector<PiiDetectorInfo>& detectors() {
  static const std::vector<PiiDetectorInfo> table = {
      {PiiDetector::kEmail, "email", kEmailRegex, match_email, {"*email*", "mail"}},
      {PiiDetector::kPhone,
       "phone",
       kPhoneRegex,
       match_phone,
       {"*phone*", "mobile", "fax", "msisdn"}},
      {PiiDetector::kCard,
       "card",
       kCardRegex,
       match_card,
       {"card*", "creditcard*", "debitcard*", "pan"}},
      {PiiDetector::kIban, "iban", kIbanRegex, match_iban, {"iban*"}},
      {PiiDetector::kSsn, "ssn", kSsnRegex, match_ssn, {"ssn*"}},
      {PiiDetector::kIpv4, "ipv4", kIpv4Regex, match_ipv4, {}},
      {PiiDetector::kIpv6, "ipv6", kIpv6Regex, match_ipv6, {}},
      {PiiDetector::kBirthDate, "date of birth", "", nullptr, {"dob", "*birth*"}},
  };
  return table;
}

const PiiDetectorInfo& detector(PiiDetector id) {
  return detectors()[static_cast<std::size_t>(id)];
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) {
    return false;
  }
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) {
      return false;
    }
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool iban_checksum_valid(std::string_view iban) {
  if (iban.size() < 5) {
    return false;
  }
  // The first four characters move to the end; letters count as 10..35; the number mod 97
  // is 1 (ISO 13616). Computed piecewise: the number has up to 68 digits.
  int rem = 0;
  auto add = [&](char c) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (is_upper(c)) {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      rem = -1000;  // not an IBAN character
    }
  };
  for (char c : iban.substr(4)) {
    add(c);
  }
  for (char c : iban.substr(0, 4)) {
    add(c);
  }
  return rem == 1;
}

std::optional<PiiDetector> detector_by_name(std::string_view column) {
  std::string name = lower(column);
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < name.size()) {
    while (i < name.size() && !is_alnum(name[i])) {
      ++i;
    }
    std::size_t start = i;
    while (i < name.size() && is_alnum(name[i])) {
      ++i;
    }
    if (i > start) {
      words.push_back(std::string_view(name).substr(start, i - start));
    }
  }
  for (const auto& d : detectors()) {
    for (std::string_view pattern : d.name_patterns) {
      for (std::string_view w : words) {
        if (name_pattern_matches(pattern, w)) {
          return d.id;
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<double> parse_pii_threshold(std::string_view text) {
  std::string_view t = trim(text);
  if (t.ends_with('%')) {
    t = trim(t.substr(0, t.size() - 1));
  }
  double pct = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), pct);
  if (ec != std::errc() || end != t.data() + t.size() || !(pct > 0) || pct > 100) {
    return std::nullopt;
  }
  return pct / 100.0;
}

PiiScan::PiiScan(std::vector<PiiColumn> columns, PiiSettings settings)
    : columns_(std::move(columns)),
      settings_(std::move(settings)),
      checked_(columns_.size(), 0),
      matched_(columns_.size()) {
  for (auto& m : matched_) {
    m.fill(0);
  }
}

namespace {

// What a character can take part in, for the one pass over each value that decides which
// detectors can match at all (most values need none).
enum : std::uint8_t {
  kDigit = 1,
  kAt = 2,
  kColon = 4,
  kDot = 8,
  kDash = 16,
  kPhoneMark = 32,  // + ( and blank: only phone numbers need them beside their digits
  kUpper = 64,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) {
    t[c] = kDigit;
  }
  for (int c = 'A'; c <= 'Z'; ++c) {
    t[c] = kUpper;
  }
  t['@'] = kAt;
  t[':'] = kColon;
  t['.'] = kDot;
  t['-'] = kDash;
  t['+'] = kPhoneMark;
  t['('] = kPhoneMark;
  t[' '] = kPhoneMark;
  return t;
}
constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

}  // namespace

void PiiScan::add(std::size_t i, std::string_view v) {
  ++checked_[i];
  std::size_t digits = 0;
  std::uint8_t seen = 0;
  for (char c : v) {
    std::uint8_t k = kClasses[static_cast<unsigned char>(c)];
    seen |= k;
    digits += k & kDigit;
  }
  if ((seen & (kAt | kColon)) == 0 && digits < 4) {
    return;  // no detector can match: the common case
  }
  auto& m = matched_[i];
  auto count = [&](PiiDetector d, bool (*fn)(std::string_view)) {
    if (fn(v)) {
      ++m[static_cast<std::size_t>(d)];
    }
  };
  if (seen & kAt) {
    count(PiiDetector::kEmail, match_email);
  }
  // A phone number has a separator, a + or a ( beside its digits; a bare number is none.
  if (digits >= 8 && (seen & (kPhoneMark | kDash | kDot)) != 0) {
    count(PiiDetector::kPhone, match_phone);
  }
  if (digits >= 13) {
    count(PiiDetector::kCard, match_card);
  }
  if ((seen & kUpper) && digits >= 2 && v.size() >= 15) {
    count(PiiDetector::kIban, match_iban);
  }
  if (digits >= 9 && (seen & kDash)) {
    count(PiiDetector::kSsn, match_ssn);
  }
  if (digits >= 4 && (seen & kDot)) {
    count(PiiDetector::kIpv4, match_ipv4);
  }
  if (seen & kColon) {
    count(PiiDetector::kIpv6, match_ipv6);
  }
}

void PiiScan::set_counts(std::size_t i, std::uint64_t checked,
                         const std::array<std::uint64_t, kPiiDetectors>& matched) {
  checked_[i] = checked;
  matched_[i] = matched;
}

std::vector<PiiFinding> PiiScan::findings(const std::set<std::string>& masked) const {
  std::vector<PiiFinding> out;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const PiiColumn& c = columns_[i];
    if (masked.contains(c.name)) {
      continue;
    }
    std::optional<PiiDetector> by_name = detector_by_name(c.name);
    std::optional<std::size_t> best;
    for (std::size_t d = 0; d < kPiiDetectors; ++d) {
      if (matched_[i][d] > 0 && (!best || matched_[i][d] > matched_[i][*best])) {
        best = d;
      }
    }
    bool by_value = best && checked_[i] > 0 &&
                    static_cast<double>(matched_[i][*best]) >=
                        settings_.threshold * static_cast<double>(checked_[i]);
    if (!by_value && !by_name) {
      continue;
    }
    PiiFinding f;
    f.column = c.name;
    f.by_name = by_name.has_value();
    f.checked = checked_[i];
    PiiDetector d = by_value ? static_cast<PiiDetector>(*best) : *by_name;
    f.detector = std::string(detector(d).name);
    f.matched = matched_[i][static_cast<std::size_t>(d)];
    f.share = f.checked ? static_cast<double>(f.matched) / static_cast<double>(f.checked) : 0;
    f.decision = settings_.allow.contains(c.name)       ? "allowed"
                 : settings_.policy == PiiPolicy::kWarn ? "warned"
                                                        : "refused";
    out.push_back(std::move(f));
  }
  return out;
}

std::string sample_sql(std::string_view select, const PiiScan& scan) {
  std::string items;
  for (const PiiColumn& c : scan.columns()) {
    if (!c.by_value) {
      continue;
    }
    std::string col = quote_identifier(c.name);
    std::string text = c.json ? "cast(" + col + " as text)" : col;
    items += fmt::format("{}count({})", items.empty() ? "" : ", ", col);
    for (const auto& d : detectors()) {
      if (!d.sql_regex.empty()) {
        items += fmt::format(", sum(case when {} ~ '{}' then 1 else 0 end)", text, d.sql_regex);
      }
    }
  }
  if (items.empty()) {
    return {};
  }
  return fmt::format("select {} from (select * from (\n{}\n) as cu_pii_query limit {}) as cu_pii",
                     items, select, scan.settings().sample_rows);
}

void read_sample_counts(PiiScan& scan, const std::vector<std::optional<std::string>>& row) {
  auto value = [&](std::size_t k) -> std::uint64_t {
    if (k >= row.size()) {
      throw Error(ErrorKind::kSource, "pii check", "sample",
                  fmt::format("the check's answer has {} values, fewer than expected", row.size()));
    }
    std::uint64_t n = 0;
    if (row[k]) {
      std::from_chars(row[k]->data(), row[k]->data() + row[k]->size(), n);
    }
    return n;
  };
  std::size_t k = 0;
  for (std::size_t i = 0; i < scan.columns().size(); ++i) {
    if (!scan.columns()[i].by_value) {
      continue;
    }
    std::uint64_t checked = value(k++);
    std::array<std::uint64_t, kPiiDetectors> matched{};
    for (const auto& d : detectors()) {
      if (!d.sql_regex.empty()) {
        matched[static_cast<std::size_t>(d.id)] = value(k++);
      }
    }
    scan.set_counts(i, checked, matched);
  }
}

std::string describe(const PiiFinding& f) {
  std::string what =
      f.matched > 0
          ? fmt::format("{} in {} of {} checked values{}", f.detector, percent(f.share), f.checked,
                        f.by_name ? ", and by its name" : "")
          : fmt::format("{} by its name ({} values checked, none matched)", f.detector, f.checked);
  std::string then;
  if (f.decision == "refused") {
    then =
        fmt::format("refused; mask it (--mask {0}=hash) or allow it (--allow-pii {0})", f.column);
  } else if (f.decision == "allowed") {
    then = "allowed (allow_pii)";
  } else {
    then = "written (pii = warn)";
  }
  return fmt::format("column {}: {} — {}", f.column, what, then);
}

void refuse_if_flagged(const std::vector<PiiFinding>& findings, const std::string& resource) {
  std::string lines;
  std::size_t n = 0;
  for (const PiiFinding& f : findings) {
    if (f.decision == "refused") {
      lines += "\n  " + describe(f);
      ++n;
    }
  }
  if (n == 0) {
    return;
  }
  throw Error(ErrorKind::kUsage, "pii check", resource,
              fmt::format("{} column(s) look like personal data; nothing was written:{}", n, lines))
      .with_hint(
          "mask them in the database (--mask col=hash), or, when the data may leave, "
          "--allow-pii col (or pii = \"warn\" to write and report)");
}

}  // namespace cu::unload
