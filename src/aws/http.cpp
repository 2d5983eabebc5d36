#include "aws/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>

#include "aws/config_file.h"
#include "base/error.h"

namespace cu::aws {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// One handle per thread: curl_easy_reset() keeps its live connections and caches, so
// consecutive requests from a thread reuse the connection to the same host.
CURL* thread_handle() {
  thread_local EasyHandle handle;
  if (!handle) {
    global_init();
    handle.reset(curl_easy_init());
    if (!handle) {
      throw Error(ErrorKind::kOther, "http", "", "curl_easy_init failed");
    }
  } else {
    curl_easy_reset(handle.get());
  }
  return handle.get();
}

struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  const BodySink* sink = nullptr;
  // request body
  std::string_view data;
  std::size_t offset = 0;
  const BodyReader* reader = nullptr;
  std::exception_ptr error;  // thrown by the sink or reader, rethrown after curl returns
  int header_sends = 0;      // with detect_resend: times the request went out
  bool retried_fresh = false;
};

// With detect_resend: libcurl resends a request by itself when a reused connection dies
// before any answer ("Connection died, retrying a fresh connect") — after a server that
// may have carried it out. The caller must know: count the request headers sent.
int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (type == CURLINFO_HEADER_OUT) {
    ++t->header_sends;
  } else if (type == CURLINFO_TEXT &&
             std::string_view(data, size).find("retrying a fresh connect") !=
                 std::string_view::npos) {
    t->retried_fresh = true;
  }
  return 0;
}

std::size_t on_header(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(buf, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (after 100 Continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    t->response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

std::size_t on_body(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink && *t->sink && status >= 200 && status < 300) {
    try {
      (*t->sink)(std::string_view(buf, len));
      t->response->sink_bytes += len;
    } catch (...) {
      t->error = std::current_exception();
      return CURL_WRITEFUNC_ERROR;
    }
  } else {
    t->response->body.append(buf, len);
  }
  return len;
}

std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t max = size * n;
  if (t->reader) {
    try {
      return (*t->reader)(buf, max);
    } catch (...) {
      t->error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  std::size_t len = std::min(max, t->data.size() - t->offset);
  std::memcpy(buf, t->data.data() + t->offset, len);
  t->offset += len;
  return len;
}

// libcurl rewinds the body itself when it must resend it (a redirect, an auth retry).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (t->reader || origin != SEEK_SET || offset < 0 ||
      static_cast<std::size_t>(offset) > t->data.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The CA certificates to trust, found as the AWS CLI finds them: AWS_CA_BUNDLE, else the
// selected profile's `ca_bundle`, else libcurl's default store. Read once: every client
// of the process (and every upload thread) trusts the same bundle.
struct CaBundle {
  std::string path;
  std::string origin;  // "AWS_CA_BUNDLE" or "<config file>:<line>", for messages
};

const CaBundle& ca_bundle() {
  static const CaBundle bundle = [] {
    Environment env = Environment::from_process();
    if (auto v = env.get("AWS_CA_BUNDLE")) {
      return CaBundle{*v, "AWS_CA_BUNDLE"};
    }
    try {
      SharedConfig config = SharedConfig::load(env);
      if (const Profile* p = config.selected()) {
        if (auto v = p->get("ca_bundle")) {
          auto o = p->origin.find("ca_bundle");
          return CaBundle{*v, o != p->origin.end() ? o->second : config.config_path()};
        }
      }
    } catch (const Error&) {
      // A malformed config file is reported by whoever reads credentials or the region.
    }
    return CaBundle{};
  }();
  return bundle;
}

// The CA bundle in use, as a user would name it: "the CA bundle /x.pem (from AWS_CA_BUNDLE)".
std::string describe_bundle(const CaBundle& ca) {
  if (ca.path.empty()) {
    return "the system's CA store";
  }
  return fmt::format("the CA bundle {} (from {})", ca.path, ca.origin);
}

// How to trust the server instead, for the bundle that refused it.
std::string tls_trust_hint(CURLcode code, const CaBundle& ca) {
  if (code == CURLE_SSL_CERTPROBLEM) {
    return "libcurl could not use the local client certificate (SSL_CERTPROBLEM); check the TLS "
           "settings of the environment. Not retried: every attempt would fail the same way";
  }
  std::string what =
      code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CRL_BADFILE
          ? fmt::format("{} could not be loaded (is it a PEM file?)", describe_bundle(ca))
          : fmt::format("{} does not trust the server's certificate", describe_bundle(ca));
  std::string how;
  if (ca.path.empty()) {
    how =
        "set AWS_CA_BUNDLE (or ca_bundle in the profile) to a PEM file holding the CA that "
        "signed the endpoint's certificate";
  } else if (ca.origin == "AWS_CA_BUNDLE") {
    how =
        "point AWS_CA_BUNDLE at a PEM file holding the CA that signed the endpoint's "
        "certificate, or unset it to use the profile's ca_bundle or the system's store";
  } else {
    how = fmt::format(
        "change ca_bundle at {} to a PEM file holding the CA that signed the endpoint's "
        "certificate (AWS_CA_BUNDLE, when set, takes precedence), or remove it to use the "
        "system's store",
        ca.origin);
  }
  return fmt::format("{}; {}. Not retried: every attempt would fail the same way", what, how);
}

}  // namespace

TransportFailure classify_transport_failure(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportFailure::kNoConnection;
    case CURLE_PEER_FAILED_VERIFICATION:  // also CURLE_SSL_CACERT, its old name
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return TransportFailure::kTlsTrust;
    default:
      return TransportFailure::kMayHaveReachedServer;
  }
}

std::string host_header_of(std::string_view url) {
  auto scheme_end = url.find("://");
  std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (auto colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) {
      authority = authority.substr(0, colon);
    }
  }
  return std::string(authority);
}

HttpClient::HttpClient(HttpOptions options) : options_(options) {}

HttpResponse HttpClient::send(const HttpRequest& req, const HttpBody* body,
                              const BodySink* sink) const {
  return send(req, body, sink, options_);
}

HttpResponse HttpClient::send(const HttpRequest& req, const HttpBody* body, const BodySink* sink,
                              const HttpOptions& opts) const {
  CURL* curl = thread_handle();
  HttpResponse response;
  Transfer t;
  t.curl = curl;
  t.response = &response;
  t.sink = sink;
  std::uint64_t body_size = 0;
  bool has_body = false;
  if (body && body->reader) {
    t.reader = &body->reader;
    body_size = body->reader_size;
    has_body = true;
  } else {
    t.data = body ? body->data : std::string_view(req.body);
    body_size = t.data.size();
    has_body = !t.data.empty();
  }

  Slist headers;
  auto add_header = [&](const std::string& line) {
    curl_slist* l = curl_slist_append(headers.get(), line.c_str());
    if (!l) {
      throw Error(ErrorKind::kOther, "http", "", "out of memory");
    }
    // The list grew in place (l is its head): hand ownership over without freeing it.
    static_cast<void>(headers.release());
    headers.reset(l);
  };
  bool has_content_type = false;
  for (const auto& [k, v] : req.headers) {
    if (strcasecmp(k.c_str(), "content-length") == 0) {
      continue;  // curl sets it
    }
    if (strcasecmp(k.c_str(), "content-type") == 0) {
      has_content_type = true;
    }
    std::string line = k;
    line += v.empty() ? ";" : ": ";  // "Name;" sends an empty value
    line += v;
    add_header(line);
  }
  add_header("Expect:");  // no 100-continue round trip before each part
  if (!has_content_type) {
    add_header("Content-Type:");  // keep curl from adding a form type
  }
  add_header("Accept:");

  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  // The path as written: an S3 key is signed and reported as it is, so "." and ".."
  // segments must not be resolved into another key (or, path-style, another bucket).
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(opts.connect_timeout.count()));
  if (opts.request_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(opts.request_timeout.count()));
  }
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, opts.low_speed_bytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, opts.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, opts.verify_tls ? 2L : 0L);
  const CaBundle& ca = ca_bundle();
  if (!ca.path.empty() && req.url.starts_with("https:")) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ca.path, ec)) {
      throw Error(ErrorKind::kUsage, "http", ca.origin,
                  fmt::format("the CA bundle {} is not a readable file", ca.path))
          .with_hint("point AWS_CA_BUNDLE (or the profile's ca_bundle) at a PEM file");
    }
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca.path.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);

  const std::string& m = req.method;
  if (m == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (m == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (m == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
  } else if (m == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
    if (has_body) {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    }
  }
  if (m == "PUT" || m == "POST" || has_body) {
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  if (opts.detect_resend) {
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &t);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  }

  CURLcode rc = curl_easy_perform(curl);
  if (opts.detect_resend) {
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 0L);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, nullptr);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, nullptr);
    response.resent = t.header_sends > 1 || t.retried_fresh;
  }
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (t.error) {
    std::rethrow_exception(t.error);
  }
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    std::string hint;
    if (classify_transport_failure(rc) == TransportFailure::kTlsTrust) {
      detail += fmt::format(" (TLS, trusting {})", describe_bundle(ca));
      hint = tls_trust_hint(rc, ca);
    }
    throw TransportError(rc, fmt::format("{} {}: {}", m, host_header_of(req.url), detail),
                         std::move(hint), detail);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace cu::aws
