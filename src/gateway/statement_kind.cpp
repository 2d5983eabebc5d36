#include "gateway/statement_kind.h"

#include <fmt/format.h>

#include <cctype>

#include "base/version.h"

namespace cu::gateway {
namespace {

// Skips whitespace and SQL comments from `i`; `/* */` nests as in PostgreSQL.
size_t skip_blanks(std::string_view s, size_t i) {
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      size_t nl = s.find('\n', i);
      i = nl == std::string_view::npos ? s.size() : nl + 1;
    } else if (s.compare(i, 2, "/*") == 0) {
      int depth = 0;
      while (i < s.size()) {
        if (s.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (s.compare(i, 2, "*/") == 0) {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

bool is_ident_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

// Case-insensitive keyword at `i`, not followed by an identifier character.
bool keyword_at(std::string_view s, size_t i, std::string_view kw) {
  if (s.size() - i < kw.size()) return false;
  for (size_t k = 0; k < kw.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(s[i + k])) != kw[k]) return false;
  }
  return i + kw.size() == s.size() || !is_ident_char(s[i + kw.size()]);
}

// Tokens of a statement with comments removed and identifiers lower-cased; good enough to
// compare short fixed statements such as `SELECT  Version ( ) ;`.
std::string squeeze(std::string_view s) {
  std::string out;
  size_t i = skip_blanks(s, 0);
  while (i < s.size()) {
    char c = s[i];
    if (is_ident_char(c)) {
      if (!out.empty() && is_ident_char(out.back())) out.push_back(' ');
      while (i < s.size() && is_ident_char(s[i])) {
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
        ++i;
      }
    } else {
      out.push_back(c);
      ++i;
    }
    i = skip_blanks(s, i);
  }
  while (!out.empty() && out.back() == ';') out.pop_back();
  return out;
}

}  // namespace

StatementKind classify(std::string_view sql) {
  size_t i = skip_blanks(sql, 0);
  if (keyword_at(sql, i, "unload")) return StatementKind::kUnload;
  if (!keyword_at(sql, i, "select")) return StatementKind::kPassThrough;
  std::string q = squeeze(sql);
  if (q == "select version()" || q == "select pg_catalog.version()") {
    return StatementKind::kVersion;
  }
  if (q == "select pg_last_unload_count()") return StatementKind::kLastUnloadCount;
  return StatementKind::kPassThrough;
}

std::string version_text(std::string_view upstream_version) {
  // server_version looks like "15.20 (Debian 15.20-0+deb12u1)"; keep the number only so the
  // text has no comma before the Redshift suffix (detection looks after the last comma).
  auto number = upstream_version.substr(0, upstream_version.find(' '));
  if (number.empty()) number = "unknown";
  return fmt::format(
      "PostgreSQL 8.0.2 on x86_64-pc-linux-gnu, compiled by crossunload-gateway {} over "
      "PostgreSQL {}, Redshift 1.0.0",
      kVersion, number);
}

}  // namespace cu::gateway
