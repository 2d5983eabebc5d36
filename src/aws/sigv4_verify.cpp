#include "aws/sigv4_verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "aws/crypto.h"
#include "aws/error.h"

namespace cu::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s) {
  // 20150830T123600Z
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < 15; ++i) {
    if (i != 8 && (s[i] < '0' || s[i] > '9')) {
      return std::nullopt;
    }
  }
  auto num = [&](std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

// Constant time: the comparison must not tell how many leading characters were right.
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

SignatureCheck fail(std::string code, std::string message, int status = 400) {
  SignatureCheck c;
  c.code = std::move(code);
  c.message = std::move(message);
  c.http_status = status;
  return c;
}

}  // namespace

std::optional<AuthorizationHeader> parse_authorization(std::string_view value) {
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
  value = trim(value);
  if (!value.starts_with(kAlgorithm) || value.size() == kAlgorithm.size() ||
      value[kAlgorithm.size()] != ' ') {
    return std::nullopt;
  }
  value.remove_prefix(kAlgorithm.size() + 1);
  AuthorizationHeader h;
  bool have_credential = false, have_signed = false, have_signature = false;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view key = item.substr(0, eq), v = item.substr(eq + 1);
    if (key == "Credential") {
      // <key>/<date>/<region>/<service>/aws4_request
      std::vector<std::string_view> parts;
      while (true) {
        std::size_t slash = v.find('/');
        parts.push_back(v.substr(0, slash));
        if (slash == std::string_view::npos) {
          break;
        }
        v.remove_prefix(slash + 1);
      }
      if (parts.size() != 5 || parts[4] != "aws4_request" || parts[0].empty()) {
        return std::nullopt;
      }
      h.access_key_id = parts[0];
      h.date = parts[1];
      h.region = parts[2];
      h.service = parts[3];
      have_credential = true;
    } else if (key == "SignedHeaders") {
      while (!v.empty()) {
        std::size_t semi = v.find(';');
        h.signed_headers.emplace_back(lower(v.substr(0, semi)));
        if (semi == std::string_view::npos) {
          break;
        }
        v.remove_prefix(semi + 1);
      }
      have_signed = !h.signed_headers.empty();
    } else if (key == "Signature") {
      h.signature = std::string(v);
      have_signature = !h.signature.empty();
    }
  }
  if (!have_credential || !have_signed || !have_signature) {
    return std::nullopt;
  }
  return h;
}

SignatureCheck verify_signature(const HttpRequest& request, std::string_view service,
                                const SecretKeyLookup& lookup,
                                std::chrono::system_clock::time_point now,
                                std::chrono::minutes max_skew) {
  std::string auth = find_header(request.headers, "Authorization");
  if (auth.empty()) {
    return fail("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
  }
  std::optional<AuthorizationHeader> h = parse_authorization(auth);
  if (!h) {
    return fail("IncompleteSignatureException",
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                "parameters of an AWS4-HMAC-SHA256 signature");
  }
  SignatureCheck partial;
  partial.access_key_id = h->access_key_id;
  partial.region = h->region;
  auto failed = [&](std::string code, std::string message) {
    SignatureCheck c = fail(std::move(code), std::move(message));
    c.access_key_id = partial.access_key_id;
    c.region = partial.region;
    return c;
  };
  if (h->service != service) {
    return failed("InvalidSignatureException",
                  fmt::format("Credential should be scoped to correct service: '{}'.", service));
  }
  if (std::find(h->signed_headers.begin(), h->signed_headers.end(), "host") ==
      h->signed_headers.end()) {
    return failed("IncompleteSignatureException", "'Host' must be a signed header");
  }
  std::string amz_date_text = find_header(request.headers, "X-Amz-Date");
  auto when = parse_amz_date(amz_date_text);
  if (!when) {
    return failed("IncompleteSignatureException",
                  "the request needs a valid X-Amz-Date header (YYYYMMDDTHHMMSSZ)");
  }
  if (std::find(h->signed_headers.begin(), h->signed_headers.end(), "x-amz-date") ==
      h->signed_headers.end()) {
    return failed("IncompleteSignatureException", "'X-Amz-Date' must be a signed header");
  }
  if (amz_date_text.substr(0, 8) != h->date) {
    return failed("InvalidSignatureException",
                  fmt::format("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                              "version of date from HTTP: '{}' != '{}'",
                              h->date, amz_date_text.substr(0, 8)));
  }
  auto skew = *when > now ? *when - now : now - *when;
  if (skew > max_skew) {
    return failed(
        "InvalidSignatureException",
        fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.)", amz_date_text,
                    amz_date(now - max_skew), amz_date(now), max_skew.count()));
  }
  std::optional<Credentials> creds = lookup(h->access_key_id);
  if (!creds) {
    return failed("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  }
  std::string token = find_header(request.headers, "X-Amz-Security-Token");
  if (!same(token, creds->session_token)) {
    return failed("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  }

  // Only the headers the client signed, as received.
  HttpRequest signed_part{request.method, request.url, {}, request.body};
  for (const std::string& name : h->signed_headers) {
    bool found = false;
    for (const auto& [n, v] : request.headers) {
      if (lower(n) == name) {
        signed_part.headers.emplace_back(name, v);
        found = true;
      }
    }
    if (!found) {
      return failed("IncompleteSignatureException",
                    fmt::format("signed header '{}' is not in the request", name));
    }
  }
  SigningParams params;
  params.region = h->region;
  params.service = std::string(service);
  params.time = *when;
  params.payload = PayloadSigning::kSignedBody;
  std::string creq = canonical_request(signed_part, params);
  std::string expected = signature_of(*creds, params, string_to_sign(creq, params));
  if (!same(expected, h->signature)) {
    return failed("InvalidSignatureException",
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method. Consult the "
                  "service documentation for details.");
  }
  partial.ok = true;
  return partial;
}

}  // namespace cu::aws
