// SigV4 against AWS's published vectors (tests/data/sigv4, see its README.md): the
// classic suite (botocore's copy, header signing) and aws-c-auth's JSON suite (header and
// query signing). Each case is one parameterized test named after its folder, so a failure
// names the vector. Expected values are the suites' files, never our own output.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "base/strings.h"

namespace fs = std::filesystem;
using cu::aws::Credentials;
using cu::aws::HttpRequest;
using cu::aws::SigningParams;
using cu::aws::SigningTrace;

namespace {

fs::path suite_root() { return fs::path(CU_SOURCE_DIR) / "tests" / "data" / "sigv4"; }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  std::erase(s, '\r');
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// An HTTP/1.1 request as the suites write it: request line, headers (a line starting with
// whitespace continues the previous header; its value keeps the raw fold), blank line, body.
struct RawRequest {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view lname) const {
    for (const auto& [n, v] : headers) {
      std::string l = n;
      std::transform(l.begin(), l.end(), l.begin(), ::tolower);
      if (l == lname) return v;
    }
    return "";
  }
  HttpRequest to_http() const {
    return HttpRequest{method, "https://" + header("host") + target, headers, body};
  }
};

RawRequest parse_request(const std::string& text) {
  RawRequest r;
  std::vector<std::string> lines;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    lines.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  const std::string& first = lines.at(0);
  r.method = first.substr(0, first.find(' '));
  size_t version = first.rfind(' ');
  r.target = first.substr(r.method.size() + 1, version - r.method.size() - 1);
  size_t k = 1;
  for (; k < lines.size() && !lines[k].empty(); ++k) {
    const std::string& l = lines[k];
    if ((l[0] == ' ' || l[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + l;
      continue;
    }
    auto colon = l.find(':');
    r.headers.emplace_back(l.substr(0, colon), l.substr(colon + 1));
  }
  for (size_t b = k + 1; b < lines.size(); ++b) {
    if (b > k + 1) r.body += "\n";
    r.body += lines[b];
  }
  return r;
}

// Headers compared as a multiset of (lowercase name, whitespace-collapsed value): order and
// case of names are each implementation's choice.
std::multiset<std::pair<std::string, std::string>> header_set(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const auto& [n, v] : headers) {
    std::string l = n;
    std::transform(l.begin(), l.end(), l.begin(), ::tolower);
    std::string cv;
    for (char c : v) {
      bool sp = c == ' ' || c == '\t' || c == '\n';
      if (sp) {
        if (!cv.empty() && cv.back() != ' ') cv += ' ';
      } else {
        cv += c;
      }
    }
    while (!cv.empty() && cv.back() == ' ') cv.pop_back();
    out.emplace(l, cv);
  }
  return out;
}

std::multiset<std::pair<std::string, std::string>> query_set(std::string_view target) {
  std::multiset<std::pair<std::string, std::string>> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  size_t i = 0;
  while (i < query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view item = query.substr(i, j - i);
    auto eq = item.find('=');
    out.emplace(cu::percent_decode(item.substr(0, eq)),
                eq == std::string_view::npos ? "" : cu::percent_decode(item.substr(eq + 1)));
    i = j + 1;
  }
  return out;
}

std::chrono::system_clock::time_point parse_time(const std::string& s) {
  // "2015-08-30T12:36:00Z" or "20150830T123600Z"
  std::tm tm{};
  std::istringstream in(s);
  in >>
      std::get_time(&tm, s.find('-') != std::string::npos ? "%Y-%m-%dT%H:%M:%S" : "%Y%m%dT%H%M%S");
  if (in.fail()) throw std::runtime_error("bad time " + s);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string gtest_name(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

// Case lists, read when the tests are registered. A missing folder yields one sentinel case
// that fails with a clear message (a vanished suite must not pass as "0 tests").
constexpr const char* kMissing = "testdata_missing";

std::vector<std::string> classic_cases() {
  fs::path root = suite_root() / "aws-sig-v4-test-suite";
  std::vector<std::string> out;
  if (!fs::is_directory(root)) return {kMissing};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() == ".req") {
      out.push_back(fs::relative(e.path().parent_path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> json_cases() {
  fs::path root = suite_root() / "aws-signing-test-suite" / "v4";
  std::vector<std::string> out;
  if (!fs::is_directory(root)) return {kMissing};
  for (const auto& e : fs::directory_iterator(root)) {
    if (fs::exists(e.path() / "context.json")) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void fail_missing() {
  FAIL() << "SigV4 test vectors not found at " << suite_root().string()
         << " (tests/data/sigv4 of the repository)";
}

// ---------------------------------------------------------------------------------------
// Classic suite: header signing; the .req already carries X-Amz-Date (the signing time).

class ClassicSuite : public testing::TestWithParam<std::string> {};

TEST_P(ClassicSuite, Signs) {
  if (GetParam() == kMissing) return fail_missing();
  fs::path dir = suite_root() / "aws-sig-v4-test-suite" / GetParam();
  std::string name = dir.filename().string();
  RawRequest raw = parse_request(read(dir / (name + ".req")));
  std::string creq_expected = read(dir / (name + ".creq"));

  Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
  SigningParams params{"us-east-1", "service", parse_time(raw.header("x-amz-date"))};
  // The token is whatever the expected canonical request signs; "-after" signs without it
  // and takes it from post-sts-token/readme.txt (its last line).
  if (auto pos = creq_expected.find("\nx-amz-security-token:"); pos != std::string::npos) {
    auto start = pos + std::string("\nx-amz-security-token:").size();
    creds.session_token = creq_expected.substr(start, creq_expected.find('\n', start) - start);
  } else if (name == "post-sts-header-after") {
    std::string readme = trim(read(dir.parent_path() / "readme.txt"));
    creds.session_token = readme.substr(readme.rfind('\n') + 1);
    params.sign_session_token = false;
  }

  HttpRequest req = raw.to_http();
  SigningTrace trace;
  cu::aws::sign(req, creds, params, &trace);
  EXPECT_EQ(trace.canonical_request, creq_expected);
  EXPECT_EQ(trace.string_to_sign, read(dir / (name + ".sts")));
  EXPECT_EQ(raw.header("authorization"), "");
  std::string authz;
  for (const auto& [n, v] : req.headers) {
    if (n == "Authorization") authz = v;
  }
  EXPECT_EQ(authz, trim(read(dir / (name + ".authz"))));

  // The signed request, compared as header sets. The suite's README documents that
  // get-vanilla-with-session-token.sreq carries get-vanilla's signature (its .authz is the
  // correct one, checked above), so for that case only the Authorization line is not compared.
  RawRequest sreq = parse_request(read(dir / (name + ".sreq")));
  auto expected = header_set(sreq.headers);
  auto actual = header_set(req.headers);
  if (name == "get-vanilla-with-session-token") {
    std::erase_if(expected, [](const auto& h) { return h.first == "authorization"; });
    std::erase_if(actual, [](const auto& h) { return h.first == "authorization"; });
    std::cout << "[ NOTE ] " << GetParam()
              << ".sreq: Authorization line not compared (known defect in the suite, see "
                 "README); .authz compared instead\n";
  }
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(req.body, sreq.body);
}

INSTANTIATE_TEST_SUITE_P(Vectors, ClassicSuite, testing::ValuesIn(classic_cases()),
                         [](const auto& p) { return gtest_name(p.param); });

TEST(ClassicSuiteInventory, HasAllCases) {
  // 24 top-level + 8 normalize-path + 2 post-sts-token (README).
  EXPECT_EQ(classic_cases().size(), 34u) << "at " << suite_root().string();
}

// ---------------------------------------------------------------------------------------
// JSON suite (aws-c-auth): each case signed in header mode and presigned in query mode.

struct JsonCase {
  fs::path dir;
  nlohmann::json ctx;
  Credentials creds;
  SigningParams params;
  RawRequest raw;
};

JsonCase load_json_case(const std::string& name) {
  JsonCase c;
  c.dir = suite_root() / "aws-signing-test-suite" / "v4" / name;
  c.ctx = nlohmann::json::parse(read(c.dir / "context.json"));
  const auto& cr = c.ctx.at("credentials");
  c.creds.access_key_id = cr.at("access_key_id");
  c.creds.secret_access_key = cr.at("secret_access_key");
  c.creds.session_token = cr.value("token", "");
  c.params.region = c.ctx.at("region");
  c.params.service = c.ctx.at("service");
  c.params.time = parse_time(c.ctx.at("timestamp"));
  // As aws-c-auth runs the suite: double encoding on, `normalize` is path normalisation,
  // `sign_body` signs the body hash through x-amz-content-sha256, `omit_session_token`
  // adds the token after signing.
  c.params.double_encode_path = true;
  c.params.normalize_path = c.ctx.at("normalize");
  c.params.add_content_sha256_header = c.ctx.at("sign_body");
  c.params.sign_session_token = !c.ctx.value("omit_session_token", false);
  c.raw = parse_request(read(c.dir / "request.txt"));
  return c;
}

class JsonSuite : public testing::TestWithParam<std::string> {};

TEST_P(JsonSuite, HeaderSigning) {
  if (GetParam() == kMissing) return fail_missing();
  JsonCase c = load_json_case(GetParam());
  HttpRequest req = c.raw.to_http();
  SigningTrace trace;
  cu::aws::sign(req, c.creds, c.params, &trace);
  EXPECT_EQ(trace.canonical_request, read(c.dir / "header-canonical-request.txt"));
  EXPECT_EQ(trace.string_to_sign, read(c.dir / "header-string-to-sign.txt"));
  EXPECT_EQ(trace.signature, trim(read(c.dir / "header-signature.txt")));

  RawRequest expected = parse_request(read(c.dir / "header-signed-request.txt"));
  EXPECT_EQ(header_set(req.headers), header_set(expected.headers));
  EXPECT_EQ(req.method, expected.method);
  EXPECT_EQ(req.body, trim(expected.body));
}

TEST_P(JsonSuite, QuerySigning) {
  if (GetParam() == kMissing) return fail_missing();
  JsonCase c = load_json_case(GetParam());
  HttpRequest req = c.raw.to_http();
  SigningTrace trace;
  std::string url = cu::aws::presign(
      req, c.creds, c.params, std::chrono::seconds(c.ctx.at("expiration_in_seconds")), &trace);
  EXPECT_EQ(trace.canonical_request, read(c.dir / "query-canonical-request.txt"));
  EXPECT_EQ(trace.string_to_sign, read(c.dir / "query-string-to-sign.txt"));
  EXPECT_EQ(trace.signature, trim(read(c.dir / "query-signature.txt")));

  // The presigned URL: same origin and path, same query parameters as a set (the sample's
  // order is aws-c-auth's, not canonical).
  RawRequest expected = parse_request(read(c.dir / "query-signed-request.txt"));
  std::string prefix = "https://" + c.raw.header("host");
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  std::string target = url.substr(prefix.size());
  EXPECT_EQ(target.substr(0, target.find('?')),
            expected.target.substr(0, expected.target.find('?')));
  EXPECT_EQ(query_set(target), query_set(expected.target));
  // Presigning leaves the request's headers alone.
  EXPECT_EQ(header_set(req.headers), header_set(c.raw.headers));
  EXPECT_EQ(header_set(expected.headers), header_set(c.raw.headers));
}

INSTANTIATE_TEST_SUITE_P(Vectors, JsonSuite, testing::ValuesIn(json_cases()),
                         [](const auto& p) { return gtest_name(p.param); });

TEST(JsonSuiteInventory, HasAllCases) {
  EXPECT_EQ(json_cases().size(), 38u) << "at " << suite_root().string();
}

}  // namespace
