// S3 request building and response parsing without a server.
#include <gtest/gtest.h>

#include "aws/s3.h"

namespace cu::aws {
namespace {

TEST(AwsS3Test, KeyEncoding) {
  // The S3 SigV4 documentation's PUT example signs the key "test$file.text" as
  // "/test%24file.text"; RFC 3986 unreserved characters stay, '/' stays (keys are not
  // paths, nothing is normalized), every other byte is %XX in upper case.
  EXPECT_EQ(s3_encode_key("test$file.text"), "test%24file.text");
  EXPECT_EQ(s3_encode_key("photos/2006/February/sample.jpg"), "photos/2006/February/sample.jpg");
  EXPECT_EQ(s3_encode_key("a b+c=d&e"), "a%20b%2Bc%3Dd%26e");
  EXPECT_EQ(s3_encode_key("x~y_z-.csv"), "x~y_z-.csv");
  EXPECT_EQ(s3_encode_key("100%/*"), "100%25/%2A");
  EXPECT_EQ(s3_encode_key("ü"), "%C3%BC");
  EXPECT_EQ(s3_encode_key("a//b/./../c"), "a//b/./../c");  // not normalized
}

TEST(AwsS3Test, ContentMd5) {
  // RFC 1321 test suite digests, base64-encoded as Content-MD5 wants.
  EXPECT_EQ(content_md5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");     // d41d8cd98f00b204e9800998ecf8427e
  EXPECT_EQ(content_md5("abc"), "kAFQmDzST7DWlj99KOF/cg==");  // 900150983cd24fb0d6963f7d28e17f72
}

TEST(AwsS3Test, CompleteBody) {
  EXPECT_EQ(complete_multipart_body({{1, "\"a54357aff0632cce46d942af68356b38\""},
                                     {2, "\"0c78aef83f66abc1fa1e8477f296d394\""}}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;"
            "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;"
            "0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part></CompleteMultipartUpload>");
}

TEST(AwsS3Test, DeleteBodyEscapesKeys) {
  std::vector<std::string> keys = {"a", "b&<c>", "d"};
  EXPECT_EQ(delete_objects_body(keys, 1, 3),
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "<Object><Key>b&amp;&lt;c&gt;</Key></Object><Object><Key>d</Key></Object></Delete>");
}

TEST(AwsS3Test, ListObjectsV2Page) {
  // From the S3 API reference, ListObjectsV2 example.
  ListObjectsPage page = parse_list_objects_v2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>205</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>true</IsTruncated>
    <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
</ListBucketResult>)");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "my-image.jpg");
  EXPECT_EQ(page.objects[0].size, 434234u);
  EXPECT_EQ(page.objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  ListObjectsPage last = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  EXPECT_TRUE(last.objects.empty());
  EXPECT_EQ(last.next_continuation_token, "");
}

TEST(AwsS3Test, ListMultipartUploadsPage) {
  // From the S3 API reference, ListMultipartUploads example (trimmed).
  std::string next_key, next_id;
  auto uploads = parse_list_multipart_uploads(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>)",
                                              &next_key, &next_id);
  ASSERT_EQ(uploads.size(), 2u);
  EXPECT_EQ(uploads[0].key, "my-divisor");
  EXPECT_EQ(uploads[1].upload_id, "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_EQ(next_key, "my-movie.m2ts");
  EXPECT_EQ(next_id, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
}

// S3's multipart ETag: the MD5 of the parts' binary MD5s, "-<count>" (computed here with
// Python's hashlib from md5(b"part one") and md5(b"part two")).
TEST(AwsS3Test, MultipartEtag) {
  std::vector<CompletedPart> parts = {{1, "\"3303e12af474ca11d85ed2966a932992\""},
                                      {2, "\"3ea4e15b91a17dc76052c56cfcdf67a2\""}};
  EXPECT_EQ(multipart_etag(parts), "\"0732917abc3288784e318ac0aab1757a-2\"");
  parts[1].etag = "\"not-an-md5\"";
  EXPECT_EQ(multipart_etag(parts), "");
}

TEST(AwsS3Test, S3Url) {
  EXPECT_EQ(s3_url("b", "k/x.csv"), "s3://b/k/x.csv");
  EXPECT_EQ(s3_url("b", ""), "s3://b");
}

}  // namespace
}  // namespace cu::aws
