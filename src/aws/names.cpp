#include "aws/names.h"

#include <cstddef>

namespace cu::aws {
namespace {

constexpr std::size_t kMaxArn = 2048;
constexpr std::size_t kMaxRoleName = 64;
constexpr std::size_t kMaxRolePath = 512;

bool is_lower_alpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// aws, aws-cn, aws-us-gov, aws-iso-b: "aws" then groups of "-<letters>".
bool is_partition(std::string_view p) {
  if (!p.starts_with("aws")) {
    return false;
  }
  p.remove_prefix(3);
  while (!p.empty()) {
    if (p.front() != '-' || p.size() < 2 || !is_lower_alpha(p[1])) {
      return false;
    }
    p.remove_prefix(1);
    while (!p.empty() && is_lower_alpha(p.front())) {
      p.remove_prefix(1);
    }
  }
  return true;
}

// IAM's role-name characters: [\w+=,.@-].
bool is_role_name_char(char c) {
  return is_lower_alpha(c) || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '+' ||
         c == '=' || c == ',' || c == '.' || c == '@' || c == '-';
}

}  // namespace

std::optional<Arn> parse_arn(std::string_view text) {
  if (text.size() > kMaxArn || !text.starts_with("arn:")) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(4);
  std::string_view parts[4];
  for (auto& part : parts) {
    std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    part = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (!is_partition(parts[0]) || parts[1].empty() || rest.empty()) {
    return std::nullopt;
  }
  return Arn{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
             std::string(parts[3]), std::string(rest)};
}

std::optional<RoleArn> parse_role_arn(std::string_view text) {
  auto arn = parse_arn(text);
  if (!arn || arn->service != "iam" || !arn->region.empty() || !is_account_id(arn->account) ||
      !arn->resource.starts_with("role/")) {
    return std::nullopt;
  }
  std::string_view resource = std::string_view(arn->resource).substr(4);  // from the '/'
  std::size_t last = resource.rfind('/');
  std::string_view path = resource.substr(0, last + 1);
  std::string_view name = resource.substr(last + 1);
  if (!is_role_name(name) || path.size() > kMaxRolePath) {
    return std::nullopt;
  }
  for (char c : path) {
    if (c != '/' && !is_role_name_char(c)) {
      return std::nullopt;
    }
  }
  return RoleArn{std::move(arn->partition), std::move(arn->account), std::string(path),
                 std::string(name)};
}

bool is_role_name(std::string_view text) {
  if (text.empty() || text.size() > kMaxRoleName) {
    return false;
  }
  for (char c : text) {
    if (!is_role_name_char(c)) {
      return false;
    }
  }
  return true;
}

bool is_account_id(std::string_view text) {
  if (text.size() != 12) {
    return false;
  }
  for (char c : text) {
    if (!is_digit(c)) {
      return false;
    }
  }
  return true;
}

bool is_region(std::string_view text) {
  if (text.size() > 64 || text.size() < 2 || !is_lower_alpha(text[0]) || !is_lower_alpha(text[1])) {
    return false;
  }
  std::string_view rest = text.substr(2);
  int word_groups = 0;
  while (!rest.empty()) {
    if (rest.front() != '-' || rest.size() < 2) {
      return false;
    }
    rest.remove_prefix(1);
    if (is_digit(rest.front())) {
      // The last group: digits to the end, after at least one group of letters.
      for (char c : rest) {
        if (!is_digit(c)) {
          return false;
        }
      }
      return word_groups > 0;
    }
    if (!is_lower_alpha(rest.front())) {
      return false;
    }
    while (!rest.empty() && is_lower_alpha(rest.front())) {
      rest.remove_prefix(1);
    }
    ++word_groups;
  }
  return false;
}

}  // namespace cu::aws
