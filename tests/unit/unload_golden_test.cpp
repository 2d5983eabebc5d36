// Golden tests: every UNLOAD statement and fragment of the spec's sections 1–3 (and the
// worked example of section 6), read with parse() into the UnloadSpec the spec says it
// means, and the canonical render() text of that spec written out by hand.
// Expected values come from docs/redshift-unload.md, not from the code.
#include <gtest/gtest.h>

#include "base/error.h"
#include "unload/parse.h"
#include "unload/render.h"
#include "unload/unload_spec.h"

namespace {

using namespace cu::unload;

constexpr std::uint64_t MB = 1ull << 20;

UnloadSpec base(std::string select = "select * from venue") {
  UnloadSpec s;
  s.select = std::move(select);
  s.destination = "s3://mybucket/unload/";
  s.authorization = IamRoleDefault{};
  return s;
}

// §2.3 worked examples: inner SQL -> the literal inside UNLOAD ( ... ).
struct Worked {
  const char* inner;
  const char* unload;
  bool canonical;  // render() produces exactly this text (the `\'` style row is parse-only)
};

const Worked kWorked[] = {
    {R"(select * from venue where venuestate = 'NV')",
     R"(UNLOAD ('select * from venue where venuestate = ''NV'''))", true},
    {R"(select * from venue where venuestate = 'NV')",
     R"(UNLOAD ('select * from venue where venuestate = \'NV\''))", false},
    {R"(select * from t where note <> '')", R"(UNLOAD ('select * from t where note <> '''''))",
     true},
    {R"(select * from p where name = 'O''Brien')",
     R"(UNLOAD ('select * from p where name = ''O''''Brien'''))", true},
    {R"(select replace(path, '\\', '/') from f)",
     R"(UNLOAD ('select replace(path, ''\\\\'', ''/'') from f'))", true},
    {R"(select "a\b" from t)", R"(UNLOAD ('select "a\\b" from t'))", true},
};

TEST(Golden, WorkedExamplesOfSection2_3Parse) {
  for (const auto& w : kWorked) {
    std::string sql = std::string(w.unload) + " TO 's3://mybucket/unload/' IAM_ROLE default";
    EXPECT_EQ(parse(sql), base(w.inner)) << sql;
  }
}

TEST(Golden, WorkedExamplesOfSection2_3Render) {
  for (const auto& w : kWorked) {
    if (!w.canonical) continue;
    EXPECT_EQ(render(base(w.inner)),
              std::string(w.unload) + " TO 's3://mybucket/unload/' IAM_ROLE default")
        << w.inner;
  }
}

TEST(Golden, TabDelimiterLiteralBecomesATab) {
  // §2.3: DELIMITER AS '\t' — the option literal itself becomes a TAB character.
  auto s =
      parse(R"(unload ('select 1') to 's3://mybucket/unload/' iam_role default delimiter as '\t')");
  EXPECT_EQ(s.delimiter, std::optional<std::string>("\t"));
}

TEST(Golden, Section2_1Literals) {
  // The documented `''` and `\'` forms (DG-UNLOAD-NOW, DG-UNLOAD-OLD) mean the same query.
  auto a = parse(
      "UNLOAD ('select * from venue where venuestate=''NV''') TO 's3://b/p' "
      "IAM_ROLE default");
  auto b = parse(
      R"(UNLOAD ('select * from venue where venuestate=\'NV\'') TO 's3://b/p' IAM_ROLE default)");
  EXPECT_EQ(a.select, "select * from venue where venuestate='NV'");
  EXPECT_EQ(a, b);
  // 'l\'auto' is a valid Redshift literal (SQLPARSER-1801).
  EXPECT_EQ(parse(R"(UNLOAD ('select ''l\'auto''') TO 's3://b/p' IAM_ROLE default)").select,
            "select 'l'auto'");
  // A raw \b in the literal becomes a backspace before the inner SQL is parsed (JDBC-124).
  EXPECT_EQ(
      parse(R"(UNLOAD ('SELECT "a\backslash" FROM t') TO 's3://b/p' IAM_ROLE default)").select,
      "SELECT \"a\backslash\" FROM t");
  // Newlines inside the literal are fine.
  EXPECT_EQ(parse("UNLOAD ('select *\nfrom venue\n') TO 's3://b/p' IAM_ROLE default").select,
            "select *\nfrom venue\n");
}

TEST(Golden, Section1_2Authorization) {
  auto p = [](const std::string& auth) {
    return parse("UNLOAD ('select 1') TO 's3://b/p' " + auth).authorization;
  };
  EXPECT_EQ(p("IAM_ROLE default"), Authorization(IamRoleDefault{}));
  EXPECT_EQ(p("iam_role DEFAULT"), Authorization(IamRoleDefault{}));
  EXPECT_EQ(p("IAM_ROLE 'arn:aws:iam::123456789012:role/MyRole'"),
            Authorization(IamRoleChain{{"arn:aws:iam::123456789012:role/MyRole"}}));
  EXPECT_EQ(p("ACCESS_KEY_ID 'AKIAEXAMPLE' SECRET_ACCESS_KEY 'wJalrXUtnFEMI/K7MDENG' "
              "SESSION_TOKEN 'tok/en+'"),
            Authorization(AccessKeys{"AKIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "tok/en+"}));
  EXPECT_EQ(p("ACCESS_KEY_ID 'AKIAEXAMPLE' SECRET_ACCESS_KEY 'wJalrXUtnFEMI/K7MDENG'"),
            Authorization(AccessKeys{"AKIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG", std::nullopt}));
  // CREDENTIALS is split once into its items (keys are case-sensitive).
  const std::string arn = "arn:aws:iam::123456789012:role/MyRole";
  Credentials role;
  role.aws_iam_role = IamRoleChain{{arn}};
  EXPECT_EQ(p("CREDENTIALS 'aws_iam_role=" + arn + "'"), Authorization(role));
  EXPECT_EQ(p("WITH CREDENTIALS AS 'aws_iam_role=" + arn + "'"), Authorization(role));
  Credentials keys;
  keys.aws_access_key_id = "AKIAEXAMPLE";
  keys.aws_secret_access_key = "wJalrXUtnFEMI";
  keys.token = "tok3n";
  EXPECT_EQ(p("with credentials "
              "'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=wJalrXUtnFEMI;token=tok3n'"),
            Authorization(keys));
  EXPECT_EQ(p("credentials "
              "'token=tok3n;aws_secret_access_key=wJalrXUtnFEMI;aws_access_key_id=AKIAEXAMPLE'"),
            Authorization(keys));
  // CREDENTIALS may carry master_symmetric_key (DG-AUTH); a value keeps its `=`s.
  Credentials msk = role;
  msk.master_symmetric_key = "EXAMPLEKEY=";
  EXPECT_EQ(p("CREDENTIALS 'aws_iam_role=" + arn + ";master_symmetric_key=EXAMPLEKEY='"),
            Authorization(msk));
  // §3: the chain in one quoted string, order kept.
  EXPECT_EQ(p("iam_role 'arn:aws:iam::123456789012:role/RoleA,arn:aws:iam::210987654321:role/"
              "RoleB'"),
            Authorization(IamRoleChain{
                {"arn:aws:iam::123456789012:role/RoleA", "arn:aws:iam::210987654321:role/RoleB"}}));
  // Other partitions as written (PSQL-TRANSCRIPT, SQLA-TEST).
  EXPECT_EQ(p("iam_role 'arn:aws-cn:iam::123456789012:role/R'"),
            Authorization(IamRoleChain{{"arn:aws-cn:iam::123456789012:role/R"}}));
}

TEST(Golden, Section1_OptionExamples) {
  // "maxfilesize 256 MB rowgroupsize 128 MB parallel on parquet manifest" (DG-EX-NOW)
  auto a = parse(
      "unload ('select * from lineitem') to 's3://mybucket/lineitem/' iam_role default "
      "maxfilesize 256 MB rowgroupsize 128 MB parallel on parquet manifest");
  auto ea = base("select * from lineitem");
  ea.destination = "s3://mybucket/lineitem/";
  ea.max_file_size = 256 * MB;
  ea.row_group_size = 128 * MB;
  ea.parallel = true;
  ea.format = Format::kParquet;
  ea.manifest = Manifest::kPlain;
  EXPECT_EQ(a, ea);
  EXPECT_EQ(render(ea),
            "UNLOAD ('select * from lineitem') TO 's3://mybucket/lineitem/' IAM_ROLE default "
            "FORMAT AS PARQUET MANIFEST PARALLEL ON MAXFILESIZE AS 256 MB ROWGROUPSIZE AS 128 MB");

  // "extension 'txt.gz' gzip"
  auto b = parse(
      "unload ('select * from venue') to 's3://mybucket/unload/' iam_role default "
      "extension 'txt.gz' gzip");
  auto eb = base();
  eb.extension = "txt.gz";
  eb.compression = Compression::kGzip;
  EXPECT_EQ(b, eb);
  EXPECT_EQ(render(eb),
            "UNLOAD ('select * from venue') TO 's3://mybucket/unload/' IAM_ROLE default GZIP "
            "EXTENSION 'txt.gz'");

  // "kms_key_id '...' manifest encrypted"
  auto c = parse(
      "unload ('select * from venue') to 's3://mybucket/unload/' iam_role default "
      "kms_key_id '1234abcd-12ab-34cd-56ef-1234567890ab' manifest encrypted");
  auto ec = base();
  ec.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  ec.manifest = Manifest::kPlain;
  ec.encrypted = Encryption::kOn;
  EXPECT_EQ(c, ec);
  EXPECT_EQ(render(ec),
            "UNLOAD ('select * from venue') TO 's3://mybucket/unload/' IAM_ROLE default MANIFEST "
            "ENCRYPTED KMS_KEY_ID '1234abcd-12ab-34cd-56ef-1234567890ab'");

  // "CSV DELIMITER AS '|'" and "NULL AS 'null' ... CSV"
  auto d = parse(
      "unload ('select * from venue') to 's3://mybucket/unload/' iam_role default "
      "CSV DELIMITER AS '|' NULL AS 'null'");
  auto ed = base();
  ed.format = Format::kCsv;
  ed.delimiter = "|";
  ed.null_as = "null";
  EXPECT_EQ(d, ed);
  EXPECT_EQ(render(ed),
            "UNLOAD ('select * from venue') TO 's3://mybucket/unload/' IAM_ROLE default FORMAT AS "
            "CSV DELIMITER AS '|' NULL AS 'null'");

  // "MAXFILESIZE 150MB" (PSQL-TRANSCRIPT), "64MB" (TRINO-SPLIT), unit defaults to MB,
  // "6.2 GB" the documented maximum.
  auto size_of = [](const std::string& opt) {
    return parse("unload ('select 1') to 's3://b/p' iam_role default " + opt).max_file_size;
  };
  EXPECT_EQ(size_of("MAXFILESIZE 150MB"), 150 * MB);
  EXPECT_EQ(size_of("maxfilesize as 64mb"), 64 * MB);
  EXPECT_EQ(size_of("MAXFILESIZE 100"), 100 * MB);
  EXPECT_EQ(size_of("MAXFILESIZE AS 1 GB"), 1024 * MB);
  EXPECT_EQ(size_of("MAXFILESIZE 6.2 GB"), 6657199308ull);  // floor(6.2 * 2^30)
  EXPECT_EQ(size_of("MAXFILESIZE 100 mb"), 100 * MB);

  // PARTITION BY (eventname), INCLUDE; PARALLEL variants; MANIFEST VERBOSE; ENCRYPTED AUTO.
  auto e = parse(
      "UNLOAD ('select * from event') TO 's3://mybucket/partition' IAM_ROLE default "
      "PARTITION BY (EventName, \"Odd \"\"Col\"\"\") INCLUDE MANIFEST VERBOSE "
      "ENCRYPTED AUTO PARALLEL OFF HEADER ADDQUOTES ESCAPE ALLOWOVERWRITE "
      "REGION AS 'us-west-2' ZSTD");
  auto ee = base("select * from event");
  ee.destination = "s3://mybucket/partition";
  ee.partition_by = PartitionBy{{"eventname", "Odd \"Col\""}, true};
  ee.manifest = Manifest::kVerbose;
  ee.encrypted = Encryption::kAuto;
  ee.parallel = false;
  ee.header = ee.addquotes = ee.escape = ee.allow_overwrite = true;
  ee.region = "us-west-2";
  ee.compression = Compression::kZstd;
  EXPECT_EQ(e, ee);
  EXPECT_EQ(render(ee),
            "UNLOAD ('select * from event') TO 's3://mybucket/partition' IAM_ROLE default "
            "PARTITION BY (eventname, \"Odd \"\"Col\"\"\") INCLUDE MANIFEST VERBOSE HEADER "
            "ENCRYPTED AUTO ZSTD ADDQUOTES ESCAPE ALLOWOVERWRITE PARALLEL OFF REGION AS "
            "'us-west-2'");

  // FIXEDWIDTH, BZIP2, CLEANPATH, bare PARALLEL, PARALLEL TRUE/FALSE.
  auto f = parse(
      "unload ('select * from venue') to 's3://mybucket/unload/' iam_role default "
      "fixedwidth as 'venueid:3,venuename:39' bzip2 cleanpath parallel");
  auto ef = base();
  ef.fixedwidth = {{"venueid", 3}, {"venuename", 39}};
  ef.compression = Compression::kBzip2;
  ef.clean_path = true;
  ef.parallel = true;
  EXPECT_EQ(f, ef);
  EXPECT_EQ(parse("unload ('x') to 's3://b/p' iam_role default parallel false").parallel, false);
  EXPECT_EQ(parse("unload ('x') to 's3://b/p' iam_role default parallel true").parallel, true);
  EXPECT_EQ(parse("unload ('x') to 's3://b/p' iam_role default").parallel, std::nullopt);
}

TEST(Golden, MasterSymmetricKeyOf2023Page) {
  // MASTER_SYMMETRIC_KEY '<base64 AES-256>' requires ENCRYPTED (DG-UNLOAD-2023).
  auto s = parse(
      "unload ('select * from venue') to 's3://mybucket/unload/' iam_role default "
      "master_symmetric_key 'EXAMPLEMASTERKEYtkbjk/OpCwtYSx/M4/t7DMCDIK722' encrypted");
  auto e = base();
  e.master_symmetric_key = "EXAMPLEMASTERKEYtkbjk/OpCwtYSx/M4/t7DMCDIK722";
  e.encrypted = Encryption::kOn;
  EXPECT_EQ(s, e);
  EXPECT_EQ(render(e),
            "UNLOAD ('select * from venue') TO 's3://mybucket/unload/' IAM_ROLE default ENCRYPTED "
            "MASTER_SYMMETRIC_KEY 'EXAMPLEMASTERKEYtkbjk/OpCwtYSx/M4/t7DMCDIK722'");
  EXPECT_EQ(render_redacted(e),
            "UNLOAD ('select * from venue') TO 's3://mybucket/unload/' IAM_ROLE default ENCRYPTED "
            "MASTER_SYMMETRIC_KEY '***'");
}

TEST(Golden, Section6Example) {
  auto s = parse(R"(UNLOAD ('select id, name, price from shop.items order by id')
TO 's3://dev-exports/shop/items_'
IAM_ROLE 'arn:aws:iam::111111111111:role/RsUnload,arn:aws:iam::222222222222:role/DevWrite'
HEADER GZIP MANIFEST VERBOSE;)");
  UnloadSpec e;
  e.select = "select id, name, price from shop.items order by id";
  e.destination = "s3://dev-exports/shop/items_";
  e.authorization = IamRoleChain{
      {"arn:aws:iam::111111111111:role/RsUnload", "arn:aws:iam::222222222222:role/DevWrite"}};
  e.header = true;
  e.compression = Compression::kGzip;
  e.manifest = Manifest::kVerbose;
  EXPECT_EQ(s, e);
  EXPECT_EQ(render(e),
            "UNLOAD ('select id, name, price from shop.items order by id') TO "
            "'s3://dev-exports/shop/items_' IAM_ROLE "
            "'arn:aws:iam::111111111111:role/RsUnload,arn:aws:iam::222222222222:role/DevWrite' "
            "MANIFEST VERBOSE HEADER GZIP");
}

TEST(Golden, EveryQuotedArgumentIsEscaped) {
  // §2.2: the same literal escaping for TO, IAM_ROLE, DELIMITER, NULL AS, REGION,
  // KMS_KEY_ID, EXTENSION (AWSWR-3461).
  UnloadSpec s;
  s.select = "x";
  s.destination = R"(s3://b/it's\here)";
  s.authorization = IamRoleChain{{"a'b\\c"}};
  s.delimiter = "'";
  s.null_as = "\\N";
  s.kms_key_id = "k'";
  s.region = "r\\";
  s.extension = "e'";
  s.encrypted = Encryption::kOn;
  EXPECT_EQ(render(s),
            R"(UNLOAD ('x') TO 's3://b/it''s\\here' IAM_ROLE 'a''b\\c' DELIMITER AS '''' )"
            R"(ENCRYPTED KMS_KEY_ID 'k''' NULL AS '\\N' REGION AS 'r\\' EXTENSION 'e''')");
}

TEST(Golden, RenderRedactedMasksSecretsOnly) {
  UnloadSpec s = base("select 1");
  s.authorization = AccessKeys{"AKIAEXAMPLE", "wJalrXUtnFEMI", "tok3n"};
  EXPECT_EQ(render_redacted(s),
            "UNLOAD ('select 1') TO 's3://mybucket/unload/' ACCESS_KEY_ID 'AKIAEXAMPLE' "
            "SECRET_ACCESS_KEY '***' SESSION_TOKEN '***'");
  Credentials c;
  c.aws_access_key_id = "AKIAEXAMPLE";
  c.aws_secret_access_key = "wJalrXUtnFEMI";
  s.authorization = c;
  EXPECT_EQ(render_redacted(s),
            "UNLOAD ('select 1') TO 's3://mybucket/unload/' CREDENTIALS "
            "'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=***'");
}

}  // namespace
