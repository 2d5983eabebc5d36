// JobConfig: the TOML job file, the Lambda's JSON event and the command-line flags give the
// same keys; flags override the file; bad keys and values are usage errors naming the key.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/redact.h"
#include "base/syntax_error.h"
#include "job/config.h"
#include "job/config_flags.h"
#include "unload/render.h"

namespace {

using namespace cu::job;

const char* kToml = R"(
region = "eu-west-1"
query = "select * from sales where saletime >= '2008-01-01'"
to = "s3://dev-exports/sales/sales_"
secret_id = "redshift_creds"
secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role"
external_id = "xacct-123"
role_session_name = "nightly"
database = "tickit"
iam_role = ["arn:aws:iam::222222222222:role/RsUnload", "arn:aws:iam::111111111111:role/DevWrite"]
mode = "server"
format = "csv"
header = true
compression = "gzip"
parallel = false
max_file_size = "256 MB"
partition_by = "eventid, dateid"
partition_include = true
manifest = "verbose"
encrypted = true
kms_key_id = "alias/exports"
allow_overwrite = true
bucket_region = "us-east-1"
sslmode = "verify-full"
connect_timeout = 30
report = "-"
)";

// What kToml means, written independently as the UNLOAD Redshift should receive.
const char* kTomlUnload =
    "UNLOAD ('select * from sales where saletime >= ''2008-01-01''') TO "
    "'s3://dev-exports/sales/sales_' IAM_ROLE "
    "'arn:aws:iam::222222222222:role/RsUnload,arn:aws:iam::111111111111:role/DevWrite' "
    "FORMAT AS CSV PARTITION BY (eventid, dateid) INCLUDE MANIFEST VERBOSE HEADER ENCRYPTED "
    "KMS_KEY_ID 'alias/exports' GZIP ALLOWOVERWRITE PARALLEL OFF MAXFILESIZE AS 256 MB "
    "REGION AS 'us-east-1'";

std::string toml_error(const std::string& text) {
  try {
    build(parse_toml(text, "job.toml"));
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  return "";
}

// The values `crossunload run ARGS` gives (flags only, no file).
Values flag_values(const std::string& args) {
  CLI::App app;
  auto* cmd = app.add_subcommand("run");
  ConfigFlags flags(*cmd);
  app.parse("run " + args, false);
  return flags.values();
}

// A minimal valid job plus `extra` TOML lines.
std::string job_with(const std::string& extra) {
  return "query = 'select 1'\nto = 's3://bkt/p/'\nsource = 'host=127.0.0.1 dbname=x'\n" + extra;
}

TEST(JobConfig, TomlFileGivesEveryKey) {
  JobConfig j = build(parse_toml(kToml, "job.toml"));
  EXPECT_EQ(j.region, "eu-west-1");
  EXPECT_EQ(j.secret_id, "redshift_creds");
  EXPECT_EQ(j.secret_role_arn, "arn:aws:iam::222222222222:role/SM-Read-Role");
  EXPECT_EQ(j.external_id, "xacct-123");
  EXPECT_EQ(j.role_session_name, "nightly");
  EXPECT_EQ(j.database, "tickit");
  EXPECT_EQ(j.mode, Mode::kServer);
  EXPECT_EQ(j.sslmode, "verify-full");
  EXPECT_EQ(j.connect_timeout, 30);
  EXPECT_EQ(j.report, "-");
  EXPECT_FALSE(j.dry_run);
  EXPECT_EQ(j.query, "select * from sales where saletime >= '2008-01-01'");
  EXPECT_EQ(cu::unload::render(j.unload), kTomlUnload);
}

TEST(JobConfig, JsonEventMeansTheSame) {
  const char* event = R"({
    "region": "eu-west-1",
    "query": "select * from sales where saletime >= '2008-01-01'",
    "to": "s3://dev-exports/sales/sales_",
    "secret_id": "redshift_creds",
    "secret_role_arn": "arn:aws:iam::222222222222:role/SM-Read-Role",
    "external_id": "xacct-123", "role_session_name": "nightly", "database": "tickit",
    "iam_role": "arn:aws:iam::222222222222:role/RsUnload,arn:aws:iam::111111111111:role/DevWrite",
    "mode": "server", "format": "CSV", "header": true, "compression": "gzip",
    "parallel": "off", "max_file_size": 256, "partition_by": ["eventid", "dateid"],
    "partition_include": true, "manifest": "verbose", "encrypted": "true",
    "kms_key_id": "alias/exports", "allow_overwrite": true, "bucket_region": "us-east-1",
    "sslmode": "verify-full", "connect_timeout": 30, "report": "-", "write_role_arn": null
  })";
  JobConfig j = build(parse_json(event));
  EXPECT_EQ(cu::unload::render(j.unload), kTomlUnload);
  EXPECT_EQ(j.connect_timeout, 30);
  EXPECT_EQ(j.write_role_arn, std::nullopt);
}

TEST(JobConfig, FlagsOverrideTheFile) {
  CLI::App app;
  auto* cmd = app.add_subcommand("run");
  ConfigFlags flags(*cmd);
  app.parse(
      "run --config job.toml --no-header --parallel --format parquet --compression none "
      "--manifest --encrypted=auto "
      "--iam-role arn:aws:iam::333333333333:role/A,arn:aws:iam::444444444444:role/B "
      "--iam-role arn:aws:iam::555555555555:role/C --partition-by eventid "
      "--no-partition-include --max-file-size '1 GB' --row-group-size 64 --query-file q.sql "
      "--dry-run",
      false);
  EXPECT_EQ(flags.config_file(), "job.toml");

  Values v = parse_toml(kToml, "job.toml");
  overlay(v, flags.values());
  v.erase("kms_key_id");  // ENCRYPTED AUTO excludes it; the file had one
  v.erase("query");       // the flag gives query_file instead
  JobConfig j = build(v);
  EXPECT_TRUE(j.dry_run);
  EXPECT_EQ(j.query_file, "q.sql");
  EXPECT_EQ(j.query, std::nullopt);
  EXPECT_EQ(j.unload.select, "");  // read later from q.sql
  cu::unload::UnloadSpec u = j.unload;
  u.select = "select 1";
  EXPECT_EQ(cu::unload::render(u),
            "UNLOAD ('select 1') TO 's3://dev-exports/sales/sales_' IAM_ROLE "
            "'arn:aws:iam::333333333333:role/A,arn:aws:iam::444444444444:role/B,"
            "arn:aws:iam::555555555555:role/C' FORMAT AS PARQUET PARTITION BY (eventid) "
            "MANIFEST ENCRYPTED AUTO ALLOWOVERWRITE PARALLEL ON MAXFILESIZE AS 1 GB "
            "ROWGROUPSIZE AS 64 MB REGION AS 'us-east-1'");
}

TEST(JobConfig, FlagsNotGivenDoNotOverride) {
  CLI::App app;
  auto* cmd = app.add_subcommand("run");
  ConfigFlags flags(*cmd);
  app.parse("run", false);
  EXPECT_TRUE(flags.values().empty());
  EXPECT_EQ(flags.config_file(), std::nullopt);
  // Every key has its flag, named with dashes.
  for (const auto& k : keys())
    EXPECT_NE(cmd->get_option_no_throw(flag_name(k.name)), nullptr) << k.name;
  EXPECT_EQ(flag_name("query_file"), "--query-file");
}

// A word key (manifest, encrypted) is a bare flag or takes its word after a space or '='
// (docs/job.md); `--no-<flag>` is false.
TEST(JobConfig, WordFlagsAreBareOrTakeAWord) {
  auto word = [](const std::string& args, const std::string& key) -> std::string {
    Values v = flag_values(args);
    if (!v.contains(key)) return "(not given)";
    return std::get<std::string>(v.at(key));
  };
  EXPECT_EQ(word("--manifest", "manifest"), "true");
  EXPECT_EQ(word("--manifest verbose", "manifest"), "verbose");
  EXPECT_EQ(word("--manifest=plain", "manifest"), "plain");
  EXPECT_EQ(word("--manifest --to s3://bkt/p_", "manifest"), "true");
  EXPECT_EQ(word("--manifest --to s3://bkt/p_", "to"), "s3://bkt/p_");
  EXPECT_EQ(word("--no-manifest", "manifest"), "false");
  EXPECT_EQ(word("--to x", "manifest"), "(not given)");
  EXPECT_EQ(word("--encrypted auto --header", "encrypted"), "auto");
  JobConfig j = build(parse_toml(job_with("manifest = true"), "job.toml"));
  EXPECT_EQ(j.unload.manifest, cu::unload::Manifest::kPlain);
  try {
    word("--manifest --no-manifest", "manifest");
    ADD_FAILURE() << "both --manifest and --no-manifest were accepted";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_STREQ(e.what(), "configure manifest: give --manifest or --no-manifest, not both");
  }
}

// A yes/no key (parallel, header, dry_run) is a bare flag or takes Redshift's words: `--parallel
// off` as in `PARALLEL OFF`; `--no-<flag>` is off; any other word is refused (exit 2).
TEST(JobConfig, BoolFlagsAreBareOrTakeOnOff) {
  auto flag = [](const std::string& args, const std::string& key) -> std::string {
    Values v = flag_values(args);
    if (!v.contains(key)) return "(not given)";
    return std::get<bool>(v.at(key)) ? "on" : "off";
  };
  EXPECT_EQ(flag("--parallel", "parallel"), "on");
  EXPECT_EQ(flag("--parallel off", "parallel"), "off");
  EXPECT_EQ(flag("--parallel OFF", "parallel"), "off");
  EXPECT_EQ(flag("--parallel=on", "parallel"), "on");
  EXPECT_EQ(flag("--parallel false", "parallel"), "off");
  EXPECT_EQ(flag("--no-parallel", "parallel"), "off");
  EXPECT_EQ(flag("--header --to s3://bkt/p_", "header"), "on");
  EXPECT_EQ(flag("--dry-run --header off", "header"), "off");
  EXPECT_EQ(flag("--dry-run --header off", "dry_run"), "on");
  EXPECT_EQ(flag("--to x", "parallel"), "(not given)");
  try {
    flag_values("--parallel sometimes");
    ADD_FAILURE() << "--parallel sometimes was accepted";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_STREQ(e.what(),
                 "configure parallel: --parallel takes on or off (or true/false, yes/no), not "
                 "'sometimes'");
  }
  Values file = parse_toml(job_with(""), "job.toml");
  overlay(file, flag_values("--parallel off"));
  EXPECT_EQ(build(file).unload.parallel, false);
}

// A NUL byte would cut the text short for libpq and the logs: refused in any key (job file,
// event, list items) with exit 2.
TEST(JobConfig, NulBytesAreRefused) {
  EXPECT_EQ(toml_error("query = \"select 1\\u0000; drop table t\"\nto = 's3://b/p/'\n"
                       "source = 'host=h'"),
            "configure query: the text holds a NUL byte (\\0); hint: remove it; no key or query "
            "may hold one");
  EXPECT_EQ(toml_error(job_with("iam_role = [\"arn:aws:iam::111111111111:role/A\\u0000\"]")),
            "configure iam_role: the text holds a NUL byte (\\0); hint: remove it; no key or "
            "query may hold one");
  try {
    build(parse_json(R"({"query": "select 1\u0000", "to": "s3://b/p/", "source": "host=h"})"));
    ADD_FAILURE() << "a NUL byte in the event's query was accepted";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos) << e.what();
  }
}

TEST(JobConfig, DefaultsAndClientMode) {
  JobConfig j = build(parse_toml(
      "query = 'select 1'\nto = '/tmp/out/venue_'\nsource = 'host=127.0.0.1'", "job.toml"));
  EXPECT_EQ(j.mode, Mode::kAuto);
  EXPECT_EQ(j.role_session_name, "crossunload");
  EXPECT_EQ(j.connect_timeout, 10);
  EXPECT_EQ(j.unload.authorization, std::nullopt);
  EXPECT_EQ(j.unload.format, cu::unload::Format::kText);
  EXPECT_EQ(j.unload.parallel, std::nullopt);
}

TEST(JobConfig, UnknownAndIllTypedKeys) {
  EXPECT_EQ(toml_error(job_with("bogus = 1")),
            "configure job.toml: unknown key 'bogus'; hint: see "
            "`crossunload run --help` for the keys");
  EXPECT_EQ(toml_error(job_with("query-file = 'q.sql'")),
            "configure job.toml: unknown key 'query-file'; hint: did you mean 'query_file'? keys "
            "use underscores");
  EXPECT_EQ(toml_error(job_with("header = 'maybe'")),
            "configure header: 'header' must be true or false");
  EXPECT_EQ(toml_error(job_with("connect_timeout = 'soon'")),
            "configure connect_timeout: 'connect_timeout' must be an integer");
  EXPECT_EQ(toml_error(job_with("connect_timeout = 0")),
            "configure connect_timeout: connect_timeout 0 is out of range 1..3600");
  EXPECT_EQ(toml_error(job_with("max_file_size = '5 TB'")),
            "configure max_file_size: 'max_file_size' must be a size such as \"256 MB\" or an "
            "integer number of MB");
  EXPECT_EQ(toml_error(job_with("iam_role = [1, 2]")),
            "configure job.toml: 'iam_role': list items must be strings");
  EXPECT_EQ(toml_error(job_with("region = 1.5")), "configure job.toml: 'region' must be a string");
  EXPECT_EQ(toml_error(job_with("[tables]\nx = 1")),
            "configure job.toml: unknown key 'tables'; "
            "hint: see `crossunload run --help` for the keys");
  EXPECT_EQ(toml_error(job_with("format = 'xml'")),
            "configure format: 'xml' is not a valid format; hint: one of: text | csv | json | "
            "parquet");
  EXPECT_EQ(toml_error(job_with("mode = 'remote'")),
            "configure mode: 'remote' is not a valid mode; hint: one of: auto | server | client");
  EXPECT_EQ(toml_error(job_with("sslmode = 'on'")),
            "configure sslmode: 'on' is not a libpq sslmode; hint: disable | allow | prefer | "
            "require | verify-ca | verify-full");
  // toml++'s own wording follows the file:line:column.
  EXPECT_TRUE(
      toml_error("query = 'x'\nto = ").starts_with("configure job.toml:2:6: invalid TOML: "));
  try {
    parse_json("[1]");
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_STREQ(e.what(), "configure event: the job must be a JSON object of keys");
  }
  try {
    parse_json("{\"query\": \"x\", \"header\": 1.5}");
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_STREQ(e.what(), "configure event: 'header' must be true or false");
  }
}

TEST(JobConfig, RequiredAndExclusiveKeys) {
  EXPECT_EQ(toml_error("to = 's3://bkt/p'\nsource = 'host=h'"),
            "configure query: no query: give query or query_file");
  EXPECT_EQ(toml_error("query = 'select 1'\nsource = 'host=h'"),
            "configure to: no destination: give to = s3://bucket/prefix or a path");
  EXPECT_EQ(toml_error("query = 'select 1'\nto = 's3://bkt/p'"),
            "configure source: no source database: give source (a conninfo) or secret_id");
  EXPECT_EQ(toml_error(job_with("secret_id = 's'")),
            "configure source secret_id: give either source (a conninfo) or secret_id, not both");
  EXPECT_EQ(toml_error(job_with("query_file = 'q.sql'")),
            "configure query query_file: give either query or query_file, not both");
  EXPECT_EQ(toml_error(job_with("external_id = 'x'")),
            "configure external_id: external_id needs secret_role_arn (it is given when assuming "
            "that role)");
  EXPECT_EQ(toml_error(job_with("partition_include = true")),
            "configure partition_include: partition_include needs partition_by");
  EXPECT_EQ(toml_error(job_with("write_role_arn = 'arn:aws:iam::123:role/x'")),
            "configure write_role_arn: 'arn:aws:iam::123:role/x' is not an IAM role ARN; hint: "
            "expected arn:<partition>:iam::<12-digit account>:role/<name>");
  EXPECT_EQ(toml_error(job_with("role_session_name = 'has space'")),
            "configure role_session_name: 'has space' is not a valid role session name; hint: 2 "
            "to 64 characters: letters, digits and + = , . @ _ -");
}

TEST(JobConfig, UnloadRulesComeFromValidate) {
  std::string chain11;
  for (int i = 0; i < 11; ++i)
    chain11 += (i ? "," : "") + std::string("arn:aws:iam::123456789012:role/R") + std::to_string(i);
  EXPECT_EQ(toml_error(job_with("iam_role = '" + chain11 + "'")),
            "validate UNLOAD IAM_ROLE: the role chain has 11 roles; at most 10 roles can be "
            "chained");
  EXPECT_EQ(toml_error(job_with("iam_role = 'RsUnload'")),
            "validate UNLOAD IAM_ROLE: 'RsUnload' is not an IAM role ARN; hint: expected "
            "arn:<partition>:iam::<12-digit account>:role/<name>");
  EXPECT_EQ(toml_error(job_with("iam_role = ['default', 'arn:aws:iam::123456789012:role/A']")),
            "configure iam_role: 'default' cannot be part of a role chain; hint: give iam_role = "
            "'default' alone, or a chain of role ARNs");
  EXPECT_EQ(toml_error(job_with("format = 'parquet'\ndelimiter = ','")),
            "validate UNLOAD DELIMITER PARQUET: DELIMITER cannot be used with PARQUET");
  EXPECT_EQ(toml_error(job_with("allow_overwrite = true\nclean_path = true")),
            "validate UNLOAD CLEANPATH ALLOWOVERWRITE: CLEANPATH cannot be used with "
            "ALLOWOVERWRITE");
  EXPECT_EQ(toml_error("query = 'select * from t limit 5'\nto = 's3://bkt/p'\nsource = 'host=h'"),
            "validate UNLOAD LIMIT: LIMIT is not allowed in the outermost SELECT of an UNLOAD; "
            "hint: use a subquery: select * from t where id in (select id from t order by id "
            "limit 10)");
  EXPECT_EQ(toml_error(job_with("mode = 'server'")),
            "validate UNLOAD IAM_ROLE: UNLOAD needs an authorization; hint: IAM_ROLE 'arn:…' (or "
            "a chain 'arnA,arnB'), IAM_ROLE default, ACCESS_KEY_ID and SECRET_ACCESS_KEY, or "
            "CREDENTIALS");
  EXPECT_EQ(toml_error("query = 'select 1'\nto = 's3://'\nsource = 'host=h'"),
            "validate UNLOAD TO: 's3://' has no bucket; hint: write s3://bucket/prefix");
  EXPECT_EQ(toml_error(job_with("iam_role = 'default'\nmode = 'server'")), "");
}

TEST(JobConfig, ConninfoPasswordsAreRegisteredAsSecrets) {
  build(
      parse_toml("query = 'select 1'\nto = '/tmp/x'\n"
                 "source = \"host=127.0.0.1 password='job s3cret\\\\'pw' user=u\"",
                 "job.toml"));
  EXPECT_EQ(cu::redact("job s3cret'pw"), "***");
  build(parse_json(R"({"query": "select 1", "to": "/tmp/x",
                       "source": "postgresql://u:uri%2Fs3cret@127.0.0.1:5432/db"})"));
  EXPECT_EQ(cu::redact("uri/s3cret uri%2Fs3cret"), "*** ***");
  // A password given as a URL parameter: the job's own scrubber used to miss it (only
  // `user:password@` was read), so it stayed unregistered until the connection was opened.
  build(parse_json(R"({"query": "select 1", "to": "/tmp/x",
                       "source": "postgresql://u@127.0.0.1/db?sslmode=disable&password=q%40s3cret"})"));
  EXPECT_EQ(cu::redact("q@s3cret q%40s3cret"), "*** ***");
}

}  // namespace

namespace {

using namespace cu::job;

TEST(JobConfig, QueryFromFileIsReadNormalizedAndChecked) {
  EXPECT_EQ(normalize_query("  select 1 ;\n\n"), "select 1");
  EXPECT_EQ(normalize_query("select ';'"), "select ';'");
  EXPECT_EQ(normalize_query("select 1\n-- done\n"), "select 1\n-- done");

  std::string dir = std::string(CU_BINARY_DIR) + "/job_config_test";
  std::filesystem::create_directories(dir);
  std::string good = dir + "/good.sql", limited = dir + "/limited.sql";
  std::ofstream(good) << "select *\nfrom venue\nwhere venuestate = 'NV';\n";
  std::ofstream(limited) << "select * from venue limit 3;\n";

  Values v = parse_json(R"({"query_file": "PATH", "to": "/tmp/x", "source": "host=h"})");
  v["query_file"] = good;
  JobConfig j = build(v);
  EXPECT_EQ(j.unload.select, "");
  load_query(j);
  EXPECT_EQ(j.unload.select, "select *\nfrom venue\nwhere venuestate = 'NV'");

  v["query_file"] = limited;
  j = build(v);
  try {
    load_query(j);
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.message(), "LIMIT is not allowed in the outermost SELECT of an UNLOAD");
  }

  v["query_file"] = dir + "/missing.sql";
  j = build(v);
  try {
    load_query(j);
    ADD_FAILURE();
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.what(), "configure " + dir +
                            "/missing.sql: cannot read the query_file file: No such file or "
                            "directory");
  }
}

// query_file and --config read regular files of at most 1 MiB: /dev/zero used to be read
// until memory ran out, a FIFO blocked for ever, a directory was "no source database".
TEST(JobConfig, TextFilesAreRegularAndBounded) {
  std::string dir = std::string(CU_BINARY_DIR) + "/job_config_test_files";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto refused = [](const std::string& path) -> std::string {
    try {
      read_text_file(path, "query_file");
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      return e.what();
    }
    return "read";
  };
  EXPECT_EQ(refused("/dev/zero"),
            "configure /dev/zero: the query_file file is not a regular file (a device, FIFO or "
            "socket); hint: give the path of a file");
  std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(refused(fifo), "configure " + fifo +
                               ": the query_file file is not a regular file (a device, FIFO or "
                               "socket); hint: give the path of a file");
  EXPECT_EQ(
      refused(dir),
      "configure " + dir + ": the query_file file is a directory; hint: give the path of a file");

  std::string big = dir + "/big.sql", limit = dir + "/limit.sql";
  std::string text = "select 1" + std::string(kMaxTextFile - 8, ' ');
  std::ofstream(limit) << text;
  std::ofstream(big) << text << ' ';
  EXPECT_EQ(read_text_file(limit, "query_file"), text);
  EXPECT_EQ(refused(big),
            "configure " + big + ": the query_file file is larger than 1048576 bytes");
  std::filesystem::remove_all(dir);
}

TEST(JobConfig, ParsedJsonEventGivesTheSameValues) {
  auto doc = nlohmann::json::parse(R"({"query": "select 1", "to": "/tmp/x",
                                       "source": "host=h", "iam_role": ["default"]})");
  EXPECT_EQ(parse_json_value(doc), parse_json(doc.dump()));
  EXPECT_EQ(build(parse_json_value(doc)).unload.authorization,
            cu::unload::Authorization(cu::unload::IamRoleDefault{}));
}

}  // namespace

namespace cu::job {
namespace {

// One job file serves `run` and `infra`: the [infra] table is skipped by the job, while an
// unknown top-level key is still refused.
TEST(JobConfig, InfraTableIsSkippedUnknownKeysAreNot) {
  Values v = parse_toml(
      "query = 'select 1'\nto = 's3://bkt/p/'\nsource = 'host=127.0.0.1 dbname=x'\n"
      "[infra]\ndev_account_id = '111111111111'\n",
      "job.toml");
  EXPECT_FALSE(v.contains("infra"));
  EXPECT_EQ(build(v).unload.destination, "s3://bkt/p/");
  EXPECT_THROW(parse_toml("bogus_key = 1\n", "job.toml"), cu::Error);
}

}  // namespace
}  // namespace cu::job

namespace {

// Malformed job files and events around a password: the error says where and what was
// expected, never the text around it (the password, or a part of it).
TEST(JobConfig, ParseErrorsNeverQuoteTheInput) {
  const std::string pw = "Hunter2Secret";
  const std::vector<std::string> tomls = {
      "source = \"host=h password=" + pw,                       // unterminated string
      "source = host=h password=" + pw + "\n",                  // a bare value
      "source = 'host=h password=" + pw + "'x\n",               // junk after a value
      "source = \"host=h password=" + pw + "\\q\"\n",           // an unknown escape
      "password=" + pw + " = 1\n",                              // a bare key with junk
      "[" + pw + "\n",                                          // an unterminated table
      "source = 'a'\nsource = 'host=h password=" + pw + "'\n",  // a duplicate key
      "x = " + pw + "\n",                                       // an unknown value
      "x = 1" + pw + "\n",                                      // a bad number
      "x = 1979-05-27T07:32:00" + pw + "\n",                    // a bad date
      "x = \"\"\"password=" + pw,                               // unterminated multi-line
      pw + " = 1\n" + pw + " = 2\n",                            // a duplicate key
      "x = 0x" + pw + "\n",                                     // a bad hexadecimal number
      "x = 12345678901234567890123\n",                          // a number out of range
  };
  for (const auto& text : tomls) {
    std::string message = toml_error(text);
    EXPECT_NE(message, "") << text;
    EXPECT_EQ(message.find("Hunt"), std::string::npos) << text << "\n -> " << message;
    EXPECT_EQ(message.find("Secr"), std::string::npos) << text << "\n -> " << message;
    EXPECT_EQ(message.find("2345"), std::string::npos) << text << "\n -> " << message;
  }
  // What the parser expected stays.
  EXPECT_EQ(toml_error("[" + pw + "\n"),
            "configure job.toml:1:15: invalid TOML: Error while parsing table header: expected "
            "']'");
  const std::vector<std::string> jsons = {
      R"({"source": "host=h password=)" + pw,
      R"({"source": "host=h password=)" + pw + R"(" "query": 1})",
      R"({"source": password=)" + pw + "}",
      R"({"source": "host=h password=)" + pw + "\x01\"}",
      R"({"source": "host=h password=)" + pw + "\\x\"}",
      R"({"source": "host=h password=)" + pw + "'; expected 'x'\"",
      "{\"source\": \"host=h password=" + pw + "\xff\"}",
  };
  for (const auto& text : jsons) {
    try {
      parse_json(text);
      ADD_FAILURE() << text;
    } catch (const cu::Error& e) {
      std::string message = e.what();
      EXPECT_TRUE(message.starts_with("configure event: invalid JSON: parse error at ")) << message;
      EXPECT_EQ(message.find("Hunt"), std::string::npos) << text << "\n -> " << message;
      EXPECT_EQ(message.find("Secr"), std::string::npos) << text << "\n -> " << message;
    }
  }
  EXPECT_EQ(cu::json_syntax_error("[json.exception.parse_error.101] parse error at line 1, column "
                                  "50: syntax error while parsing object - unexpected string "
                                  "literal; last read: '\"pw'; expected 'x'\"'; expected '}'"),
            "parse error at line 1, column 50: syntax error while parsing object - unexpected "
            "string literal; expected '}'");
}

// The personal-data guard's keys: the same from the file, the event and the flags; the
// default is refuse at 5 % of 10,000 sampled rows; bad values are exit 2 naming the key.
TEST(JobConfig, PiiKeys) {
  JobConfig d = build(parse_toml(job_with(""), "job.toml"));
  EXPECT_EQ(d.pii.policy, cu::unload::PiiPolicy::kRefuse);
  EXPECT_TRUE(d.pii.allow.empty());
  EXPECT_EQ(d.pii.sample_rows, 10000u);
  EXPECT_DOUBLE_EQ(d.pii.threshold, 0.05);

  JobConfig f = build(parse_toml(job_with("pii = 'warn'\nallow_pii = ['notes', 'email']\n"
                                          "pii_sample_rows = 500\npii_threshold = '0.5%'"),
                                 "job.toml"));
  EXPECT_EQ(f.pii.policy, cu::unload::PiiPolicy::kWarn);
  EXPECT_EQ(f.pii.allow, (std::set<std::string>{"email", "notes"}));
  EXPECT_EQ(f.pii.sample_rows, 500u);
  EXPECT_DOUBLE_EQ(f.pii.threshold, 0.005);

  Values e = parse_json(R"({"query": "select 1", "to": "s3://bkt/p/", "source": "host=h",
    "pii": "off", "allow_pii": "notes,email", "pii_threshold": 10})");
  JobConfig j = build(e);
  EXPECT_EQ(j.pii.policy, cu::unload::PiiPolicy::kOff);
  EXPECT_EQ(j.pii.allow, (std::set<std::string>{"email", "notes"}));
  EXPECT_DOUBLE_EQ(j.pii.threshold, 0.10);

  Values v = parse_toml(job_with(""), "job.toml");
  overlay(v, flag_values("--pii warn --allow-pii notes --allow-pii email --pii-sample-rows 20 "
                         "--pii-threshold 1%"));
  JobConfig fl = build(v);
  EXPECT_EQ(fl.pii.policy, cu::unload::PiiPolicy::kWarn);
  EXPECT_EQ(fl.pii.allow, (std::set<std::string>{"email", "notes"}));
  EXPECT_EQ(fl.pii.sample_rows, 20u);
  EXPECT_DOUBLE_EQ(fl.pii.threshold, 0.01);

  EXPECT_NE(toml_error(job_with("pii = 'maybe'")).find("pii"), std::string::npos);
  EXPECT_NE(toml_error(job_with("pii_threshold = '0%'")).find("pii_threshold"), std::string::npos);
  EXPECT_NE(toml_error(job_with("pii_threshold = 'lots'")).find("pii_threshold"),
            std::string::npos);
  EXPECT_NE(toml_error(job_with("pii_sample_rows = 0")).find("pii_sample_rows"), std::string::npos);
}

}  // namespace

namespace cu::job {
namespace {

std::string file_error(const std::string& text) {
  try {
    JobFile file = parse_toml_file(text, "job.toml");
    for (size_t i = 0; i < file.unloads.size(); ++i) {
      Values values = entry_values(file, i);
      try {
        build(values);
      } catch (const Error& e) {
        throw in_entry(e, entry_label(values, i));
      }
    }
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  return "";
}

TEST(JobFile, EntriesOverlayTheSharedKeys) {
  JobFile file = parse_toml_file(
      "source = 'host=db dbname=tickit'\nformat = 'csv'\nquery = 'select 1'\n"
      "on_error = 'continue'\nconcurrency = 2\n"
      "[[unload]]\ntable = 'sales'\nto = 'out/sales_'\n"
      "[[unload]]\ntable = 'sales.Big\"One'\nto = 'out/b_'\nformat = 'json'\n"
      "[[unload]]\nto = 'out/q_'\n",
      "job.toml");
  ASSERT_EQ(file.unloads.size(), 3U);
  EXPECT_EQ(file.on_error, OnError::kContinue);
  EXPECT_EQ(file.concurrency, 2);
  JobConfig first = build(entry_values(file, 0));
  EXPECT_EQ(first.unload.select, "select * from \"sales\"");
  EXPECT_EQ(first.unload.destination, "out/sales_");
  EXPECT_EQ(first.unload.format, unload::Format::kCsv);
  JobConfig second = build(entry_values(file, 1));
  EXPECT_EQ(second.unload.select, "select * from \"sales\".\"Big\"\"One\"");
  EXPECT_EQ(second.unload.format, unload::Format::kJson);
  // No table of its own: the shared query.
  JobConfig third = build(entry_values(file, 2));
  EXPECT_EQ(third.unload.select, "select 1");
  EXPECT_EQ(entry_label(entry_values(file, 0), 0), "unload 1 (table sales)");
  EXPECT_EQ(entry_label(entry_values(file, 2), 2), "unload 3 (to out/q_)");
  // Flags over every entry.
  JobConfig flagged = build(entry_values(file, 0, {{"format", std::string("text")}}));
  EXPECT_EQ(flagged.unload.format, unload::Format::kText);
}

TEST(JobFile, Refusals) {
  const std::string top = "source = 'host=db'\n";
  EXPECT_EQ(file_error(top + "[[unload]]\ntable = 'a'\nto = 'o/'\ncolour = 'red'\n"),
            "configure job.toml [[unload]] 1: unknown key 'colour'; "
            "hint: see `crossunload run --help` for the keys");
  EXPECT_EQ(file_error(top + "on_error = 'ignore'\n[[unload]]\ntable = 'a'\nto = 'o/'\n"),
            "configure job.toml: on_error 'ignore' is neither stop nor continue; hint: "
            "on_error = \"stop\" (the default: the unloads after a failure do not run) or "
            "\"continue\"");
  EXPECT_EQ(file_error(top + "concurrency = 0\n[[unload]]\ntable = 'a'\nto = 'o/'\n"),
            "configure job.toml: concurrency 0 is out of range; hint: give 1 (one unload after "
            "another, the default) to 16");
  EXPECT_EQ(file_error(top + "unload = []\n"),
            "configure job.toml: the job has no unload entry; hint: give at least one "
            "[[unload]] (Lambda: one object in \"unloads\")");
  EXPECT_EQ(file_error(top + "on_error = 'stop'\nquery = 'select 1'\nto = 'o/'\n"),
            "configure job.toml: 'on_error' belongs to a job file of [[unload]] entries; hint: "
            "add [[unload]] entries, or remove it");
  EXPECT_EQ(file_error(top + "[[unload]]\ntable = 'a'\nquery = 'select 1'\nto = 'o/'\n"),
            "unload 1 (table a): configure table: give either table or query/query_file, not "
            "both");
  EXPECT_EQ(file_error(top + "[[unload]]\ntable = 'a.b.c'\nto = 'o/'\n"),
            "unload 1 (table a.b.c): configure table: 'a.b.c' is not a table name; hint: give "
            "name or schema.name (a name holding a dot is unloaded with query)");
  EXPECT_THROW(parse_toml(top + "[[unload]]\ntable = 'a'\nto = 'o/'\n", "job.toml"), Error);
}

TEST(JobFile, LambdaEventShape) {
  JobFile file = parse_json_file(nlohmann::json::parse(
      R"({"source": "host=db", "on_error": "continue",
          "unloads": [{"table": "venue", "to": "o/v_"}, {"query": "select 2", "to": "o/q_"}]})"));
  ASSERT_EQ(file.unloads.size(), 2U);
  EXPECT_EQ(build(entry_values(file, 0)).unload.select, "select * from \"venue\"");
  EXPECT_EQ(build(entry_values(file, 1)).unload.select, "select 2");
  EXPECT_THROW(parse_json_file(nlohmann::json::parse(R"({"unloads": []})")), Error);
}

}  // namespace
}  // namespace cu::job
