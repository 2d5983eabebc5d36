#pragma once
// UnloadSpec — everything one Amazon Redshift UNLOAD statement can say, as a plain value.
// It is the one model the whole product shares: the job builds it from its configuration
// and sends render(spec) to a real Redshift (render.h); the local gateway reads a statement
// with parse(sql) (parse.h); validate(spec) (validate.h) states Redshift's rules once.
//
//   cu::unload::UnloadSpec s;
//   s.select = "select * from venue where venuestate = 'NV'";
//   s.destination = "s3://dev-exports/venue_";
//   s.authorization = cu::unload::IamRoleChain{{"arn:aws:iam::111111111111:role/RsUnload"}};
//   s.format = cu::unload::Format::kCsv;
//   cu::unload::validate(s);
//   std::string sql = cu::unload::render(s);
//
// Fields that Redshift treats differently when absent than when given with the default
// value (DELIMITER, NULL AS, PARALLEL, MAXFILESIZE, …) are std::optional, so that
// parse(render(s)) == s holds exactly. Reference: docs/redshift-unload.md
// (cited below as "spec §n", its section #sn) and docs/unload-spec.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/strings.h"

namespace cu::unload {

// Output format. Text (pipe-delimited) is the default and has no keyword (spec §1.3).
enum class Format { kText, kCsv, kJson, kParquet };
enum class Compression { kNone, kGzip, kBzip2, kZstd };
enum class Manifest { kNone, kPlain, kVerbose };
// Absent ENCRYPTED (objects still get SSE-S3), ENCRYPTED, ENCRYPTED AUTO (spec §1.5).
enum class Encryption { kNone, kOn, kAuto };

// `IAM_ROLE default`: the role marked default on the cluster.
struct IamRoleDefault {
  friend bool operator==(const IamRoleDefault&, const IamRoleDefault&) = default;
};

// `IAM_ROLE 'arnA,arnB,…'`: the chain Redshift assumes, first listed assumed first (spec §3).
struct IamRoleChain {
  std::vector<std::string> arns;
  friend bool operator==(const IamRoleChain&, const IamRoleChain&) = default;
};

// `ACCESS_KEY_ID '…' SECRET_ACCESS_KEY '…' [SESSION_TOKEN '…']` (spec §1.2).
struct AccessKeys {
  std::string access_key_id;
  std::string secret_access_key;
  std::optional<std::string> session_token;
  friend bool operator==(const AccessKeys&, const AccessKeys&) = default;
};

// `[WITH] CREDENTIALS [AS] '<args>'` (spec §1.2): case-sensitive `key=value` items
// separated by `;`, split once by parse_credentials() into these fields; render() writes
// the given ones back in this order. Which combinations Redshift accepts is validate()'s.
struct Credentials {
  std::optional<IamRoleChain> aws_iam_role;  // aws_iam_role=arnA,arnB
  std::optional<std::string> aws_access_key_id;
  std::optional<std::string> aws_secret_access_key;  // secret
  std::optional<std::string> token;                  // secret
  std::optional<std::string> master_symmetric_key;   // secret
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

using Authorization = std::variant<IamRoleDefault, IamRoleChain, AccessKeys, Credentials>;

// One FIXEDWIDTH column: `venueid:3` (name) or `0:3` (0-based index, spec §1.3).
struct FixedWidthColumn {
  std::string column;
  std::uint32_t width = 0;
  friend bool operator==(const FixedWidthColumn&, const FixedWidthColumn&) = default;
};

// `PARTITION BY (col, …) [INCLUDE]`. Column names are stored as the database sees them:
// unquoted identifiers folded to lower case, quoted ones verbatim.
struct PartitionBy {
  std::vector<std::string> columns;
  bool include = false;
  friend bool operator==(const PartitionBy&, const PartitionBy&) = default;
};

struct UnloadSpec {
  // The inner SQL exactly as it should run (not escaped; render() escapes it, spec §2).
  std::string select;
  // The TO argument: `s3://bucket/key-prefix`, or (emulator only) a local path prefix.
  std::string destination;
  // Required by Redshift; a client-mode job that writes the objects itself has none.
  std::optional<Authorization> authorization;

  Format format = Format::kText;
  std::optional<std::string> delimiter;                     // DELIMITER [AS] '<char>'
  std::optional<std::vector<FixedWidthColumn>> fixedwidth;  // FIXEDWIDTH [AS] '<col:width,…>'
  std::optional<std::string> null_as;                       // NULL [AS] '<string>'
  bool header = false;                                      // HEADER
  bool escape = false;                                      // ESCAPE
  bool addquotes = false;                                   // ADDQUOTES
  Compression compression = Compression::kNone;
  std::optional<bool> parallel;                 // PARALLEL [ON|TRUE|OFF|FALSE]; absent = on
  std::optional<std::uint64_t> max_file_size;   // MAXFILESIZE, bytes (1 MB = 2^20 bytes)
  std::optional<std::uint64_t> row_group_size;  // ROWGROUPSIZE, bytes (1 MB = 2^20 bytes)
  std::optional<PartitionBy> partition_by;
  Manifest manifest = Manifest::kNone;
  Encryption encrypted = Encryption::kNone;
  std::optional<std::string> kms_key_id;            // KMS_KEY_ID '<key>'
  std::optional<std::string> master_symmetric_key;  // MASTER_SYMMETRIC_KEY '<key>' (retired)
  bool allow_overwrite = false;                     // ALLOWOVERWRITE
  bool clean_path = false;                          // CLEANPATH
  std::optional<std::string> region;                // REGION [AS] '<region>'
  std::optional<std::string> extension;             // EXTENSION '<ext>'

  // PARALLEL is on unless explicitly turned off.
  bool is_parallel() const { return parallel.value_or(true); }

  friend bool operator==(const UnloadSpec&, const UnloadSpec&) = default;
};

// Lower-case names used in messages, configuration values and docs: "text", "csv", …
// Upper-cased, a format's or compression's word is its UNLOAD keyword (except "text" and
// "none", which have none).
inline constexpr Keyword<Format> kFormatWords[] = {{Format::kText, "text"},
                                                   {Format::kCsv, "csv"},
                                                   {Format::kJson, "json"},
                                                   {Format::kParquet, "parquet"}};
inline constexpr Keyword<Compression> kCompressionWords[] = {{Compression::kNone, "none"},
                                                             {Compression::kGzip, "gzip"},
                                                             {Compression::kBzip2, "bzip2"},
                                                             {Compression::kZstd, "zstd"}};
inline constexpr Keyword<Manifest> kManifestWords[] = {
    {Manifest::kNone, "none"}, {Manifest::kPlain, "plain"}, {Manifest::kVerbose, "verbose"}};
const char* to_string(Format f);
const char* to_string(Compression c);
const char* to_string(Manifest m);

// Splits a FIXEDWIDTH argument; throws cu::Error(kUsage, "validate UNLOAD", "FIXEDWIDTH", …)
// when it is not a comma list of `<col>:<positive width>`.
std::vector<FixedWidthColumn> parse_fixedwidth(std::string_view text);
// The argument again: `venueid:3,venuename:39`.
std::string fixedwidth_text(const std::vector<FixedWidthColumn>& columns);

// `arnA,arnB` as a chain (IAM_ROLE and CREDENTIALS' aws_iam_role).
IamRoleChain role_chain(std::string_view text);
std::string role_chain_text(const IamRoleChain& chain);

// Splits a CREDENTIALS argument and registers its secret values (cu::register_secret).
// Throws cu::Error(kUsage, "parse UNLOAD", "CREDENTIALS", …) when it is empty, an item is not
// `<known key>=<value>`, or a key comes twice. Messages name items by their number, never by
// their text: a malformed item may hold a secret key.
Credentials parse_credentials(std::string_view text);
// The argument again; with `redact`, the secret values are `***`.
std::string credentials_text(const Credentials& c, bool redact = false);

}  // namespace cu::unload
