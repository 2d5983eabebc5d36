#include "pg/conninfo.h"

#include <libpq-fe.h>

#include <memory>

#include "base/error.h"
#include "base/redact.h"
#include "base/strings.h"
#include "pg/connection.h"

namespace cu::pg {
namespace {

struct OptionsFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = ascii_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// %XX decoded, as libpq decodes URL parts (a malformed escape is kept as written).
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void register_both(std::string_view written, const std::string& used) {
  register_secret(written);
  register_secret(used);
}

// postgresql://[user[:password]@][host][:port][/dbname][?key=value&…]
void register_url_secrets(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  // libpq reads user info up to an '@' that comes before the first '/'.
  std::size_t stop = rest.find_first_of("@/");
  if (stop != std::string_view::npos && rest[stop] == '@') {
    std::string_view userinfo = rest.substr(0, stop);
    if (std::size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      std::string_view pw = userinfo.substr(colon + 1);
      register_both(pw, percent_decode(pw));
    }
  }
  std::size_t query = rest.find('?');
  if (query == std::string_view::npos) {
    return;
  }
  for (const std::string& param : split(rest.substr(query + 1), '&')) {
    std::size_t eq = param.find('=');
    if (eq != std::string::npos && percent_decode(param.substr(0, eq)) == "password") {
      std::string_view pw = std::string_view(param).substr(eq + 1);
      register_both(pw, percent_decode(pw));
    }
  }
}

// key = value pairs separated by blanks; a value is 'quoted' (\ escapes the next character)
// or runs to the next blank (\ escapes there too), as libpq's conninfo_parse reads them.
void register_keyword_secrets(std::string_view c) {
  std::size_t i = 0;
  auto blanks = [&] {
    while (i < c.size() && is_space(c[i])) {
      ++i;
    }
  };
  while (i < c.size()) {
    blanks();
    std::size_t key_start = i;
    while (i < c.size() && c[i] != '=' && !is_space(c[i])) {
      ++i;
    }
    std::string_view key = c.substr(key_start, i - key_start);
    blanks();
    if (i >= c.size() || c[i] != '=') {
      return;  // libpq reports the syntax error; nothing after it is a value
    }
    ++i;
    blanks();
    std::size_t value_start = i;
    std::string value;
    bool quoted = i < c.size() && c[i] == '\'';
    if (quoted) {
      ++i;
    }
    for (; i < c.size() && (quoted ? c[i] != '\'' : !is_space(c[i])); ++i) {
      if (c[i] == '\\' && i + 1 < c.size()) {
        ++i;
      }
      value += c[i];
    }
    std::string_view written =
        c.substr(value_start + (quoted ? 1 : 0), i - value_start - (quoted ? 1 : 0));
    if (quoted && i < c.size()) {
      ++i;  // the closing quote
    }
    if (key == "password") {
      register_both(written, value);
    }
  }
}

}  // namespace

void register_conninfo_secrets(std::string_view conninfo) {
  // libpq takes a URL only with one of these two prefixes; anything else is key=value.
  if (conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://")) {
    register_url_secrets(conninfo);
  } else {
    register_keyword_secrets(conninfo);
  }
}

ConninfoOptions parse_conninfo(std::string_view conninfo, std::string_view step,
                               std::string_view resource) {
  register_conninfo_secrets(conninfo);
  std::string text(conninfo);
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsFree> opts(PQconninfoParse(text.c_str(), &err));
  if (!opts) {
    std::string why = err != nullptr ? one_line(err) : "out of memory";
    PQfreemem(err);
    throw Error(ErrorKind::kUsage, std::string(step), std::string(resource),
                "not a valid libpq conninfo string or postgresql:// URL: " + why)
        .with_hint("use \"host=H port=P dbname=D user=U\" or postgresql://U@H:P/D");
  }
  ConninfoOptions out;
  for (const PQconninfoOption* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') {
      out[o->keyword] = o->val;
    }
  }
  if (auto pw = out.find("password"); pw != out.end()) {
    register_secret(pw->second);
  }
  return out;
}

bool is_local_host(std::string_view host) {
  return host.empty() || host == "localhost" || host.starts_with("127.") || host == "::1" ||
         host.starts_with('/');
}

std::string conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

std::string build_conninfo(const ConninfoOptions& options) {
  std::string out;
  for (const auto& [key, value] : options) {
    if (!out.empty()) {
      out += ' ';
    }
    out += key + "=" + conninfo_value(value);
  }
  return out;
}

}  // namespace cu::pg
