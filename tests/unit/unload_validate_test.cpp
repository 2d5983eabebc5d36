// validate() and validate_columns(): each rule of spec §1.2–1.5 and §3 with its message.
#include <gtest/gtest.h>

#include "aws/names.h"
#include "base/error.h"
#include "unload/parse.h"
#include "unload/validate.h"

namespace {

using namespace cu::unload;

const std::string kHead = "UNLOAD ('select * from venue') TO 's3://mybucket/unload/' ";
const std::string kRole = "IAM_ROLE 'arn:aws:iam::123456789012:role/MyRole' ";

std::string error_of(const UnloadSpec& s, ValidateOptions o = {}) {
  try {
    validate(s, o);
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.step(), "validate UNLOAD");
    return e.message();
  }
  return "";
}

// The message validate() gives for `options` after a valid head and role ("" = accepted).
std::string error_of(const std::string& options) {
  return error_of(parse(kHead + kRole + options));
}

TEST(Validate, AcceptsTheSpecsExamples) {
  for (const char* opts : {"",
                           "maxfilesize 256 MB rowgroupsize 128 MB parallel on parquet manifest",
                           "extension 'txt.gz' gzip",
                           "kms_key_id '1234abcd' manifest encrypted",
                           "CSV DELIMITER AS '|'",
                           "NULL AS 'null' CSV HEADER",
                           "DELIMITER AS '\\t'",
                           "fixedwidth 'venueid:3,venuename:39'",
                           "fixedwidth '0:3,1:39' null as ' '",
                           "FORMAT JSON",
                           "JSON GZIP",
                           "PARQUET ENCRYPTED",
                           "PARQUET ENCRYPTED KMS_KEY_ID 'k'",
                           "PARTITION BY (eventname) INCLUDE",
                           "ENCRYPTED AUTO",
                           "ADDQUOTES ESCAPE HEADER",
                           "MANIFEST VERBOSE ALLOWOVERWRITE",
                           "CLEANPATH",
                           "REGION 'us-gov-west-1'",
                           "MAXFILESIZE 5 MB",
                           "MAXFILESIZE 6.2 GB",
                           "ROWGROUPSIZE 32 MB PARQUET",
                           "ZSTD CSV"}) {
    EXPECT_EQ(error_of(opts), "") << opts;
  }
  EXPECT_EQ(error_of(parse(kHead + "IAM_ROLE default")), "");
  EXPECT_EQ(error_of(parse(kHead + "credentials 'aws_iam_role=arn:aws:iam::123456789012:role/A'")),
            "");
  EXPECT_EQ(error_of(parse(kHead + "ACCESS_KEY_ID 'AKIA' SECRET_ACCESS_KEY 'validate-secret'")),
            "");
  EXPECT_EQ(error_of(parse(kHead + "IAM_ROLE 'arn:aws:iam::123456789012:role/A,"
                                   "arn:aws:iam::210987654321:role/path/B'")),
            "");
}

TEST(Validate, FormatOnlyOptions) {
  EXPECT_EQ(error_of("PARQUET DELIMITER ','"), "DELIMITER cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET HEADER"), "HEADER cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET ADDQUOTES"), "ADDQUOTES cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET GZIP"), "GZIP cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET BZIP2"), "BZIP2 cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET ZSTD"), "ZSTD cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET NULL AS 'x'"), "NULL AS cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET ESCAPE"), "ESCAPE cannot be used with PARQUET");
  EXPECT_EQ(error_of("PARQUET FIXEDWIDTH '0:1'"), "FIXEDWIDTH cannot be used with PARQUET");
  EXPECT_EQ(error_of("JSON HEADER"), "HEADER cannot be used with JSON");
  EXPECT_EQ(error_of("JSON DELIMITER ','"), "DELIMITER cannot be used with JSON");
  EXPECT_EQ(error_of("JSON NULL AS 'x'"), "NULL AS cannot be used with JSON");
  EXPECT_EQ(error_of("CSV ADDQUOTES"), "ADDQUOTES cannot be used with CSV");
  EXPECT_EQ(error_of("CSV ESCAPE"), "ESCAPE cannot be used with CSV");
  EXPECT_EQ(error_of("CSV FIXEDWIDTH '0:1'"), "FIXEDWIDTH cannot be used with CSV");
  EXPECT_EQ(error_of("FIXEDWIDTH '0:1' DELIMITER ','"), "FIXEDWIDTH cannot be used with DELIMITER");
  EXPECT_EQ(error_of("FIXEDWIDTH '0:1' HEADER"), "FIXEDWIDTH cannot be used with HEADER");
  EXPECT_EQ(error_of("FIXEDWIDTH '0:1' ADDQUOTES"), "FIXEDWIDTH cannot be used with ADDQUOTES");
  EXPECT_EQ(error_of("ROWGROUPSIZE 64 MB"), "ROWGROUPSIZE can only be used with FORMAT AS PARQUET");
  EXPECT_EQ(error_of("CSV ROWGROUPSIZE 64 MB"),
            "ROWGROUPSIZE can only be used with FORMAT AS PARQUET");
}

TEST(Validate, ValuesAndRanges) {
  EXPECT_EQ(error_of("DELIMITER ',,'"), "DELIMITER must be a single ASCII character, not ',,'");
  EXPECT_EQ(error_of("DELIMITER ''"), "DELIMITER must be a single ASCII character, not ''");
  EXPECT_EQ(error_of("DELIMITER '\xc2\xa7'"),
            "DELIMITER must be a single ASCII character, not '\xc2\xa7'");
  EXPECT_EQ(error_of("MAXFILESIZE 4.9 MB"),
            "MAXFILESIZE 4.9 MB is out of range; it must be between 5 MB and 6.2 GB");
  EXPECT_EQ(error_of("MAXFILESIZE 6.3 GB"),
            "MAXFILESIZE 6.3 GB is out of range; it must be between 5 MB and 6.2 GB");
  EXPECT_EQ(error_of("PARQUET ROWGROUPSIZE 16 MB"),
            "ROWGROUPSIZE 16 MB is out of range; it must be between 32 MB and 128 MB");
  EXPECT_EQ(error_of("PARQUET ROWGROUPSIZE 129 MB"),
            "ROWGROUPSIZE 129 MB is out of range; it must be between 32 MB and 128 MB");
  // FIXEDWIDTH is split once, by parse() or the job's configuration (parse_fixedwidth).
  auto fixedwidth_error = [](const char* text) {
    try {
      parse_fixedwidth(text);
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.step(), "validate UNLOAD");
      return e.message();
    }
    return std::string();
  };
  EXPECT_EQ(fixedwidth_error("venueid"),
            "invalid fixed-width specification 'venueid': 'venueid' is not col:width");
  EXPECT_EQ(fixedwidth_error("a:3,b:x"),
            "invalid fixed-width specification 'a:3,b:x': 'x' is not a width");
  EXPECT_EQ(fixedwidth_error("a:0"),
            "invalid fixed-width specification 'a:0': column 'a' has width 0");
  UnloadSpec fw = parse(kHead + kRole);
  fw.fixedwidth = {{"a", 3}, {"b", 0}};
  EXPECT_EQ(error_of(fw), "FIXEDWIDTH 'a:3,b:0' is not col:width with a positive width");
  EXPECT_EQ(error_of("REGION 'US East'"), "'US East' is not an AWS region name");
}

TEST(Validate, OverwriteAndEncryption) {
  EXPECT_EQ(error_of("CLEANPATH ALLOWOVERWRITE"), "CLEANPATH cannot be used with ALLOWOVERWRITE");
  EXPECT_EQ(error_of("KMS_KEY_ID 'k'"), "KMS_KEY_ID requires ENCRYPTED");
  EXPECT_EQ(error_of("ENCRYPTED AUTO KMS_KEY_ID 'k'"),
            "ENCRYPTED AUTO cannot be used with KMS_KEY_ID");
  EXPECT_EQ(error_of("ENCRYPTED AUTO MASTER_SYMMETRIC_KEY 'validate-msk-1'"),
            "ENCRYPTED AUTO cannot be used with MASTER_SYMMETRIC_KEY");
  EXPECT_EQ(error_of("MASTER_SYMMETRIC_KEY 'validate-msk-1'"),
            "MASTER_SYMMETRIC_KEY requires ENCRYPTED");
  const std::string cred = "CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/A' ";
  EXPECT_EQ(error_of(parse(kHead + cred + "ENCRYPTED KMS_KEY_ID 'k'")),
            "KMS_KEY_ID cannot be used with CREDENTIALS");
  EXPECT_EQ(error_of(parse(kHead + "CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/A;"
                                   "master_symmetric_key=validate-msk-2' ENCRYPTED AUTO")),
            "ENCRYPTED AUTO cannot be used with a CREDENTIALS string carrying "
            "master_symmetric_key");
}

TEST(Validate, Authorization) {
  std::string chain11;
  for (int i = 0; i < 11; ++i)
    chain11 += (i ? "," : "") + std::string("arn:aws:iam::123456789012:role/R") + std::to_string(i);
  EXPECT_EQ(error_of(parse(kHead + "IAM_ROLE '" + chain11 + "'")),
            "the role chain has 11 roles; at most 10 roles can be chained");
  EXPECT_EQ(error_of(parse(kHead + "IAM_ROLE 'arn:aws:iam::123456789012:role/A, "
                                   "arn:aws:iam::210987654321:role/B'")),
            "the role chain must not contain spaces");
  for (const char* bad : {"arn:aws:iam::12345678901:role/A", "arn:aws:iam::123456789012:user/A",
                          "arn:aws:sts::123456789012:role/A", "arn:aws:iam::123456789012:role/",
                          "RsUnload", "arn:aws:iam:us-east-1:123456789012:role/A"}) {
    EXPECT_EQ(error_of(parse(kHead + "IAM_ROLE '" + bad + "'")),
              "'" + std::string(bad) + "' is not an IAM role ARN")
        << bad;
  }
  EXPECT_EQ(error_of(parse(kHead + "IAM_ROLE ''")), "the IAM role is empty");
  // Huge hostile values are rejected, not matched character by character.
  std::string huge = "arn:aws:iam::123456789012:role/" + std::string(1 << 20, 'a');
  EXPECT_FALSE(cu::aws::is_role_arn(huge));
  UnloadSpec r = parse(kHead + kRole);
  r.region = std::string(1 << 20, 'a');
  EXPECT_EQ(error_of(r).substr(0, 10), "'aaaaaaaaa");
  EXPECT_EQ(
      error_of(parse(kHead + "CREDENTIALS 'aws_access_key_id=AK IA;aws_secret_access_key=x'")),
      "the CREDENTIALS string must not contain spaces");
  EXPECT_EQ(error_of(parse(kHead + "CREDENTIALS 'aws_access_key_id=;aws_secret_access_key=x'")),
            "aws_access_key_id and aws_secret_access_key must not be empty");
  EXPECT_EQ(error_of(parse(kHead + "CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/A,"
                                   "arn:aws:iam::1234:role/B'")),
            "role 2 of aws_iam_role is not an IAM role ARN");
  EXPECT_EQ(error_of(parse(kHead + "CREDENTIALS 'aws_access_key_id=AKIA'")),
            "CREDENTIALS needs aws_iam_role, or both aws_access_key_id and aws_secret_access_key");
  EXPECT_EQ(error_of(parse(kHead + "CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/A;"
                                   "aws_access_key_id=AKIA'")),
            "aws_iam_role cannot be combined with access keys or a token");
  // Redshift needs an authorization and an s3:// target; client mode does not.
  auto none = parse(kHead);
  EXPECT_EQ(error_of(none), "UNLOAD needs an authorization");
  EXPECT_EQ(error_of(none, {.for_redshift = false}), "");
}

TEST(Validate, SelectAndDestination) {
  auto with = [](const std::string& select, const std::string& to) {
    UnloadSpec s;
    s.select = select;
    s.destination = to;
    s.authorization = IamRoleDefault{};
    return s;
  };
  EXPECT_EQ(error_of(with("select * from venue limit 10", "s3://bkt/p")),
            "LIMIT is not allowed in the outermost SELECT of an UNLOAD");
  EXPECT_EQ(error_of(with("delete from venue", "s3://bkt/p")),
            "UNLOAD takes a SELECT query, not \"delete\"");
  EXPECT_EQ(error_of(with("  ", "s3://bkt/p")), "the query is empty");
  EXPECT_EQ(error_of(with("with x as (select 1) select * from x", "s3://bkt/p")), "");
  EXPECT_EQ(error_of(with("/* c */ (select 1)", "s3://bkt/p")), "");
  EXPECT_EQ(error_of(with("select 1", "s3://")), "'s3://' has no bucket");
  EXPECT_EQ(error_of(with("select 1", "s3:///prefix")), "'s3:///prefix' has no bucket");
  EXPECT_EQ(error_of(with("select 1", "")), "the destination is empty");
  EXPECT_EQ(error_of(with("select 1", "/tmp/out/")), "'/tmp/out/' is not an s3:// URL");
  EXPECT_EQ(error_of(with("select 1", "/tmp/out/"), {.for_redshift = false}), "");
  EXPECT_EQ(error_of(with("select 1", "gs://b/p"), {.for_redshift = false}),
            "'gs://b/p': unsupported scheme; use s3://bucket/prefix or a path");
  EXPECT_EQ(error_of(with("select 1", "s3://my-ap-abcdefgh-s3alias/p")),
            "S3 access point aliases are not supported as the UNLOAD destination");
  EXPECT_EQ(error_of(with("select 1", "S3://mybucket/p")), "");
}

bool has_outer_limit(std::string_view select) {
  return query_shape(select, sql::Dialect::kRedshift).outer_limit;
}

TEST(Validate, OuterLimitIsFoundOnlyAtTopLevel) {
  EXPECT_TRUE(has_outer_limit("select * from t limit 10"));
  EXPECT_TRUE(has_outer_limit("SELECT a FROM t ORDER BY a\nLIMIT 5"));
  EXPECT_TRUE(has_outer_limit("select a from t union select b from u limit 5"));
  EXPECT_TRUE(has_outer_limit("select (1) from t Limit 1"));
  // Inside subqueries, literals, identifiers, comments and longer words it is not a clause.
  EXPECT_FALSE(
      has_outer_limit("select * from t where id in (select id from t order by id desc limit 10)"));
  EXPECT_FALSE(has_outer_limit("with x as (select * from t limit 3) select * from x"));
  EXPECT_FALSE(has_outer_limit("select 'limit 10' from t"));
  EXPECT_FALSE(has_outer_limit("select 'it\\'s limit' from t"));
  EXPECT_FALSE(has_outer_limit("select 'it''s limit' from t"));
  EXPECT_FALSE(has_outer_limit("select \"limit\" from t"));
  EXPECT_FALSE(has_outer_limit("select limit_x, x_limit from t"));
  EXPECT_FALSE(has_outer_limit("select a from t -- limit 10\n"));
  EXPECT_FALSE(has_outer_limit("select a from t /* limit 10 */"));
  EXPECT_TRUE(has_outer_limit("select 'a\\\\' from t limit 1"));  // '\\' ends the literal
  // A comment nests: `limit 1` is inside it (the first `*/` closes the inner comment only).
  EXPECT_FALSE(has_outer_limit("select a from t /* a /* b */ limit 1 */"));
  EXPECT_FALSE(has_outer_limit("select $$ limit 1 $$, $q$ ' $q$ from t"));
}

TEST(Validate, PartitionByWithoutSchema) {
  EXPECT_EQ(error_of("PARTITION BY (a, A)"), "column \"a\" appears twice in PARTITION BY");
}

TEST(ValidateColumns, NeedTheResultColumns) {
  auto spec = [](const std::string& opts) { return parse(kHead + kRole + opts); };
  auto err = [](const UnloadSpec& s, const std::vector<ResultColumn>& cols) -> std::string {
    try {
      validate_columns(s, cols);
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      return e.message();
    }
    return "";
  };
  std::vector<ResultColumn> cols = {{"eventid", "integer"},
                                    {"eventname", "character varying(200)"},
                                    {"starttime", "timestamp without time zone"},
                                    {"price", "numeric(8,2)"},
                                    {"t", "time without time zone"},
                                    {"blob", "varbyte(16)"},
                                    {"ts", "timestamp with time zone"}};
  EXPECT_EQ(err(spec("PARTITION BY (eventname, starttime, price)"), cols), "");
  EXPECT_EQ(err(spec("PARTITION BY (nope)"), cols),
            "partition column \"nope\" is not in the query result");
  EXPECT_EQ(err(spec("PARTITION BY (ts)"), cols),
            "partition column \"ts\" has type timestamp with time zone, which cannot be a "
            "partition key");
  EXPECT_EQ(err(spec("PARTITION BY (eventid)"), {{"eventid", "integer"}}),
            "at least one column of the result must not be a partition column");
  // Wording quoted from Redshift by Trino (spec §1.4).
  EXPECT_EQ(err(spec("PARQUET"), cols),
            "UNLOAD time without time zone column \"t\" is only supported for TEXT/CSV.");
  EXPECT_EQ(err(spec("JSON"), cols),
            "UNLOAD varbyte column \"blob\" is only supported for TEXT/CSV.");
  EXPECT_EQ(err(spec("CSV"), cols), "");
  EXPECT_EQ(err(spec("JSON"), {{"a", "integer"}, {"a", "integer"}}),
            "JSON keys must be unique: the query result has duplicate column names");
  EXPECT_EQ(err(spec("FIXEDWIDTH 'eventid:5,2:10'"), cols), "");
  EXPECT_EQ(err(spec("FIXEDWIDTH 'eventid:5,9:10'"), cols),
            "FIXEDWIDTH names column '9', which is not in the query result");
  EXPECT_EQ(err(spec("FIXEDWIDTH '99999999999999999999999:1'"), cols),
            "FIXEDWIDTH names column '99999999999999999999999', which is not in the query result");
}

}  // namespace
