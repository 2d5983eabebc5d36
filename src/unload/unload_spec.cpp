#include "unload/unload_spec.h"

#include <fmt/format.h>

#include "base/error.h"
#include "base/redact.h"

namespace cu::unload {

// The tables' words are string literals, so .data() is terminated.
const char* to_string(Format f) { return keyword_of(kFormatWords, f).data(); }
const char* to_string(Compression c) { return keyword_of(kCompressionWords, c).data(); }
const char* to_string(Manifest m) { return keyword_of(kManifestWords, m).data(); }

std::vector<FixedWidthColumn> parse_fixedwidth(std::string_view text) {
  std::vector<FixedWidthColumn> out;
  auto bad = [&text](const std::string& why) {
    return Error(ErrorKind::kUsage, "validate UNLOAD", "FIXEDWIDTH",
                 fmt::format("invalid fixed-width specification '{}': {}", text, why))
        .with_hint("write FIXEDWIDTH 'col:width,…', e.g. 'venueid:3,venuename:39' or '0:3,1:39'");
  };
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw bad(fmt::format("'{}' is not col:width", item));
    }
    std::string_view width = item.substr(colon + 1);
    if (width.empty() || width.size() > 9 ||
        width.find_first_not_of("0123456789") != std::string_view::npos) {
      throw bad(fmt::format("'{}' is not a width", width));
    }
    FixedWidthColumn c{std::string(item.substr(0, colon)),
                       static_cast<std::uint32_t>(std::stoul(std::string(width)))};
    if (c.width == 0) {
      throw bad(fmt::format("column '{}' has width 0", c.column));
    }
    out.push_back(std::move(c));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

std::string fixedwidth_text(const std::vector<FixedWidthColumn>& columns) {
  std::string out;
  for (const FixedWidthColumn& c : columns) {
    out += fmt::format("{}{}:{}", out.empty() ? "" : ",", c.column, c.width);
  }
  return out;
}

IamRoleChain role_chain(std::string_view text) {
  IamRoleChain chain;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    chain.arns.emplace_back(
        text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) {
      return chain;
    }
    start = comma + 1;
  }
}

std::string role_chain_text(const IamRoleChain& chain) {
  std::string out;
  for (size_t i = 0; i < chain.arns.size(); ++i) {
    out += (i ? "," : "") + chain.arns[i];
  }
  return out;
}

Credentials parse_credentials(std::string_view text) {
  auto bad = [](const std::string& why) {
    return Error(ErrorKind::kUsage, "parse UNLOAD", "CREDENTIALS", why)
        .with_hint(
            "CREDENTIALS 'aws_iam_role=<arn>[,<arn>…]' or "
            "'aws_access_key_id=<id>;aws_secret_access_key=<key>[;token=<token>]'");
  };
  if (text.empty()) {
    throw bad("the CREDENTIALS string is empty");
  }
  Credentials c;
  size_t start = 0;
  for (int n = 1;; ++n) {
    size_t semi = text.find(';', start);
    std::string_view item =
        text.substr(start, semi == std::string_view::npos ? semi : semi - start);
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    std::optional<std::string>* field = key == "aws_access_key_id"       ? &c.aws_access_key_id
                                        : key == "aws_secret_access_key" ? &c.aws_secret_access_key
                                        : key == "token"                 ? &c.token
                                        : key == "master_symmetric_key"  ? &c.master_symmetric_key
                                                                         : nullptr;
    // The item is named by its number only: a malformed one may be a secret.
    if (eq == std::string_view::npos || (!field && key != "aws_iam_role")) {
      throw bad(fmt::format(
          "item {} of the CREDENTIALS string is not aws_iam_role=…, aws_access_key_id=…, "
          "aws_secret_access_key=…, token=… or master_symmetric_key=…",
          n));
    }
    if (field ? field->has_value() : c.aws_iam_role.has_value()) {
      throw bad(fmt::format("'{}' given twice in CREDENTIALS", key));
    }
    if (field) {
      *field = std::string(value);
      if (field != &c.aws_access_key_id) {
        register_secret(value);
      }
    } else {
      c.aws_iam_role = role_chain(value);
    }
    if (semi == std::string_view::npos) {
      return c;
    }
    start = semi + 1;
  }
}

std::string credentials_text(const Credentials& c, bool redact) {
  std::string out;
  auto item = [&out](std::string_view key, std::string_view value) {
    out += fmt::format("{}{}={}", out.empty() ? "" : ";", key, value);
  };
  auto secret = [redact](const std::string& v) { return redact ? std::string("***") : v; };
  if (c.aws_iam_role) {
    item("aws_iam_role", role_chain_text(*c.aws_iam_role));
  }
  if (c.aws_access_key_id) {
    item("aws_access_key_id", *c.aws_access_key_id);
  }
  if (c.aws_secret_access_key) {
    item("aws_secret_access_key", secret(*c.aws_secret_access_key));
  }
  if (c.token) {
    item("token", secret(*c.token));
  }
  if (c.master_symmetric_key) {
    item("master_symmetric_key", secret(*c.master_symmetric_key));
  }
  return out;
}

}  // namespace cu::unload
