#include "aws/s3.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <pugixml.hpp>

#include "aws/names.h"
#include "aws/sigv4.h"
#include "base/log.h"

namespace cu::aws {
namespace {

constexpr std::size_t kDeleteBatch = 1000;

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string query_param(std::string_view name, std::string_view value) {
  return uri_encode(name, true) + "=" + uri_encode(value, true);
}

void add_put_headers(HeaderList& h, const PutOptions& o) {
  if (!o.content_type.empty()) {
    h.emplace_back("Content-Type", o.content_type);
  }
  if (o.sse == Sse::kS3) {
    h.emplace_back("x-amz-server-side-encryption", "AES256");
  }
  if (o.sse == Sse::kKms) {
    h.emplace_back("x-amz-server-side-encryption", "aws:kms");
    if (!o.kms_key_id.empty()) {
      h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", o.kms_key_id);
    }
  }
}

ObjectInfo info_from_headers(const std::string& key, const HttpResponse& r) {
  ObjectInfo o;
  o.key = key;
  std::string len = r.header("Content-Length");
  if (!len.empty()) {
    o.size = std::stoull(len);
  }
  o.etag = r.header("ETag");
  o.last_modified = r.header("Last-Modified");
  o.content_type = r.header("Content-Type");
  o.sse = r.header("x-amz-server-side-encryption");
  o.kms_key_id = r.header("x-amz-server-side-encryption-aws-kms-key-id");
  return o;
}

pugi::xml_document load_xml(std::string_view xml, const char* what) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    throw Error(ErrorKind::kOther, what, "", "unparseable XML response from S3");
  }
  return doc;
}

// A bucket name that cannot be a DNS label under *.s3.amazonaws.com's certificate.
bool needs_path_style(const std::string& bucket) {
  return bucket.find('.') != std::string::npos ||
         bucket.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos;
}

std::string endpoint_domain(const std::string& region) {
  return region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string md5_raw(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

std::string lower_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

}  // namespace

std::string multipart_etag(const std::vector<CompletedPart>& parts) {
  std::string digests;
  for (const CompletedPart& p : parts) {
    std::string h = p.etag;
    if (h.size() >= 2 && h.front() == '"' && h.back() == '"') {
      h = h.substr(1, h.size() - 2);
    }
    if (h.size() != 32 || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return {};
    }
    for (std::size_t i = 0; i < 32; i += 2) {
      digests += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    }
  }
  return fmt::format("\"{}-{}\"", lower_hex(md5_raw(digests)), parts.size());
}

std::string s3_encode_key(std::string_view key) { return uri_encode(key, false); }

std::string s3_url(const std::string& bucket, const std::string& key) {
  return key.empty() ? "s3://" + bucket : "s3://" + bucket + "/" + key;
}

std::string content_md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

std::string complete_multipart_body(const std::vector<CompletedPart>& parts) {
  std::string b = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& p : parts) {
    b += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", p.part_number,
                     xml_escape(p.etag));
  }
  b += "</CompleteMultipartUpload>";
  return b;
}

std::string delete_objects_body(const std::vector<std::string>& keys, std::size_t begin,
                                std::size_t end) {
  std::string b = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (std::size_t i = begin; i < end; ++i) {
    b += "<Object><Key>" + xml_escape(keys[i]) + "</Key></Object>";
  }
  b += "</Delete>";
  return b;
}

ListObjectsPage parse_list_objects_v2(std::string_view xml) {
  auto doc = load_xml(xml, "list");
  pugi::xml_node root = doc.child("ListBucketResult");
  ListObjectsPage page;
  for (pugi::xml_node c : root.children("Contents")) {
    ObjectInfo o;
    o.key = c.child_value("Key");
    o.size = std::strtoull(c.child_value("Size"), nullptr, 10);
    o.etag = c.child_value("ETag");
    o.last_modified = c.child_value("LastModified");
    page.objects.push_back(std::move(o));
  }
  if (std::string_view(root.child_value("IsTruncated")) == "true") {
    page.next_continuation_token = root.child_value("NextContinuationToken");
  }
  return page;
}

std::vector<MultipartUploadInfo> parse_list_multipart_uploads(std::string_view xml,
                                                              std::string* next_key_marker,
                                                              std::string* next_upload_id_marker) {
  auto doc = load_xml(xml, "list uploads");
  pugi::xml_node root = doc.child("ListMultipartUploadsResult");
  std::vector<MultipartUploadInfo> out;
  for (pugi::xml_node u : root.children("Upload")) {
    out.push_back({u.child_value("Key"), u.child_value("UploadId"), u.child_value("Initiated")});
  }
  bool truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  if (next_key_marker) {
    *next_key_marker = truncated ? root.child_value("NextKeyMarker") : "";
  }
  if (next_upload_id_marker) {
    *next_upload_id_marker = truncated ? root.child_value("NextUploadIdMarker") : "";
  }
  return out;
}

S3Client::S3Client(S3Options options, CredentialsProviderPtr credentials)
    : options_(std::move(options)), credentials_(std::move(credentials)) {
  options_.region = region_or_default(options_.region);
  while (!options_.endpoint_url.empty() && options_.endpoint_url.back() == '/') {
    options_.endpoint_url.pop_back();
  }
}

std::string S3Client::bucket_region(const std::string& bucket) const {
  std::lock_guard lock(mu_);
  auto it = bucket_regions_.find(bucket);
  return it == bucket_regions_.end() ? options_.region : it->second;
}

S3Client::Target S3Client::target(const std::string& bucket) const {
  std::lock_guard lock(mu_);
  if (auto it = targets_.find(bucket); it != targets_.end()) {
    return it->second;
  }
  auto rit = bucket_regions_.find(bucket);
  std::string region = rit == bucket_regions_.end() ? options_.region : rit->second;
  Target t;
  std::string endpoint;
  bool path_style =
      options_.force_path_style || !options_.endpoint_url.empty() || needs_path_style(bucket);
  if (!options_.endpoint_url.empty()) {
    endpoint = options_.endpoint_url;
  } else if (path_style) {
    endpoint = fmt::format("https://s3.{}.{}", region, endpoint_domain(region));
  } else {
    endpoint = fmt::format("https://{}.s3.{}.{}", bucket, region, endpoint_domain(region));
  }
  t.path_prefix = path_style ? "/" + s3_encode_key(bucket) : "";
  t.client = std::make_shared<ServiceClient>(ServiceEndpoint{"s3", region, endpoint}, credentials_,
                                             options_.retry, options_.http);
  targets_[bucket] = t;
  return t;
}

HttpResponse S3Client::send(const std::string& bucket, ServiceRequest& req) {
  std::string path = req.path;  // relative to the bucket: "/key" or "/"
  for (int redirects = 0;; ++redirects) {
    Target t = target(bucket);
    req.path = t.path_prefix + path;
    if (req.path.empty()) {
      req.path = "/";
    }
    try {
      return t.client->send(req);
    } catch (const AwsError& e) {
      // The bucket is elsewhere: S3 says where in x-amz-bucket-region (301 PermanentRedirect,
      // 400 AuthorizationHeaderMalformed, or a HEAD's bare 301/400).
      std::string region = find_header(e.info().headers, "x-amz-bucket-region");
      bool wrong_region = e.status() == 301 || e.status() == 307 ||
                          e.info().code == "AuthorizationHeaderMalformed" ||
                          e.info().code == "PermanentRedirect" ||
                          (e.status() == 400 && !region.empty());
      if (!wrong_region || region.empty() || redirects > 0 ||
          region == t.client->endpoint().region) {
        throw;
      }
      log::debug("bucket {} is in {}, not {}; resending there", bucket, region,
                 t.client->endpoint().region);
      std::lock_guard lock(mu_);
      bucket_regions_[bucket] = region;
      targets_.erase(bucket);
    }
  }
}

std::string S3Client::put_object(const std::string& bucket, const std::string& key,
                                 std::string_view data, const PutOptions& o) {
  ServiceRequest r;
  r.operation = "PutObject";
  r.method = "PUT";
  r.path = "/" + s3_encode_key(key);
  add_put_headers(r.headers, o);
  if (o.if_none_match) {
    r.headers.emplace_back("If-None-Match", "*");
  }
  r.body = data;
  r.unsigned_payload = !options_.sign_payload;
  r.step = "upload";
  r.resource = s3_url(bucket, key);
  r.error_kind = ErrorKind::kDestination;
  AttemptTrace trace;
  r.trace = &trace;
  try {
    return send(bucket, r).header("ETag");
  } catch (const AwsError& e) {
    // If-None-Match refused a retry whose earlier attempt put the object but lost the
    // answer: the object there is ours when its ETag is our bytes' MD5 (SSE-KMS ETags are
    // not an MD5: the size is what can be checked then).
    if (!(o.if_none_match && e.status() == 412 && trace.earlier_may_have_applied)) {
      throw;
    }
    auto head = head_object(bucket, key);
    bool ours = head && head->size == data.size() &&
                (o.sse == Sse::kKms || head->etag == "\"" + lower_hex(md5_raw(data)) + "\"");
    if (!ours) {
      throw;
    }
    log::debug("PutObject {}: an earlier attempt had put it (answer lost); taken as done",
               s3_url(bucket, key));
    return head->etag;
  }
}

std::string S3Client::create_multipart_upload(const std::string& bucket, const std::string& key,
                                              const PutOptions& o) {
  ServiceRequest r;
  r.operation = "CreateMultipartUpload";
  r.method = "POST";
  r.path = "/" + s3_encode_key(key);
  r.query = "uploads=";
  add_put_headers(r.headers, o);
  r.step = "upload";
  r.resource = s3_url(bucket, key);
  r.error_kind = ErrorKind::kDestination;
  // Retried like any request: a retry after a lost answer leaves the earlier attempt's
  // upload open, which is found and aborted below.
  AttemptTrace trace;
  r.trace = &trace;
  HttpResponse resp = send(bucket, r);
  auto doc = load_xml(resp.body, "upload");
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) {
    throw Error(ErrorKind::kDestination, "upload", s3_url(bucket, key),
                "CreateMultipartUpload returned no upload id");
  }
  if (trace.earlier_may_have_applied) {
    abort_orphan_uploads(bucket, key, id);
  }
  return id;
}

void S3Client::abort_orphan_uploads(const std::string& bucket, const std::string& key,
                                    const std::string& keep) {
  // The other uploads of exactly this key are taken for those attempts'. (S3's Initiated
  // time cannot tell them apart: moto reports a fixed one.) Another run writing the very
  // same key at this moment would lose its upload and fail cleanly at its commit — two
  // runs writing one key at once are refused by the conditional commit anyway. Best
  // effort: the listing needs s3:ListBucketMultipartUploads, which the write role may
  // lack; what stays is an incomplete upload, never an object (teardown and the lifecycle
  // rule abort it).
  try {
    int aborted = 0;
    for (const MultipartUploadInfo& u : list_multipart_uploads(bucket, key)) {
      if (u.key != key || u.upload_id == keep) {
        continue;
      }
      abort_multipart_upload(bucket, key, u.upload_id);
      ++aborted;
    }
    log::debug(
        "CreateMultipartUpload {}: an earlier attempt's answer was lost; {} upload(s) "
        "it left aborted",
        s3_url(bucket, key), aborted);
  } catch (const std::exception& e) {
    log::warn(
        "CreateMultipartUpload {}: an earlier attempt's answer was lost and the upload it may "
        "have started could not be looked for ({}); an incomplete upload may remain (never an "
        "object): `crossunload teardown` or the bucket's lifecycle rule aborts it",
        s3_url(bucket, key), e.what());
  }
}

std::string S3Client::upload_part(const std::string& bucket, const std::string& key,
                                  const std::string& upload_id, int part_number,
                                  std::string_view data) {
  ServiceRequest r;
  r.operation = "UploadPart";
  r.method = "PUT";
  r.path = "/" + s3_encode_key(key);
  r.query = query_param("partNumber", std::to_string(part_number)) + "&" +
            query_param("uploadId", upload_id);
  r.body = data;
  r.unsigned_payload = !options_.sign_payload;
  r.step = "upload";
  r.resource = fmt::format("{} part {}", s3_url(bucket, key), part_number);
  r.error_kind = ErrorKind::kDestination;
  std::string etag = send(bucket, r).header("ETag");
  if (etag.empty()) {
    throw Error(ErrorKind::kDestination, "upload", r.resource, "UploadPart returned no ETag");
  }
  return etag;
}

std::string S3Client::complete_multipart_upload(const std::string& bucket, const std::string& key,
                                                const std::string& upload_id,
                                                const std::vector<CompletedPart>& parts,
                                                bool if_none_match) {
  std::string body = complete_multipart_body(parts);
  ServiceRequest r;
  r.operation = "CompleteMultipartUpload";
  r.slow_answer = true;
  r.method = "POST";
  r.path = "/" + s3_encode_key(key);
  r.query = query_param("uploadId", upload_id);
  r.headers = {{"Content-Type", "application/xml"}};
  if (if_none_match) {
    r.headers.emplace_back("If-None-Match", "*");
  }
  r.body = body;
  r.step = "upload";
  r.resource = s3_url(bucket, key);
  r.error_kind = ErrorKind::kDestination;
  AttemptTrace trace;
  r.trace = &trace;
  HttpResponse resp;
  try {
    resp = send(bucket, r);
  } catch (const AwsError& e) {
    // A retried Complete whose earlier attempt completed the upload but lost the answer
    // finds the upload gone (NoSuchUpload) or, with If-None-Match, the key taken (412).
    // The object is ours when its ETag is the one S3 gives these parts: the MD5 of their
    // MD5s, "-<count>" (docs/formats.md: what a retry takes as done).
    bool after_lost_answer =
        trace.earlier_may_have_applied && (e.aws_code() == "NoSuchUpload" || e.status() == 412);
    if (!after_lost_answer) {
      throw;
    }
    auto head = head_object(bucket, key);
    std::string want = multipart_etag(parts);
    if (!head || want.empty() || head->etag != want) {
      throw;
    }
    log::debug(
        "CompleteMultipartUpload {}: an earlier attempt had completed it (answer lost, "
        "ETag {} matches the parts); taken as done",
        s3_url(bucket, key), want);
    return head->etag;
  }
  auto doc = load_xml(resp.body, "upload");
  // S3 names the root CompleteMultipartUploadResult; moto ...Response: take either.
  std::string etag = doc.document_element().child_value("ETag");
  return etag.empty() ? resp.header("ETag") : etag;
}

void S3Client::abort_multipart_upload(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id) {
  ServiceRequest r;
  r.operation = "AbortMultipartUpload";
  r.method = "DELETE";
  r.path = "/" + s3_encode_key(key);
  r.query = query_param("uploadId", upload_id);
  r.step = "abort upload";
  r.resource = s3_url(bucket, key);
  r.error_kind = ErrorKind::kDestination;
  r.pass_statuses = {404};  // already gone: the goal is reached
  send(bucket, r);
}

std::vector<MultipartUploadInfo> S3Client::list_multipart_uploads(const std::string& bucket,
                                                                  const std::string& prefix) {
  std::vector<MultipartUploadInfo> all;
  std::string key_marker, upload_marker;
  do {
    ServiceRequest r;
    r.operation = "ListMultipartUploads";
    r.method = "GET";
    r.path = "/";
    r.query = "uploads=";
    if (!key_marker.empty()) {
      r.query += "&" + query_param("key-marker", key_marker);
    }
    if (!prefix.empty()) {
      r.query += "&" + query_param("prefix", prefix);
    }
    if (!upload_marker.empty()) {
      r.query += "&" + query_param("upload-id-marker", upload_marker);
    }
    r.step = "list uploads";
    r.resource = s3_url(bucket, prefix);
    r.error_kind = ErrorKind::kDestination;
    HttpResponse resp = send(bucket, r);
    auto page = parse_list_multipart_uploads(resp.body, &key_marker, &upload_marker);
    all.insert(all.end(), page.begin(), page.end());
  } while (!key_marker.empty());
  return all;
}

std::vector<ObjectInfo> S3Client::list_objects(const std::string& bucket,
                                               const std::string& prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    ServiceRequest r;
    r.operation = "ListObjectsV2";
    r.method = "GET";
    r.path = "/";
    // Parameters in canonical order, so the URL is already what the signer canonicalizes.
    if (!token.empty()) {
      r.query = query_param("continuation-token", token) + "&";
    }
    r.query += "list-type=2";
    if (!prefix.empty()) {
      r.query += "&" + query_param("prefix", prefix);
    }
    r.step = "list";
    r.resource = s3_url(bucket, prefix);
    r.error_kind = ErrorKind::kDestination;
    ListObjectsPage page = parse_list_objects_v2(send(bucket, r).body);
    for (auto& o : page.objects) {
      all.push_back(std::move(o));
    }
    token = page.next_continuation_token;
  } while (!token.empty());
  return all;
}

std::optional<ObjectInfo> S3Client::head_object(const std::string& bucket, const std::string& key) {
  ServiceRequest r;
  r.operation = "HeadObject";
  r.method = "HEAD";
  r.path = "/" + s3_encode_key(key);
  r.step = "read";
  r.resource = s3_url(bucket, key);
  r.error_kind = ErrorKind::kDestination;
  r.pass_statuses = {404};
  HttpResponse resp = send(bucket, r);
  if (resp.status == 404) {
    return std::nullopt;
  }
  return info_from_headers(key, resp);
}

ObjectInfo S3Client::get_object(const std::string& bucket, const std::string& key,
                                const BodySink& sink) {
  ServiceRequest r;
  r.operation = "GetObject";
  r.method = "GET";
  r.path = "/" + s3_encode_key(key);
  r.sink = &sink;
  r.step = "read";
  r.resource = s3_url(bucket, key);
  r.error_kind = ErrorKind::kDestination;
  HttpResponse resp = send(bucket, r);
  ObjectInfo info = info_from_headers(key, resp);
  info.size = resp.sink_bytes;
  return info;
}

std::string S3Client::get_object(const std::string& bucket, const std::string& key) {
  std::string out;
  get_object(bucket, key, [&out](std::string_view chunk) { out.append(chunk); });
  return out;
}

void S3Client::delete_objects(const std::string& bucket, const std::vector<std::string>& keys) {
  for (std::size_t begin = 0; begin < keys.size(); begin += kDeleteBatch) {
    std::size_t end = std::min(keys.size(), begin + kDeleteBatch);
    std::string body = delete_objects_body(keys, begin, end);
    ServiceRequest r;
    r.operation = "DeleteObjects";
    r.method = "POST";
    r.path = "/";
    r.query = "delete=";
    r.headers = {{"Content-Type", "application/xml"}, {"Content-MD5", content_md5(body)}};
    r.body = body;
    r.step = "delete";
    r.resource = s3_url(bucket, keys[begin]) +
                 (end - begin > 1 ? fmt::format(" and {} more", end - begin - 1) : "");
    r.error_kind = ErrorKind::kDestination;
    HttpResponse resp = send(bucket, r);
    // Quiet mode lists only the failures.
    auto doc = load_xml(resp.body, "delete");
    pugi::xml_node err = doc.child("DeleteResult").child("Error");
    if (err) {
      // Built in one go: member-wise assignment trips GCC 12's -Wrestrict false positive.
      AwsErrorInfo info{std::string("s3"),
                        std::string("DeleteObjects"),
                        resp.status,
                        err.child_value("Code"),
                        err.child_value("Message"),
                        resp.header("x-amz-request-id"),
                        resp.headers};
      throw to_error(info, "delete", s3_url(bucket, err.child_value("Key")),
                     ErrorKind::kDestination);
    }
  }
}

}  // namespace cu::aws
