#include "unload/mask.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "base/error.h"
#include "base/strings.h"

namespace cu::unload {
namespace {

constexpr int kMaxKeep = 1000;
constexpr int kMaxShiftDays = 36500;

[[noreturn]] void bad_rule(std::string_view resource, std::string_view text,
                           const std::string& why) {
  throw Error(ErrorKind::kUsage, "configure", std::string(resource),
              fmt::format("'{}' is not a mask rule{}", text, why))
      .with_hint(
          "one of: null | redact | redact:TEXT | hash | keep:N | email | shift:N | digits:N");
}

// Backslashes are escapes in Redshift's literals and not in PostgreSQL's; control characters
// would need escapes too. Refusing both keeps one literal meaning the same on both.
bool literal_safe(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return c != '\\' && (u >= 0x20 || c == '\t') && u != 0x7f;
  });
}

std::string quote_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

// N of "name:N", 1..max.
int count_of(std::string_view text, std::string_view prefix, int max, std::string_view resource,
             std::string_view what) {
  std::string_view n = text.substr(prefix.size());
  int value = 0;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), value);
  if (n.empty() || ec != std::errc() || end != n.data() + n.size() || value < 1 || value > max) {
    bad_rule(resource, text, fmt::format(": {}N needs N from 1 to {}{}", prefix, max, what));
  }
  return value;
}

}  // namespace

MaskRule parse_mask_rule(std::string_view text, std::string_view resource) {
  MaskRule r;
  if (text == "null") {
    r.kind = MaskRule::Kind::kNull;
  } else if (text == "hash") {
    r.kind = MaskRule::Kind::kHash;
  } else if (text == "redact") {
    r.kind = MaskRule::Kind::kRedact;
  } else if (text.starts_with("redact:")) {
    r.kind = MaskRule::Kind::kRedact;
    r.text = std::string(text.substr(7));
    if (!literal_safe(r.text)) {
      bad_rule(resource, text, ": the constant may not hold a backslash or control character");
    }
  } else if (text.starts_with("keep:")) {
    r.kind = MaskRule::Kind::kKeep;
    r.n = count_of(text, "keep:", kMaxKeep, resource, "");
  } else if (text == "email") {
    r.kind = MaskRule::Kind::kEmail;
  } else if (text.starts_with("shift:")) {
    r.kind = MaskRule::Kind::kShift;
    r.n = count_of(text, "shift:", kMaxShiftDays, resource, " (days)");
  } else if (text.starts_with("digits:")) {
    r.kind = MaskRule::Kind::kDigits;
    r.n = count_of(text, "digits:", kMaxKeep, resource, "");
  } else {
    bad_rule(resource, text, "");
  }
  return r;
}

bool uses_salt(const MaskRule& rule) {
  return rule.kind == MaskRule::Kind::kHash || rule.kind == MaskRule::Kind::kEmail ||
         rule.kind == MaskRule::Kind::kShift;
}

std::string to_string(const MaskRule& rule) {
  switch (rule.kind) {
    case MaskRule::Kind::kNull:
      return "null";
    case MaskRule::Kind::kHash:
      return "hash";
    case MaskRule::Kind::kRedact:
      return rule.text == "***" ? "redact" : "redact:" + rule.text;
    case MaskRule::Kind::kKeep:
      return fmt::format("keep:{}", rule.n);
    case MaskRule::Kind::kEmail:
      return "email";
    case MaskRule::Kind::kShift:
      return fmt::format("shift:{}", rule.n);
    case MaskRule::Kind::kDigits:
      return fmt::format("digits:{}", rule.n);
  }
  return "?";
}

void check_mask_salt(std::string_view salt) {
  bool printable = std::all_of(salt.begin(), salt.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '\\';
  });
  if (salt.size() < 8 || salt.size() > 256 || !printable) {
    throw Error(ErrorKind::kUsage, "configure", "mask_salt",
                "mask_salt must be 8 to 256 printable ASCII characters, without spaces or "
                "backslashes")
        .with_hint("e.g. 32 hex digits from `openssl rand -hex 16`");
  }
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

bool matches_pattern(std::string_view pattern, std::string_view name) {
  // Greedy matching with one backtrack point: the last '*' seen and where it resumed.
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || ascii_lower(pattern[p]) == ascii_lower(name[n]))) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

MaskRules resolve_mask(const std::vector<ResultColumn>& columns, const MaskRules& rules,
                       const MaskPolicy& policy) {
  MaskRules out = rules;
  for (const auto& c : columns) {
    if (out.contains(c.name)) {
      continue;
    }
    for (const auto& p : policy) {
      if (matches_pattern(p.pattern, c.name)) {
        out[c.name] = p.rule;
        break;
      }
    }
  }
  return out;
}

std::string_view digest_name(const MaskDialect& dialect) {
  return dialect.redshift || dialect.server_version_num >= 110000 ? "sha256" : "md5";
}

namespace {

// The hex digest of the text expression `x` on `d`: SHA-256 where the database has it.
// Redshift's sha2 and PostgreSQL's sha256 of the text's UTF-8 bytes give the same digits.
std::string digest_sql(const MaskDialect& d, const std::string& x) {
  if (d.redshift) {
    return fmt::format("sha2({}, 256)", x);
  }
  if (digest_name(d) == "sha256") {
    return fmt::format("encode(sha256(convert_to({}, 'UTF8')), 'hex')", x);
  }
  return fmt::format("md5({})", x);
}

// The whole days, -n..n, a value moves by: its salted digest's first 7 hex digits as a
// number (0 .. 2^28-1, an integer: Redshift's strtol gives a bigint, DATEADD wants an
// integer), modulo 2n+1, minus n.
std::string shift_days_sql(const MaskDialect& d, const std::string& digest, int n) {
  std::string number =
      d.redshift ? fmt::format("cast(strtol(left({}, 7), 16) as integer)", digest)
                 : fmt::format("cast(cast('x' || left({}, 7) as bit(28)) as integer)", digest);
  return fmt::format("(mod({}, {}) - {})", number, 2 * n + 1, n);
}

enum class Moment { kDate, kTimestamp, kTimestamptz };

std::optional<Moment> moment_of(std::string_view type) {
  if (type == "date") {
    return Moment::kDate;
  }
  if (type == "timestamp" || type == "timestamp without time zone") {
    return Moment::kTimestamp;
  }
  if (type == "timestamptz" || type == "timestamp with time zone") {
    return Moment::kTimestamptz;
  }
  return std::nullopt;
}

// `col` moved by `days` whole days, of the column's own type. Redshift: DATEADD (which reads
// a timestamptz as its UTC timestamp, so the result is cast back); PostgreSQL: date + integer,
// timestamp(tz) + days * interval '1 day' (the session's time zone is UTC, so a day is 24 h).
std::string shift_sql(const MaskDialect& d, Moment m, const std::string& col,
                      const std::string& days) {
  if (d.redshift) {
    std::string added = fmt::format("dateadd(day, {}, {})", days, col);
    switch (m) {
      case Moment::kDate:
        return fmt::format("cast({} as date)", added);
      case Moment::kTimestamp:
        return added;
      case Moment::kTimestamptz:
        return fmt::format("cast({} as timestamptz)", added);
    }
  }
  if (m == Moment::kDate) {
    return fmt::format("{} + {}", col, days);
  }
  return fmt::format("{} + {} * interval '1 day'", col, days);
}

std::string masked_sql(const MaskRule& r, const ResultColumn& c, std::string_view salt,
                       const MaskDialect& d) {
  std::string col = quote_identifier(c.name);
  std::string text = fmt::format("cast({} as varchar(65535))", col);
  std::string salted = quote_literal(salt) + " || ";
  switch (r.kind) {
    case MaskRule::Kind::kNull:
      if (c.type.empty() || c.type.starts_with("oid ")) {
        throw Error(ErrorKind::kUsage, "mask", c.name,
                    fmt::format("cannot write a typed NULL for column '{}': its type ({}) has "
                                "no name we know",
                                c.name, c.type.empty() ? "unknown" : c.type))
            .with_hint("use redact for this column, or cast it in the query");
      }
      return fmt::format("cast(null as {})", c.type);
    case MaskRule::Kind::kRedact:
      return fmt::format("cast({} as varchar(65535))", quote_literal(r.text));
    case MaskRule::Kind::kHash:
      return digest_sql(d, salted + text);
    case MaskRule::Kind::kKeep:
      return fmt::format("left({}, {}) || '***'", text, r.n);
    case MaskRule::Kind::kEmail: {
      // Split at the last '@' (a quoted local part may hold one; a domain never does). A
      // value without '@' is hashed whole.
      std::string at = fmt::format("strpos(reverse({}), '@')", text);
      return fmt::format(
          "{} || right({}, {})",
          digest_sql(d, fmt::format("{}left({}, length({}) - {})", salted, text, text, at)), text,
          at);
    }
    case MaskRule::Kind::kShift: {
      std::optional<Moment> m = moment_of(c.type);
      if (!m) {
        throw Error(ErrorKind::kUsage, "mask", c.name,
                    fmt::format("shift:{} moves dates and timestamps; column '{}' is {}", r.n,
                                c.name, c.type.empty() ? "of an unknown type" : c.type))
            .with_hint("use hash or redact for this column, or cast it to a date in the query");
      }
      return shift_sql(d, *m, col, shift_days_sql(d, digest_sql(d, salted + text), r.n));
    }
    case MaskRule::Kind::kDigits: {
      // translate(v, translate(v, digits, ''), '') removes every character that is not a
      // digit: the inner call lists them, the outer deletes them (both databases' translate
      // drops characters that have no replacement).
      std::string digits =
          fmt::format("translate({0}, translate({0}, '0123456789', ''), '')", text);
      return fmt::format("repeat('*', greatest(length({0}) - {1}, 0)) || right({0}, {1})", digits,
                         r.n);
    }
  }
  return col;
}

}  // namespace

std::string mask_select(std::string_view select, const std::vector<ResultColumn>& columns,
                        const MaskRules& rules, std::string_view salt, const MaskDialect& dialect) {
  for (const auto& rule : rules) {
    const std::string& name = rule.first;
    bool found = std::any_of(columns.begin(), columns.end(),
                             [&](const ResultColumn& c) { return c.name == name; });
    if (!found) {
      std::string have;
      for (const auto& c : columns) {
        have += (have.empty() ? "" : ", ") + c.name;
      }
      throw Error(ErrorKind::kUsage, "mask", name,
                  fmt::format("mask names column '{}', which the query's result does not have "
                              "(it has: {})",
                              name, have))
          .with_hint("column names are case-sensitive, as the database names them");
    }
  }
  // The outer select names every column, so a name given twice would be ambiguous.
  std::set<std::string_view> seen;
  for (const auto& c : columns) {
    if (!seen.insert(c.name).second) {
      throw Error(ErrorKind::kUsage, "mask", c.name,
                  fmt::format("the query's result has more than one column named '{}', which "
                              "masking cannot tell apart",
                              c.name))
          .with_hint("give each column its own name with AS in the query");
    }
  }

  std::string list;
  for (const auto& c : columns) {
    std::string col = quote_identifier(c.name);
    list += list.empty() ? "" : ", ";
    auto it = rules.find(c.name);
    list += it == rules.end() ? col : masked_sql(it->second, c, salt, dialect) + " as " + col;
  }
  // The newline ends a trailing `-- comment` of the query before the closing parenthesis.
  return fmt::format("select {} from (\n{}\n) as cu_masked", list, select);
}

}  // namespace cu::unload
