// parse(): hand-written variants (case, option order, optional keywords, comments,
// separators) that must all mean the same spec, and syntax errors with their messages.
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/redact.h"
#include "unload/parse.h"
#include "unload/sql_text.h"
#include "unload/unload_spec.h"
#include "unload/validate.h"

namespace {

using namespace cu::unload;

std::string error_of(const std::string& sql) {
  try {
    parse(sql);
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2) << sql;
    EXPECT_EQ(e.step(), "parse UNLOAD");
    return e.what();
  }
  ADD_FAILURE() << "parsed without error: " << sql;
  return "";
}

TEST(Parse, VariantsMeanTheSameSpec) {
  UnloadSpec e;
  e.select = "select * from venue where venuestate = 'NV'";
  e.destination = "s3://mybucket/venue_";
  e.authorization = IamRoleChain{{"arn:aws:iam::123456789012:role/MyRole"}};
  e.format = Format::kCsv;
  e.header = true;
  e.max_file_size = 256ull << 20;
  e.parallel = false;
  e.compression = Compression::kGzip;
  e.null_as = "NULL";

  const char* variants[] = {
      "UNLOAD ('select * from venue where venuestate = ''NV''') TO 's3://mybucket/venue_' "
      "IAM_ROLE 'arn:aws:iam::123456789012:role/MyRole' FORMAT AS CSV HEADER "
      "MAXFILESIZE AS 256 MB PARALLEL OFF GZIP NULL AS 'NULL'",
      "unload ('select * from venue where venuestate = \\'NV\\'') to 's3://mybucket/venue_' "
      "iam_role 'arn:aws:iam::123456789012:role/MyRole' csv header maxfilesize 256mb "
      "parallel false gzip null 'NULL';",
      "Unload('select * from venue where venuestate = ''NV''')To's3://mybucket/venue_'"
      "Iam_Role'arn:aws:iam::123456789012:role/MyRole'Null As'NULL'Gzip Parallel Off "
      "MaxFileSize .25 gb Header Format Csv",
      "-- a comment first\n"
      "UNLOAD /* block /* nested */ comment */ (\n"
      "  'select * from venue where venuestate = ''NV'''\n"
      ")\n"
      "TO 's3://mybucket/venue_'\n"
      "IAM_ROLE 'arn:aws:iam::123456789012:role/MyRole' -- the role\n"
      "GZIP, HEADER, FORMAT CSV, PARALLEL OFF, MAXFILESIZE 256 MB, NULL AS 'NULL' ;  \n",
      "UNLOAD ('select * from venue where venuestate = ''NV''') TO 's3://mybucket/venue_' "
      "PARALLEL OFF GZIP NULL AS 'NULL' MAXFILESIZE AS 256 HEADER FORMAT CSV "
      "IAM_ROLE 'arn:aws:iam::123456789012:role/MyRole'",
  };
  for (const char* v : variants) EXPECT_EQ(parse(v), e) << v;
}

TEST(Parse, LiteralEscapesOfSection2_4) {
  auto sel = [](const std::string& lit) {
    return parse("UNLOAD ('" + lit + "') TO 's3://b/p' IAM_ROLE default").select;
  };
  EXPECT_EQ(sel(R"(a''b)"), "a'b");
  EXPECT_EQ(sel(R"(a\'b)"), "a'b");
  EXPECT_EQ(sel(R"(a\\b)"), "a\\b");
  EXPECT_EQ(sel(R"(\b\f\n\r\t)"), "\b\f\n\r\t");
  EXPECT_EQ(sel(R"(\101\0612\7)"), std::string("A12\x07"));  // 1–3 octal digits
  EXPECT_EQ(sel(R"(\x41\q\%)"), "x41q%");                    // any other \c is c
  EXPECT_EQ(sel(""), "");
  EXPECT_EQ(sel("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
  // `')` inside the literal does not end it when the quote is escaped.
  EXPECT_EQ(sel(R"(select ''x'') from t where a = '''')"), "select 'x') from t where a = ''");
}

TEST(Parse, SyntaxErrorsNameThePosition) {
  // A quoted string is named by its position only: one in the wrong place may be a secret.
  EXPECT_EQ(error_of("UNLOAD ('select 1) TO 's3://b/p'"),
            "parse UNLOAD: syntax error at or near \"s3\" at position 24");
  EXPECT_EQ(error_of("UNLOAD ('select 1"),
            "parse UNLOAD: unterminated quoted string at position 9");
  EXPECT_EQ(error_of("UNLOAD ('select 1') TO 's3://b/p' IAM_ROLE default FOO"),
            "parse UNLOAD: syntax error at or near \"FOO\" at position 52");
  EXPECT_EQ(error_of("UNLOAD ('select 1') TO 's3://b/p' IAM_ROLE default FORMAT AS TEXT"),
            "parse UNLOAD: syntax error at or near \"TEXT\" at position 62");
  EXPECT_EQ(error_of("UNLOAD ('select 1') TO"),
            "parse UNLOAD: syntax error at end of input at position 23");
  EXPECT_EQ(error_of("UNLOAD 'select 1' TO 's3://b/p'"),
            "parse UNLOAD: syntax error at or near a quoted string at position 8");
  EXPECT_EQ(error_of("SELECT 1"), "parse UNLOAD: syntax error at or near \"SELECT\" at position 1");
  // E'…' does not exist on Redshift (NPGSQL-515).
  EXPECT_EQ(error_of("UNLOAD (E'select 1') TO 's3://b/p' IAM_ROLE default"),
            "parse UNLOAD: syntax error at or near \"E\" at position 9");
  EXPECT_EQ(error_of("UNLOAD ($$select 1$$) TO 's3://b/p' IAM_ROLE default"),
            "parse UNLOAD: syntax error at or near a quoted string at position 9");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default; HEADER"),
            "parse UNLOAD: syntax error at or near \"HEADER\" at position 46");
  EXPECT_EQ(error_of("UNLOAD ('x') /* open TO 's3://b/p'"),
            "parse UNLOAD: unterminated /* comment at position 14");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default MAXFILESIZE 5 TB"),
            "parse UNLOAD: syntax error at or near \"TB\" at position 59");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default PARTITION BY ('col')"),
            "parse UNLOAD: syntax error at or near a quoted string at position 59");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default PARTITION BY (\"\")"),
            "parse UNLOAD: zero-length delimited identifier at position 59");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default, , HEADER"),
            "parse UNLOAD: syntax error at or near \",\" at position 46");
}

TEST(Parse, WhatTheModelCannotHoldIsRejected) {
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default HEADER header"),
            "parse UNLOAD: conflicting or redundant options: HEADER given twice at position 52");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default GZIP BZIP2"),
            "parse UNLOAD: conflicting or redundant options: GZIP with BZIP2 at position 50");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default CSV FORMAT AS JSON"),
            "parse UNLOAD: conflicting or redundant options: FORMAT given twice at position 49");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' IAM_ROLE default ACCESS_KEY_ID 'a' "
                     "SECRET_ACCESS_KEY 'bbbb'"),
            "parse UNLOAD: IAM_ROLE cannot be combined with ACCESS_KEY_ID at position 45");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' CREDENTIALS 'aws_iam_role=a' IAM_ROLE default"),
            "parse UNLOAD: CREDENTIALS cannot be combined with IAM_ROLE at position 57");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' SESSION_TOKEN 'tttt' "
                     "WITH CREDENTIALS 'aws_iam_role=a'"),
            "parse UNLOAD: SESSION_TOKEN cannot be combined with CREDENTIALS at position 49");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' SESSION_TOKEN 'tttt'"),
            "parse UNLOAD: SESSION_TOKEN requires both ACCESS_KEY_ID and SECRET_ACCESS_KEY at "
            "position 28");
  EXPECT_EQ(error_of("UNLOAD ('x') TO 's3://b/p' ACCESS_KEY_ID 'AKIA'"),
            "parse UNLOAD: ACCESS_KEY_ID and SECRET_ACCESS_KEY must be given together at "
            "position 28");
}

TEST(Parse, SecretsAreRegisteredForRedaction) {
  parse(
      "UNLOAD ('x') TO 's3://b/p' ACCESS_KEY_ID 'AKIAEXAMPLE' SECRET_ACCESS_KEY "
      "'parse-test-secret-1' SESSION_TOKEN 'parse-test-token-2'");
  EXPECT_EQ(cu::redact("parse-test-secret-1 parse-test-token-2 AKIAEXAMPLE"),
            "*** *** AKIAEXAMPLE");
  parse(
      "UNLOAD ('x') TO 's3://b/p' CREDENTIALS "
      "'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=parse-test-secret-3'");
  EXPECT_EQ(cu::redact("parse-test-secret-3"), "***");
}

TEST(Parse, CredentialsAreSplitOnce) {
  auto starts = [](const std::string& text, const std::string& prefix) {
    return text.substr(0, prefix.size()) == prefix ? prefix : text;
  };
  std::string e = error_of("UNLOAD ('x') TO 's3://b/p' CREDENTIALS 'role=x'");
  EXPECT_EQ(starts(e,
                   "parse UNLOAD CREDENTIALS: item 1 of the CREDENTIALS string is not "
                   "aws_iam_role=…, aws_access_key_id=…, aws_secret_access_key=…, token=… or "
                   "master_symmetric_key=… at position 40; hint: "),
            "parse UNLOAD CREDENTIALS: item 1 of the CREDENTIALS string is not "
            "aws_iam_role=…, aws_access_key_id=…, aws_secret_access_key=…, token=… or "
            "master_symmetric_key=… at position 40; hint: ");
  e = error_of("UNLOAD ('x') TO 's3://b/p' CREDENTIALS 'token=a;token=b'");
  EXPECT_EQ(
      starts(e, "parse UNLOAD CREDENTIALS: 'token' given twice in CREDENTIALS at position 40;"),
      "parse UNLOAD CREDENTIALS: 'token' given twice in CREDENTIALS at position 40;");
  e = error_of("UNLOAD ('x') TO 's3://b/p' CREDENTIALS ''");
  EXPECT_EQ(starts(e, "parse UNLOAD CREDENTIALS: the CREDENTIALS string is empty at position 40;"),
            "parse UNLOAD CREDENTIALS: the CREDENTIALS string is empty at position 40;");
}

// Errors about credentials never quote a secret value, nor its first characters: not when
// the statement is malformed around it, nor when the value is left unterminated.
TEST(Parse, SecretsNeverInErrors) {
  const std::string key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
  const std::string head =
      "UNLOAD ('select 1') TO 's3://bucket/p_' ACCESS_KEY_ID 'AKIAIOSFODNN7EXAMPLE' ";
  const std::string cred = "UNLOAD ('select 1') TO 's3://bucket/p_' CREDENTIALS ";
  const std::vector<std::string> statements = {
      head + "SECRET_ACCESS_KEY '" + key,
      head + "SECRET_ACCESS_KEY '" + key + "\\'",
      head + "SECRET_ACCESS_KEY " + key,
      head + "SECRET_ACCESS_KEY AS '" + key + "'",
      head + "'" + key + "'",
      head + "SECRET_ACCESS_KEY '" + key + "' '" + key + "'",
      head + "SECRET_ACCESS_KEY '" + key + "' SECRET_ACCESS_KEY '" + key + "'",
      head + "SESSION_TOKEN '" + key,
      "UNLOAD ('select 1') TO 's3://bucket/p_' SESSION_TOKEN '" + key + "'",
      "UNLOAD ('select 1') TO 's3://bucket/p_' MASTER_SYMMETRIC_KEY '" + key,
      cred + "'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;aws_secret_access_key=" + key,
      cred + "'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;" + key + "'",
      cred + "'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;aws_secret_access_key:" + key + "'",
      cred + "'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;" + key + "=x'",
      cred + "'aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=" + key + "'",
      cred + "'aws_access_key_id=AKIAIOSFODNN7EXAMPLE,aws_secret_access_key=" + key + "'",
      cred + "'aws_secret_access_key=" + key + "'",
      cred + "'aws_iam_role=" + key + "'",
      cred + key,
      cred + "AS AS '" + key + "'",
  };
  for (const std::string& sql : statements) {
    std::string message;  // stays empty if the statement is accepted
    try {
      validate(parse(sql));
    } catch (const cu::Error& e) {
      // The raw parts: what() is redacted for secrets already registered, and the point
      // is that an unregistered (malformed) one is not quoted in the first place.
      message = e.message() + " | " + e.hint() + " | " + e.resource();
    }
    EXPECT_NE(message, "") << sql;
    for (size_t n = 4; n <= key.size(); ++n) {
      ASSERT_EQ(message.find(key.substr(0, n)), std::string::npos) << sql << "\n" << message;
    }
    EXPECT_EQ(message.find("EXAMPLEKEY"), std::string::npos) << sql << "\n" << message;
  }
}

TEST(SqlText, QuoteLiteralDoublesBackslashThenQuote) {
  EXPECT_EQ(quote_literal(""), "''");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("\\'"), "'\\\\'''");
  EXPECT_EQ(quote_literal("a\nb"), "'a\nb'");
}

TEST(SqlText, Sizes) {
  EXPECT_EQ(format_size(256ull << 20), "256 MB");
  EXPECT_EQ(format_size(1ull << 30), "1 GB");
  EXPECT_EQ(format_size(5ull << 20), "5 MB");
  EXPECT_EQ(format_size(6657199308ull), "6.2 GB");
  EXPECT_EQ(format_size(0), "0 MB");
  EXPECT_EQ(format_size(1), "0.000001 MB");  // floor(0.000001 * 2^20) = 1
  EXPECT_EQ(parse_size("6.2", "GB"), 6657199308ull);
  EXPECT_EQ(parse_size("0.5", ""), 524288u);
  EXPECT_EQ(parse_size(".5", "mb"), 524288u);
  EXPECT_EQ(parse_size("1.", "Gb"), 1ull << 30);
  EXPECT_EQ(parse_size("1..2", "MB"), std::nullopt);
  EXPECT_EQ(parse_size("", "MB"), std::nullopt);
  EXPECT_EQ(parse_size("1", "TB"), std::nullopt);
  EXPECT_EQ(parse_size("99999999999999999999", "GB"), std::nullopt);
  EXPECT_EQ(parse_size_text(" 64MB "), 64ull << 20);
  EXPECT_EQ(parse_size_text("6.2 gb"), 6657199308ull);
  EXPECT_EQ(parse_size_text("100"), 100ull << 20);
  EXPECT_EQ(parse_size_text("MB"), std::nullopt);
}

}  // namespace
