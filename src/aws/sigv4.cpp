#include "aws/sigv4.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <string_view>

#include "aws/crypto.h"
#include "base/error.h"
#include "base/strings.h"

namespace cu::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// The parts of an absolute URL the signer needs. No validation beyond the shape: the HTTP
// client rejects bad URLs; the signer only has to agree with what will be sent.
struct UrlParts {
  std::string scheme;
  std::string host_header;  // host[:port], the port only when not the scheme's default
  std::string prefix;       // scheme://authority, as given
  std::string path;         // as given; "/" when empty
  std::string query;        // without '?', as given
};

UrlParts split_url(std::string_view url) {
  UrlParts u;
  std::string_view rest = url;
  if (auto pos = rest.find("://"); pos != std::string_view::npos) {
    u.scheme = std::string(rest.substr(0, pos));
    rest.remove_prefix(pos + 3);
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  u.prefix = u.scheme.empty() ? std::string(authority) : u.scheme + "://" + std::string(authority);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string host(authority);
  // host:port, with IPv6 literals in brackets.
  if (auto colon = host.rfind(':');
      colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    std::string port = host.substr(colon + 1);
    bool default_port = (u.scheme == "https" && port == "443") ||
                        (u.scheme == "http" && port == "80") || port.empty();
    if (default_port) {
      host.resize(colon);
    }
  }
  u.host_header = lower(host);
  auto q = rest.find('?');
  u.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) {
    u.query = std::string(rest.substr(q + 1));
  }
  if (u.path.empty()) {
    u.path = "/";
  }
  return u;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims the ends and folds every run of whitespace (including folded continuation lines)
// into one space, as SigV4 requires, quotes or not.
std::string collapse_spaces(std::string_view v) {
  std::string out;
  bool pending = false;
  for (char c : v) {
    if (is_space(c)) {
      pending = !out.empty();
    } else {
      if (pending) {
        out.push_back(' ');
      }
      pending = false;
      out.push_back(c);
    }
  }
  return out;
}

// Headers a proxy or the transport may add, drop or rewrite: signing them would make a
// signature fail for reasons that have nothing to do with the request (aws-c-auth's list).
bool is_unsigned_header(std::string_view lname) {
  return lname == "authorization" || lname == "user-agent" || lname == "expect" ||
         lname == "transfer-encoding" || lname == "connection" || lname == "x-amzn-trace-id" ||
         lname == "upgrade" || lname == "proxy-authorization";
}

// RFC 3986 dot-segment removal plus collapsing of empty segments; a trailing slash is kept.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto seg : segments) {
    out += '/';
    out += seg;
  }
  bool trailing = !path.empty() && path.back() == '/';
  if (out.empty() || trailing) {
    out += '/';
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" lines
  std::string signed_names;  // "a;b;c"
};

CanonicalHeaders canonical_headers(const HttpRequest& req, const UrlParts& url) {
  std::vector<std::pair<std::string, std::string>> hs;  // (lowercase name, value)
  bool have_host = false;
  for (const auto& [name, value] : req.headers) {
    std::string lname = lower(name);
    if (is_unsigned_header(lname)) {
      continue;
    }
    have_host = have_host || lname == "host";
    hs.emplace_back(std::move(lname), collapse_spaces(value));
  }
  if (!have_host) {
    hs.emplace_back("host", url.host_header);
  }
  // Stable: repeated headers keep the order they were given in.
  std::stable_sort(hs.begin(), hs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < hs.size(); ++i) {
    if (i > 0 && hs[i].first == hs[i - 1].first) {
      out.block.back() = ',';
      out.block += hs[i].second + "\n";
      continue;
    }
    out.block += hs[i].first + ":" + hs[i].second + "\n";
    if (!out.signed_names.empty()) {
      out.signed_names += ';';
    }
    out.signed_names += hs[i].first;
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t i = 0;
  while (i <= query.size() && !query.empty()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) {
      j = query.size();
    }
    std::string_view item = query.substr(i, j - i);
    if (!item.empty()) {
      auto eq = item.find('=');
      std::string_view k = item.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      params.emplace_back(uri_encode(percent_decode(k), true), uri_encode(percent_decode(v), true));
    }
    i = j + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) {
      out += '&';
    }
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string payload_hash(const HttpRequest& req, const SigningParams& params) {
  switch (params.payload) {
    case PayloadSigning::kUnsignedPayload:
      return "UNSIGNED-PAYLOAD";
    case PayloadSigning::kPrecomputed:
      if (params.payload_hash.empty()) {
        throw cu::Error(cu::ErrorKind::kOther, "sign request", req.url,
                        "PayloadSigning::kPrecomputed without a payload hash");
      }
      return params.payload_hash;
    case PayloadSigning::kSignedBody:
      break;
  }
  return sha256_hex(req.body);
}

std::string credential_scope(const SigningParams& params) {
  return fmt::format("{}/{}/{}/aws4_request", date_stamp(params.time), params.region,
                     params.service);
}

std::string signing_key(const Credentials& creds, const SigningParams& params) {
  std::string k = hmac_sha256("AWS4" + creds.secret_access_key, date_stamp(params.time));
  k = hmac_sha256(k, params.region);
  k = hmac_sha256(k, params.service);
  return hmac_sha256(k, "aws4_request");
}

std::string signature(const Credentials& creds, const SigningParams& params,
                      const std::string& sts) {
  return hex(hmac_sha256(signing_key(creds, params), sts));
}

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::uint64_t chunk_frame_length(std::uint64_t size) {
  // hex size + ";chunk-signature=" + 64 hex + CRLF + data + CRLF
  return fmt::format("{:x}", size).size() + 17 + 64 + 2 + size + 2;
}

void check_credentials(const HttpRequest& req, const Credentials& creds) {
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    throw cu::Error(cu::ErrorKind::kAccess, "sign request", req.url, "no AWS credentials")
        .with_hint("set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  }
}

void erase_header(HttpRequest& req, std::string_view lname) {
  std::erase_if(req.headers, [&](const auto& h) { return lower(h.first) == lname; });
}

std::tm utc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::tm tm = utc(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string date_stamp(std::chrono::system_clock::time_point t) {
  std::tm tm = utc(t);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

std::string uri_encode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string signature_of(const Credentials& creds, const SigningParams& params,
                         const std::string& string_to_sign) {
  return signature(creds, params, string_to_sign);
}

std::string canonical_request(const HttpRequest& req, const SigningParams& params) {
  UrlParts url = split_url(req.url);
  std::string path = params.normalize_path ? normalize_path(url.path) : url.path;
  if (params.double_encode_path) {
    path = uri_encode(path, false);
  }
  CanonicalHeaders h = canonical_headers(req, url);
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", req.method, path, canonical_query(url.query),
                     h.block, h.signed_names, payload_hash(req, params));
}

std::string string_to_sign(const std::string& canonical_request, const SigningParams& params) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date(params.time), credential_scope(params),
                     sha256_hex(canonical_request));
}

void sign(HttpRequest& req, const Credentials& creds, const SigningParams& params,
          SigningTrace* trace) {
  check_credentials(req, creds);
  for (auto name : {"authorization", "x-amz-date", "x-amz-security-token"}) {
    erase_header(req, name);
  }
  req.headers.emplace_back("X-Amz-Date", amz_date(params.time));
  bool token = !creds.session_token.empty();
  if (token && params.sign_session_token) {
    req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  if (params.add_content_sha256_header) {
    erase_header(req, "x-amz-content-sha256");
    req.headers.emplace_back("x-amz-content-sha256", payload_hash(req, params));
  }
  std::string creq = canonical_request(req, params);
  std::string sts = string_to_sign(creq, params);
  std::string sig = signature(creds, params, sts);
  if (token && !params.sign_session_token) {
    req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  // The canonical request's second-to-last line is the signed header list.
  auto names_end = creq.rfind('\n');
  auto names_begin = creq.rfind('\n', names_end - 1) + 1;
  std::string signed_names = creq.substr(names_begin, names_end - names_begin);
  req.headers.emplace_back(
      "Authorization",
      fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                  creds.access_key_id, credential_scope(params), signed_names, sig));
  if (trace != nullptr) {
    *trace = {std::move(creq), std::move(sts), std::move(sig)};
  }
}

std::string presign(const HttpRequest& req, const Credentials& creds, const SigningParams& params,
                    std::chrono::seconds expires, SigningTrace* trace) {
  check_credentials(req, creds);
  UrlParts url = split_url(req.url);
  HttpRequest r = req;
  for (auto name : {"authorization", "x-amz-date", "x-amz-security-token"}) {
    erase_header(r, name);
  }
  bool token = !creds.session_token.empty();
  std::string signed_names = canonical_headers(r, url).signed_names;
  std::string query = url.query;
  auto add = [&query](std::string_view k, std::string_view v) {
    if (!query.empty()) {
      query += '&';
    }
    query += fmt::format("{}={}", k, uri_encode(v, true));
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", creds.access_key_id + "/" + credential_scope(params));
  add("X-Amz-Date", amz_date(params.time));
  add("X-Amz-Expires", std::to_string(expires.count()));
  add("X-Amz-SignedHeaders", signed_names);
  if (token && params.sign_session_token) {
    add("X-Amz-Security-Token", creds.session_token);
  }
  r.url = url.prefix + url.path + "?" + query;

  std::string creq = canonical_request(r, params);
  std::string sts = string_to_sign(creq, params);
  std::string sig = signature(creds, params, sts);
  std::string out =
      url.prefix + url.path + "?" + canonical_query(query) + "&X-Amz-Signature=" + sig;
  if (token && !params.sign_session_token) {
    out += "&X-Amz-Security-Token=" + uri_encode(creds.session_token, true);
  }
  if (trace != nullptr) {
    *trace = {std::move(creq), std::move(sts), std::move(sig)};
  }
  return out;
}

std::uint64_t aws_chunked_length(std::uint64_t payload_size, std::uint64_t chunk_size) {
  std::uint64_t full = payload_size / chunk_size;
  std::uint64_t rest = payload_size % chunk_size;
  return full * chunk_frame_length(chunk_size) + (rest ? chunk_frame_length(rest) : 0) +
         chunk_frame_length(0);
}

ChunkSigner::ChunkSigner(const Credentials& creds, const SigningParams& params,
                         std::string seed_signature)
    : key_(signing_key(creds, params)),
      date_(amz_date(params.time)),
      scope_(credential_scope(params)),
      previous_(std::move(seed_signature)) {}

std::string ChunkSigner::frame(std::string_view data) {
  std::string sts = fmt::format("AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}", date_, scope_,
                                previous_, kEmptySha256, sha256_hex(data));
  previous_ = hex(hmac_sha256(key_, sts));
  std::string out = fmt::format("{:x};chunk-signature={}\r\n", data.size(), previous_);
  out.reserve(out.size() + data.size() + 2);
  out.append(data);
  out += "\r\n";
  return out;
}

ChunkSigner sign_streaming(HttpRequest& req, const Credentials& creds, SigningParams params,
                           std::uint64_t payload_size, std::uint64_t chunk_size,
                           SigningTrace* trace) {
  for (auto name : {"content-encoding", "x-amz-decoded-content-length", "content-length"}) {
    erase_header(req, name);
  }
  req.headers.emplace_back("Content-Encoding", "aws-chunked");
  req.headers.emplace_back("x-amz-decoded-content-length", std::to_string(payload_size));
  req.headers.emplace_back("Content-Length",
                           std::to_string(aws_chunked_length(payload_size, chunk_size)));
  params.payload = PayloadSigning::kPrecomputed;
  params.payload_hash = std::string(kStreamingPayload);
  params.add_content_sha256_header = true;
  SigningTrace t;
  sign(req, creds, params, &t);
  std::string seed = t.signature;
  if (trace != nullptr) {
    *trace = std::move(t);
  }
  return ChunkSigner(creds, params, std::move(seed));
}

}  // namespace cu::aws
