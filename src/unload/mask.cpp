#include "unload/mask.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "base/error.h"

namespace cu::unload {
namespace {

constexpr int kMaxKeep = 1000;

[[noreturn]] void bad_rule(std::string_view resource, std::string_view text,
                           const std::string& why) {
  throw Error(ErrorKind::kUsage, "configure", std::string(resource),
              fmt::format("'{}' is not a mask rule{}", text, why))
      .with_hint("one of: null | redact | redact:TEXT | hash | keep:N");
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
    std::string_view n = text.substr(5);
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), r.keep);
    if (n.empty() || ec != std::errc() || end != n.data() + n.size() || r.keep < 1 ||
        r.keep > kMaxKeep) {
      bad_rule(resource, text, fmt::format(": keep:N needs N from 1 to {}", kMaxKeep));
    }
  } else {
    bad_rule(resource, text, "");
  }
  return r;
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
      return fmt::format("keep:{}", rule.keep);
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

std::string mask_select(std::string_view select, const std::vector<ResultColumn>& columns,
                        const MaskRules& rules, std::string_view salt) {
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
    if (it == rules.end()) {
      list += col;
      continue;
    }
    const MaskRule& r = it->second;
    switch (r.kind) {
      case MaskRule::Kind::kNull:
        if (c.type.empty() || c.type.starts_with("oid ")) {
          throw Error(ErrorKind::kUsage, "mask", c.name,
                      fmt::format("cannot write a typed NULL for column '{}': its type ({}) has "
                                  "no name we know",
                                  c.name, c.type.empty() ? "unknown" : c.type))
              .with_hint("use redact for this column, or cast it in the query");
        }
        list += fmt::format("cast(null as {})", c.type);
        break;
      case MaskRule::Kind::kRedact:
        list += fmt::format("cast({} as varchar(65535))", quote_literal(r.text));
        break;
      case MaskRule::Kind::kHash:
        list += fmt::format("md5({} || cast({} as varchar(65535)))", quote_literal(salt), col);
        break;
      case MaskRule::Kind::kKeep:
        list += fmt::format("left(cast({} as varchar(65535)), {}) || '***'", col, r.keep);
        break;
    }
    list += " as " + col;
  }
  // The newline ends a trailing `-- comment` of the query before the closing parenthesis.
  return fmt::format("select {} from (\n{}\n) as cu_masked", list, select);
}

}  // namespace cu::unload
