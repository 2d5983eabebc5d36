#pragma once
// Amazon S3: the object calls crossunload needs — PutObject, multipart upload (create,
// upload part, complete, abort, list uploads), ListObjectsV2 (all pages), HeadObject,
// GetObject streamed to a callback, DeleteObjects in batches of 1,000 — with SSE-S3/SSE-KMS
// and If-None-Match on writes. Addressing is virtual-hosted on AWS
// (https://<bucket>.s3.<region>.amazonaws.com/<key>) and path style for a custom endpoint
// (moto, MinIO) or a bucket name with dots. When a bucket lives in another region than the
// one configured, S3's 301/400 answer names the right one (x-amz-bucket-region): the client
// remembers it per bucket and resends there.
//
//   S3Client s3({.region = "eu-west-1"}, credentials);
//   s3.put_object("bucket", "dir/file.csv", bytes, {.sse = Sse::kKms, .kms_key_id = key});
//   s3.get_object("bucket", "dir/file.csv", [&](std::string_view chunk) { hash(chunk); });
//
// For streaming uploads of unknown size use S3MultipartWriter (s3_multipart_writer.h).
// Errors are AwsError with step "upload"/"read"/"list"/"delete" and the s3:// URL as the
// resource; kind kDestination unless AWS denied access (kAccess).
//
// Retries after a lost answer (the request reached S3, the answer did not reach us) are
// recognised where a plain retry would fail or leak: a CompleteMultipartUpload answered
// NoSuchUpload (or 412 with If-None-Match) is done when the object's ETag is the one these
// parts give; a conditional PutObject answered 412 is done when the object's ETag is our
// bytes' MD5 (its size, under SSE-KMS); a CreateMultipartUpload whose earlier attempt
// started an upload has that upload aborted (best effort: it needs
// s3:ListBucketMultipartUploads). A failure on the first attempt is never taken as done.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/http_service.h"

namespace cu::aws {

struct S3Options {
  std::string region{};        // empty = us-east-1
  std::string endpoint_url{};  // custom endpoint (AWS_ENDPOINT_URL_S3, moto): path style
  bool force_path_style = false;
  RetryPolicy retry{};
  HttpOptions http{};
  // Sign the body of parts and puts (SHA-256). Off = UNSIGNED-PAYLOAD, only over https.
  bool sign_payload = true;
};

enum class Sse { kNone, kS3, kKms };

struct PutOptions {
  std::string content_type{};
  Sse sse = Sse::kNone;
  std::string kms_key_id{};    // with kKms; empty = the account's aws/s3 key
  bool if_none_match = false;  // never overwrite: S3 answers 412 when the key exists
};

struct ObjectInfo {
  std::string key{};
  std::uint64_t size = 0;
  std::string etag{};
  std::string last_modified{};
  std::string content_type{};
  std::string sse{};         // "AES256", "aws:kms" or empty
  std::string kms_key_id{};  // with aws:kms
};

struct MultipartUploadInfo {
  std::string key{};
  std::string upload_id{};
  std::string initiated{};
};

struct CompletedPart {
  int part_number = 0;
  std::string etag{};
};

class S3Client {
 public:
  S3Client(S3Options options, CredentialsProviderPtr credentials);

  // Returns the ETag.
  std::string put_object(const std::string& bucket, const std::string& key, std::string_view data,
                         const PutOptions& options = {});

  std::string create_multipart_upload(const std::string& bucket, const std::string& key,
                                      const PutOptions& options = {});
  // Safe to retry with the same bytes; returns the part's ETag.
  std::string upload_part(const std::string& bucket, const std::string& key,
                          const std::string& upload_id, int part_number, std::string_view data);
  std::string complete_multipart_upload(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id,
                                        const std::vector<CompletedPart>& parts,
                                        bool if_none_match = false);
  void abort_multipart_upload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id);
  std::vector<MultipartUploadInfo> list_multipart_uploads(const std::string& bucket,
                                                          const std::string& prefix = "");

  // Every object under `prefix`, all pages (1,000 keys each) followed.
  std::vector<ObjectInfo> list_objects(const std::string& bucket, const std::string& prefix = "");
  // Nullopt when the object does not exist (404).
  std::optional<ObjectInfo> head_object(const std::string& bucket, const std::string& key);
  // Streams the object's bytes to `sink`; returns its metadata.
  ObjectInfo get_object(const std::string& bucket, const std::string& key, const BodySink& sink);
  std::string get_object(const std::string& bucket, const std::string& key);  // small objects
  // Deletes in batches of 1,000 (the API's limit); throws naming the first key S3 refused.
  void delete_objects(const std::string& bucket, const std::vector<std::string>& keys);

  // The region requests for `bucket` are signed for (after any redirect seen).
  std::string bucket_region(const std::string& bucket) const;
  const S3Options& options() const { return options_; }

 private:
  struct Target {
    std::shared_ptr<ServiceClient> client;
    std::string path_prefix;  // "/bucket" (path style) or "" (virtual-hosted)
  };
  Target target(const std::string& bucket) const;
  // After a CreateMultipartUpload retried past a lost answer: aborts the uploads of `key`
  // other than `keep`. Best effort, never throws.
  void abort_orphan_uploads(const std::string& bucket, const std::string& key,
                            const std::string& keep);
  HttpResponse send(const std::string& bucket, ServiceRequest& req);

  S3Options options_;
  CredentialsProviderPtr credentials_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::string> bucket_regions_;
  mutable std::map<std::string, Target> targets_;  // by bucket
};

// Pure helpers, unit-tested.
// A key as it goes into the URL path: RFC 3986 unreserved characters and '/' kept, every
// other byte %XX (uppercase hex) — S3 does not normalize paths.
std::string s3_encode_key(std::string_view key);
std::string s3_url(const std::string& bucket, const std::string& key);  // "s3://bucket/key"
std::string complete_multipart_body(const std::vector<CompletedPart>& parts);
std::string delete_objects_body(const std::vector<std::string>& keys, std::size_t begin,
                                std::size_t end);
std::string content_md5(std::string_view data);  // base64 of the MD5 digest
// The ETag S3 gives the object these parts complete: "<md5 of the parts' MD5s>-<count>",
// quoted; empty when a part's ETag is not an MD5 in hex.
std::string multipart_etag(const std::vector<CompletedPart>& parts);
// Parsers of S3's XML answers.
struct ListObjectsPage {
  std::vector<ObjectInfo> objects{};
  std::string next_continuation_token{};  // empty on the last page
};
ListObjectsPage parse_list_objects_v2(std::string_view xml);
std::vector<MultipartUploadInfo> parse_list_multipart_uploads(std::string_view xml,
                                                              std::string* next_key_marker,
                                                              std::string* next_upload_id_marker);

}  // namespace cu::aws
