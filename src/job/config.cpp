#include "job/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

#include "aws/names.h"
#include "base/error.h"
#include "base/redact.h"
#include "base/strings.h"
#include "base/syntax_error.h"
#include "pg/conninfo.h"
#include "unload/mask.h"
#include "unload/sql_text.h"
#include "unload/validate.h"

namespace cu::job {

namespace {

constexpr const char* kStep = "configure";

[[noreturn]] void bad(std::string_view resource, const std::string& message,
                      const std::string& hint = "") {
  Error e(ErrorKind::kUsage, kStep, std::string(resource), message);
  if (!hint.empty()) {
    e.with_hint(hint);
  }
  throw e;
}

// Built on first use: a namespace-scope vector could throw before main (cert-err58-cpp).
const std::vector<KeyInfo>& key_table() {
  static const std::vector<KeyInfo> table = {
      {"region", KeyType::kString, "AWS region for our STS, Secrets Manager and S3 calls"},
      {"query", KeyType::kString, "the SELECT (or WITH … SELECT) to unload"},
      {"query_file", KeyType::kString, "file holding the query (instead of query)"},
      {"table", KeyType::kString,
       "unload a whole table: schema.name or name (instead of query; = select * from it)"},
      {"to", KeyType::kString, "destination: s3://bucket/prefix or a local path prefix"},
      {"source", KeyType::kString, "libpq conninfo of the source database (instead of secret_id)"},
      {"secret_id", KeyType::kString,
       "Secrets Manager secret (name or ARN) holding the database connection"},
      {"secret_role_arn", KeyType::kString, "role assumed to read the secret"},
      {"external_id", KeyType::kString, "external id given when assuming secret_role_arn"},
      {"role_session_name", KeyType::kString,
       "session name for assumed roles (default crossunload)"},
      {"database", KeyType::kString, "database name, overriding the secret's or conninfo's"},
      {"iam_role", KeyType::kList,
       "role chain Redshift assumes in server mode (repeat or comma-separate; or 'default')"},
      {"mode", KeyType::kString,
       "auto | server (UNLOAD on Redshift) | client (we write the files)"},
      {"write_role_arn", KeyType::kString,
       "client mode: role our process assumes to write (default: its own identity)"},
      {"format", KeyType::kString, "text | csv | json | parquet (default text)"},
      {"delimiter", KeyType::kString, "field delimiter, one ASCII character"},
      {"fixedwidth", KeyType::kString, "fixed-width columns 'col:width,…' (text only)"},
      {"null_as", KeyType::kString, "string written for NULL"},
      {"header", KeyType::kBool, "write a header line in each file"},
      {"escape", KeyType::kBool, "backslash-escape delimiters, newlines and backslashes (text)"},
      {"addquotes", KeyType::kBool, "wrap every field in double quotes (text)"},
      {"compression", KeyType::kString, "none | gzip | bzip2 | zstd"},
      {"parallel", KeyType::kBool, "one file set per slice (default); --no-parallel for serial"},
      {"max_file_size", KeyType::kSize, "largest file, 5 MB .. 6.2 GB (e.g. '256 MB')"},
      {"row_group_size", KeyType::kSize, "Parquet row group size, 32 MB .. 128 MB"},
      {"partition_by", KeyType::kList, "partition columns (repeat or comma-separate)"},
      {"partition_include", KeyType::kBool, "keep partition columns in the files"},
      {"mask", KeyType::kMap,
       "mask a column in the database: col=null|redact|redact:TEXT|hash|keep:N|email|shift:N|"
       "digits:N (repeat)"},
      {"mask_policy", KeyType::kString,
       "TOML file of column-name patterns and their mask rules (mask entries win)"},
      {"mask_salt", KeyType::kString,
       "salt of hash, email and shift: a secret, give it in the job file (default: random per "
       "run)"},
      {"pii", KeyType::kString,
       "personal data in the result: refuse (default: exit 2, nothing written) | warn | off"},
      {"allow_pii", KeyType::kList,
       "columns that may hold personal data (repeat or comma-separate)"},
      {"pii_sample_rows", KeyType::kInt,
       "server mode: rows the database checks for personal data (default 10000)"},
      {"pii_threshold", KeyType::kString,
       "share of a column's values that flags it, in percent (default 5%)"},
      {"manifest", KeyType::kWord, "none | plain | verbose (bare flag: plain)"},
      {"encrypted", KeyType::kWord, "true | false | auto: UNLOAD's ENCRYPTED [AUTO]"},
      {"kms_key_id", KeyType::kString, "KMS key for SSE-KMS (needs encrypted)"},
      {"allow_overwrite", KeyType::kBool, "replace existing objects of the same name"},
      {"clean_path", KeyType::kBool, "delete existing objects under the prefix first"},
      {"bucket_region", KeyType::kString,
       "UNLOAD's REGION: the bucket's region when it is not the cluster's"},
      {"extension", KeyType::kString, "file name extension (replaces the automatic one)"},
      {"sslmode", KeyType::kString, "libpq sslmode (default require, except on loopback)"},
      {"connect_timeout", KeyType::kInt, "database connect timeout in seconds (default 10)"},
      {"report", KeyType::kString, "write the JSON report to this file, or - for stdout"},
      {"dry_run", KeyType::kBool, "print the plan and the UNLOAD; read and write nothing"},
      {"progress", KeyType::kString,
       "live progress on stderr: auto (default: bar on a terminal, else none) | bar | plain | "
       "json | none"},
      {"progress_interval", KeyType::kString,
       "seconds between progress updates, 0.05 .. 3600 (default 0.2 for the bar, else 1)"},
      {"via", KeyType::kString,
       "connection (default: a database session) | data-api (the Redshift Data API)"},
      {"cluster_id", KeyType::kString, "data-api: the provisioned cluster's identifier"},
      {"workgroup", KeyType::kString, "data-api: the Redshift Serverless workgroup"},
      {"db_user", KeyType::kString,
       "data-api: database user with temporary credentials (instead of secret_id)"},
      {"wait", KeyType::kBool,
       "data-api: wait for the statement (default for run; check looks once unless --wait)"},
      {"action", KeyType::kString,
       "data-api: run (default) | submit (= --no-wait) | check (needs statement_id)"},
      {"statement_id", KeyType::kString,
       "data-api: the statement (id or job token) that check looks at"},
      {"empty_result", KeyType::kString,
       "client mode, zero rows: none (no file, no manifest) | schema (one schema-only file)"},
      {"catalog_database", KeyType::kString,
       "after a successful run, register the output in this Glue database (with catalog_table)"},
      {"catalog_table", KeyType::kString, "the Glue/Athena table the output is registered as"},
      {"catalog_partitions", KeyType::kString,
       "with partition_by: register (each partition in Glue, default) | projection"},
      {"print_ddl", KeyType::kBool,
       "print the table's Athena DDL (describes the query) and exit without unloading"},
      {"incremental_column", KeyType::kString,
       "unload only the rows above the saved watermark of this column (timestamp, date or "
       "integer; needs state)"},
      {"state", KeyType::kString,
       "incremental: where the watermark is kept, s3://bucket/key or a local file"},
      {"incremental_start", KeyType::kString,
       "incremental: the watermark of a run without state (default: every row)"},
  };
  return table;
}

void check_known(const std::string& key, std::string_view origin) {
  if (find_key(key)) {
    return;
  }
  std::string underscored = key;
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  if (underscored != key && find_key(underscored)) {
    bad(origin, fmt::format("unknown key '{}'", key),
        fmt::format("did you mean '{}'? keys use underscores", underscored));
  }
  bad(origin, fmt::format("unknown key '{}'", key), "see `crossunload run --help` for the keys");
}

const char* type_name(KeyType t) {
  switch (t) {
    case KeyType::kString:
      return "a string";
    case KeyType::kBool:
      return "true or false";
    case KeyType::kInt:
      return "an integer";
    case KeyType::kList:
      return "a list of strings or one comma-separated string";
    case KeyType::kSize:
      return "a size such as \"256 MB\" or an integer number of MB";
    case KeyType::kWord:
      return "a word or true/false";
    case KeyType::kMap:
      return "a table of name = \"value\" strings, or name=value items";
  }
  return "?";
}

[[noreturn]] void ill_typed(const KeyInfo& k) {
  bad(k.name, fmt::format("'{}' must be {}", k.name, type_name(k.type)));
}

// A NUL byte ends a C string: libpq, the SQL sent and the logs would each see another text
// than the one checked. Refused wherever text enters (job file, event, query file).
void check_no_nul(std::string_view where, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    bad(where, "the text holds a NUL byte (\\0)", "remove it; no key or query may hold one");
  }
}

std::string as_string(const KeyInfo& k, const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    return *s;
  }
  ill_typed(k);
}

bool as_bool(const KeyInfo& k, const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) {
    return *b;
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto b = bool_word(*s)) {
      return *b;
    }
  }
  ill_typed(k);
}

// A kWord value as a lower-case word; booleans become "true" / "false".
std::string as_word(const KeyInfo& k, const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) {
    return *b ? "true" : "false";
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    return lower(trim(*s));
  }
  ill_typed(k);
}

std::int64_t as_int(const KeyInfo& k, const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return *i;
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::string t(trim(*s));
    if (!t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(t);
    }
  }
  ill_typed(k);
}

std::vector<std::string> as_list(const KeyInfo& k, const Value& v) {
  std::vector<std::string> out;
  if (const auto* s = std::get_if<std::string>(&v)) {
    return split_trimmed(*s, ',');
  }
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    for (const auto& item : *l) {
      for (auto& part : split_trimmed(item, ',')) {
        out.push_back(std::move(part));
      }
    }
    return out;
  }
  ill_typed(k);
}

// kMap: "name=value" items (split at the first '='). One string may hold several items,
// comma-separated; list items (a table's entries, repeated flags) are taken whole, so a
// value may hold commas there.
std::vector<std::pair<std::string, std::string>> as_map(const KeyInfo& k, const Value& v) {
  std::vector<std::string> items;
  if (const auto* s = std::get_if<std::string>(&v)) {
    items = split_trimmed(*s, ',');
  } else if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    items = *l;
  } else {
    ill_typed(k);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || trim(item.substr(0, eq)).empty()) {
      bad(k.name, fmt::format("'{}' is not name=value", item),
          fmt::format("e.g. {} email=hash", k.name));
    }
    out.emplace_back(trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
  }
  return out;
}

std::uint64_t as_size(const KeyInfo& k, const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    if (*i < 0 || *i > (std::int64_t{1} << 40)) {
      ill_typed(k);
    }
    return static_cast<std::uint64_t>(*i) * unload::kMB;
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto bytes = unload::parse_size_text(*s)) {
      return *bytes;
    }
  }
  ill_typed(k);
}

template <class T, size_t N>
T choice(const KeyInfo& k, const std::string& word, const Keyword<T> (&options)[N]) {
  if (auto value = from_keyword(options, word)) {
    return *value;
  }
  bad(k.name, fmt::format("'{}' is not a valid {}", word, k.name),
      "one of: " + keyword_list(options));
}

// progress_interval: seconds, a TOML/JSON number or text ("0.5", "2s"), 0.05 .. 3600.
std::chrono::milliseconds progress_interval(const KeyInfo& k, const Value& v) {
  double seconds = -1;
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    seconds = static_cast<double>(*i);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    std::string_view text = trim(*s);
    if (text.ends_with('s')) {
      text = trim(text.substr(0, text.size() - 1));
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      ill_typed(k);
    }
  } else {
    ill_typed(k);
  }
  if (!(seconds >= 0.05 && seconds <= 3600)) {
    bad(k.name, fmt::format("progress_interval {} is out of range 0.05 .. 3600 seconds", seconds));
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

void check_role_arn(const char* key, const std::string& arn) {
  if (!aws::is_role_arn(arn)) {
    bad(key, fmt::format("'{}' is not an IAM role ARN", arn),
        "expected arn:<partition>:iam::<12-digit account>:role/<name>");
  }
}

}  // namespace

std::optional<bool> bool_word(const std::string& s) {
  std::string w = lower(trim(s));
  if (w == "true" || w == "on" || w == "yes" || w == "1") {
    return true;
  }
  if (w == "false" || w == "off" || w == "no" || w == "0") {
    return false;
  }
  return std::nullopt;
}

const char* to_string(Via v) { return keyword_of(kViaWords, v).data(); }

const char* to_string(Mode m) {
  return keyword_of(kModeWords, m).data();  // the table's words are literals: terminated
}

unload::QueryDialect query_dialect(Mode m) {
  switch (m) {
    case Mode::kServer:
      return unload::sql::Dialect::kRedshift;
    case Mode::kClient:
      return unload::sql::Dialect::kPostgres;
    case Mode::kAuto:
      break;
  }
  return std::nullopt;
}

const std::vector<KeyInfo>& keys() { return key_table(); }

const KeyInfo* find_key(std::string_view name) {
  for (const auto& k : key_table()) {
    if (name == k.name) {
      return &k;
    }
  }
  return nullptr;
}

namespace {

// One table of keys (the file's top level, or one [[unload]] entry).
Values toml_values(const toml::table& table, std::string_view origin) {
  Values out;
  for (auto&& [k, node] : table) {
    std::string key(k.str());
    check_known(key, origin);
    if (const auto* s = node.as_string()) {
      out[key] = s->get();
    } else if (const auto* b = node.as_boolean()) {
      out[key] = b->get();
    } else if (const auto* i = node.as_integer()) {
      out[key] = i->get();
    } else if (const auto* a = node.as_array()) {
      std::vector<std::string> list;
      for (auto&& item : *a) {
        const auto* str = item.as_string();
        if (!str) {
          bad(origin, fmt::format("'{}': list items must be strings", key));
        }
        list.push_back(str->get());
      }
      out[key] = std::move(list);
    } else if (const auto* t = node.as_table(); t && find_key(key)->type == KeyType::kMap) {
      std::vector<std::string> items;
      for (auto&& [name, item] : *t) {
        const auto* str = item.as_string();
        if (!str) {
          bad(origin, fmt::format("'{}.{}' must be a string", key, name.str()));
        }
        items.push_back(std::string(name.str()) + "=" + str->get());
      }
      out[key] = std::move(items);
    } else {
      bad(origin, fmt::format("'{}' must be {}", key, type_name(find_key(key)->type)));
    }
  }
  return out;
}

OnError on_error_word(const std::string& word, std::string_view origin) {
  if (word == "stop") {
    return OnError::kStop;
  }
  if (word == "continue") {
    return OnError::kContinue;
  }
  bad(origin, fmt::format("on_error '{}' is neither stop nor continue", word),
      "on_error = \"stop\" (the default: the unloads after a failure do not run) or "
      "\"continue\"");
}

int concurrency_value(std::int64_t n, std::string_view origin) {
  if (n < 1 || n > kMaxConcurrency) {
    bad(origin, fmt::format("concurrency {} is out of range", n),
        fmt::format("give 1 (one unload after another, the default) to {}", kMaxConcurrency));
  }
  return static_cast<int>(n);
}

[[noreturn]] void single_only(std::string_view origin, std::string_view key) {
  bad(origin, fmt::format("'{}' belongs to a job file of [[unload]] entries", key),
      "add [[unload]] entries, or remove it");
}

}  // namespace

JobFile parse_toml_file(std::string_view text, std::string_view origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    bad(fmt::format("{}:{}:{}", origin, at.line, at.column),
        "invalid TOML: " + toml_syntax_error(e.description()));
  }
  JobFile file;
  // The [infra] table belongs to `crossunload infra/teardown/doctor` (docs/deploy.md): one
  // job file serves both, so the job skips it.
  if (toml::node* n = table.get("infra"); n != nullptr && n->is_table()) {
    table.erase("infra");
  }
  if (toml::node* n = table.get("on_error")) {
    const auto* word = n->as_string();
    if (word == nullptr) {
      bad(origin, "'on_error' must be a string");
    }
    file.on_error = on_error_word(word->get(), origin);
    table.erase("on_error");
  }
  if (toml::node* n = table.get("concurrency")) {
    const auto* i = n->as_integer();
    if (i == nullptr) {
      bad(origin, "'concurrency' must be an integer");
    }
    file.concurrency = concurrency_value(i->get(), origin);
    table.erase("concurrency");
  }
  if (toml::node* n = table.get("unload")) {
    const toml::array* entries = n->as_array();
    if (entries == nullptr || (!entries->empty() && !entries->is_array_of_tables())) {
      bad(origin, "'unload' must be [[unload]] tables of keys");
    }
    file.multi = true;
    for (size_t i = 0; i < entries->size(); ++i) {
      file.unloads.push_back(
          toml_values(*entries->at(i).as_table(), fmt::format("{} [[unload]] {}", origin, i + 1)));
    }
    table.erase("unload");
  }
  file.shared = toml_values(table, origin);
  check_job_file(file, origin);
  return file;
}

Values parse_toml(std::string_view text, std::string_view origin) {
  JobFile file = parse_toml_file(text, origin);
  if (file.multi) {
    single_only(origin, "unload");
  }
  return std::move(file.shared);
}

JobFile parse_json_file(const nlohmann::json& doc, std::string_view origin) {
  if (!doc.is_object()) {
    bad(origin, "the job must be a JSON object of keys");
  }
  nlohmann::json top = doc;
  JobFile file;
  if (auto it = top.find("on_error"); it != top.end()) {
    if (!it->is_string()) {
      bad(origin, "'on_error' must be a string");
    }
    file.on_error = on_error_word(it->get<std::string>(), origin);
    top.erase(it);
  }
  if (auto it = top.find("concurrency"); it != top.end()) {
    if (!it->is_number_integer()) {
      bad(origin, "'concurrency' must be an integer");
    }
    file.concurrency = concurrency_value(it->get<std::int64_t>(), origin);
    top.erase(it);
  }
  if (auto it = top.find("unloads"); it != top.end()) {
    if (!it->is_array()) {
      bad(origin, "'unloads' must be an array of objects of keys");
    }
    file.multi = true;
    for (size_t i = 0; i < it->size(); ++i) {
      file.unloads.push_back(parse_json_value(it->at(i), fmt::format("{} unloads[{}]", origin, i)));
    }
    top.erase(it);
  }
  file.shared = parse_json_value(top, origin);
  check_job_file(file, origin);
  return file;
}

Values parse_json(std::string_view text, std::string_view origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    bad(origin, "invalid JSON: " + json_syntax_error(e.what()));
  }
  return parse_json_value(doc, origin);
}

Values parse_json_value(const nlohmann::json& doc, std::string_view origin) {
  if (!doc.is_object()) {
    bad(origin, "the job must be a JSON object of keys");
  }
  Values out;
  for (const auto& [key, v] : doc.items()) {
    check_known(key, origin);
    if (v.is_null()) {
      continue;
    }
    if (v.is_string()) {
      out[key] = v.get<std::string>();
    } else if (v.is_boolean()) {
      out[key] = v.get<bool>();
    } else if (v.is_number_integer()) {
      out[key] = v.get<std::int64_t>();
    } else if (v.is_array()) {
      std::vector<std::string> list;
      for (const auto& item : v) {
        if (!item.is_string()) {
          bad(origin, fmt::format("'{}': list items must be strings", key));
        }
        list.push_back(item.get<std::string>());
      }
      out[key] = std::move(list);
    } else if (v.is_object() && find_key(key)->type == KeyType::kMap) {
      std::vector<std::string> items;
      for (const auto& [name, item] : v.items()) {
        if (!item.is_string()) {
          bad(origin, fmt::format("'{}.{}' must be a string", key, name));
        }
        items.push_back(name + "=" + item.get<std::string>());
      }
      out[key] = std::move(items);
    } else {
      bad(origin, fmt::format("'{}' must be {}", key, type_name(find_key(key)->type)));
    }
  }
  return out;
}

void overlay(Values& base, const Values& top) {
  for (const auto& [k, v] : top) {
    base[k] = v;
  }
}

void check_job_file(const JobFile& file, std::string_view origin) {
  if (!file.multi) {
    if (file.on_error) {
      single_only(origin, "on_error");
    }
    if (file.concurrency) {
      single_only(origin, "concurrency");
    }
    return;
  }
  if (file.unloads.empty()) {
    bad(origin, "the job has no unload entry",
        "give at least one [[unload]] (Lambda: one object in \"unloads\")");
  }
}

Values entry_values(const JobFile& file, size_t index, const Values& over) {
  Values values = file.shared;
  const Values& entry = file.unloads.at(index);
  // What to unload is the entry's own when it names it: its table replaces a shared query.
  if (entry.contains("table") || entry.contains("query") || entry.contains("query_file")) {
    values.erase("table");
    values.erase("query");
    values.erase("query_file");
  }
  overlay(values, entry);
  overlay(values, over);
  return values;
}

std::string entry_label(const Values& values, size_t index) {
  std::string label = fmt::format("unload {}", index + 1);
  if (auto it = values.find("table"); it != values.end()) {
    if (const auto* s = std::get_if<std::string>(&it->second)) {
      return label + " (table " + *s + ")";
    }
  }
  if (auto it = values.find("to"); it != values.end()) {
    if (const auto* s = std::get_if<std::string>(&it->second)) {
      return label + " (to " + *s + ")";
    }
  }
  return label;
}

Error in_entry(const Error& e, std::string_view label) {
  Error out(e.kind(), std::string(label) + ": " + e.step(), e.resource(), e.message());
  if (!e.hint().empty()) {
    out.with_hint(e.hint());
  }
  if (!e.aws_code().empty() || !e.request_id().empty()) {
    out.with_aws(e.aws_code(), e.request_id());
  }
  return out;
}

namespace {

// `table = "schema.name"` as SQL: each part quoted (a name needs no quoting to be safe).
std::string table_reference(const std::string& table) {
  std::vector<std::string_view> parts;
  std::string_view rest = table;
  for (size_t dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    parts.push_back(rest.substr(0, dot));
    rest.remove_prefix(dot + 1);
  }
  parts.push_back(rest);
  if (parts.size() > 2) {
    bad("table", fmt::format("'{}' is not a table name", table),
        "give name or schema.name (a name holding a dot is unloaded with query)");
  }
  std::string out;
  for (std::string_view part : parts) {
    if (part.empty() || trim(part) != part) {
      bad("table", fmt::format("'{}' is not a table name", table),
          "give name or schema.name, without blanks around the parts");
    }
    out += (out.empty() ? "" : ".") + unload::quote_identifier(part);
  }
  return out;
}

// The keys of `via = "data-api"` and how they combine (docs/job.md, "The Data API").
void check_data_api(JobConfig& job) {
  if (job.via == Via::kConnection) {
    for (const auto& [key, value] :
         {std::pair{"cluster_id", &job.cluster_id}, std::pair{"workgroup", &job.workgroup},
          std::pair{"db_user", &job.db_user}}) {
      if (*value) {
        bad(key, fmt::format("{} is a key of via = \"data-api\"", key),
            "set via = \"data-api\", or remove it");
      }
    }
    if (job.wait) {
      bad("wait", "wait is a key of via = \"data-api\" (a connection cannot outlive the run)");
    }
    if (job.action != Action::kRun || job.statement_id) {
      bad("action", "submit and check need via = \"data-api\"",
          "set via = \"data-api\" in the job file the statement was submitted with");
    }
    return;
  }
  if (job.source) {
    bad("source via",
        "via = \"data-api\" runs no database session: source (a conninfo) cannot be used",
        "give cluster_id (or workgroup) with secret_id or db_user");
  }
  if (job.cluster_id.has_value() == job.workgroup.has_value()) {
    bad("cluster_id workgroup", "via = \"data-api\" needs cluster_id or workgroup (one of them)");
  }
  if (job.secret_id && job.db_user) {
    bad("secret_id db_user", "give secret_id or db_user, not both");
  }
  if (job.cluster_id && !job.secret_id && !job.db_user) {
    bad("secret_id",
        "a cluster through the Data API needs secret_id (the secret's ARN) or db_user");
  }
  if (job.workgroup && job.db_user) {
    bad("db_user",
        "a Serverless workgroup takes secret_id or the caller's IAM identity, not db_user");
  }
  if (!job.database) {
    bad("database",
        "via = \"data-api\" needs database (the Data API does not read it from the secret)");
  }
  if (job.mode == Mode::kClient) {
    bad("mode", "via = \"data-api\" sends UNLOAD to the cluster: mode cannot be client");
  }
  job.mode = Mode::kServer;
  if (job.action == Action::kSubmit) {
    if (job.wait.value_or(false)) {
      bad("wait action", "action = \"submit\" does not wait; use action = \"run\"");
    }
    job.wait = false;
  }
  if ((job.action == Action::kCheck) != job.statement_id.has_value()) {
    bad("statement_id",
        job.statement_id ? "statement_id is for action = \"check\""
                         : "action = \"check\" needs statement_id",
        "the id or job token that the submit reported");
  }
  if (job.statement_id && job.statement_id->empty()) {
    bad("statement_id", "statement_id is empty");
  }
  if (!job.unload.authorization) {
    bad("iam_role", "via = \"data-api\" sends UNLOAD to the cluster, which needs iam_role");
  }
}

// incremental_column, state and incremental_start: all of the first two or neither, the
// destination a template naming the window, and the options that would let a repeated
// window publish twice refused.
void check_incremental(JobConfig& job, const std::optional<std::string>& column,
                       const std::optional<std::string>& state,
                       const std::optional<std::string>& start) {
  const std::string& to = job.unload.destination;
  if (!column && !state) {
    if (start) {
      bad("incremental_start", "incremental_start needs incremental_column and state");
    }
    if (has_window_placeholder(to)) {
      bad("to", "'{' or '}' in the destination is a window placeholder, for incremental unloads",
          "set incremental_column and state, or remove the braces");
    }
    return;
  }
  if (!column || !state) {
    bad(column ? "state" : "incremental_column",
        "an incremental unload needs both incremental_column and state",
        column ? "state = \"s3://bucket/state/job.json\" or a local file keeps the watermark"
               : "incremental_column names the monotonic column of the query's result");
  }
  if (!to.empty()) {
    check_window_template(to);  // no `to` at all is refused below, as without incremental
  }
  if (job.unload.allow_overwrite || job.unload.clean_path) {
    bad(job.unload.allow_overwrite ? "allow_overwrite" : "clean_path",
        "an incremental unload never replaces objects: each window has its own prefix, and a "
        "repeated window must not publish twice",
        "remove allow_overwrite / clean_path");
  }
  if (job.via == Via::kDataApi && (job.wait == false || job.action != Action::kRun)) {
    bad("incremental_column",
        "an incremental unload through the Data API waits for its statement (the state is saved "
        "once the window is verified)",
        "drop --no-wait / action = \"submit\" or \"check\" from the incremental job");
  }
  if (job.catalog) {
    bad("incremental_column", "incremental unloads cannot register a catalog table yet",
        "register the table over the windows' parent prefix yourself");
  }
  job.incremental = IncrementalConfig{*column, *state, start};
}

}  // namespace

JobConfig build(const Values& values) {
  JobConfig job;
  unload::UnloadSpec& u = job.unload;
  std::optional<bool> partition_include;
  std::optional<std::string> catalog_database;
  std::optional<std::string> catalog_table;
  std::optional<CatalogPartitions> catalog_partitions;
  std::optional<std::string> incremental_column;
  std::optional<std::string> state;
  std::optional<std::string> incremental_start;
  std::optional<std::string> table;

  for (const auto& [key, v] : values) {
    check_known(key, "job");
    const KeyInfo& k = *find_key(key);
    if (const auto* s = std::get_if<std::string>(&v)) {
      check_no_nul(key, *s);
    } else if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
      for (const std::string& item : *l) {
        check_no_nul(key, item);
      }
    }
    if (key == "region") {
      job.region = as_string(k, v);
    } else if (key == "query") {
      job.query = as_string(k, v);
    } else if (key == "query_file") {
      job.query_file = as_string(k, v);
    } else if (key == "table") {
      table = as_string(k, v);
    } else if (key == "to") {
      u.destination = as_string(k, v);
    } else if (key == "source") {
      job.source = as_string(k, v);
    } else if (key == "secret_id") {
      job.secret_id = as_string(k, v);
    } else if (key == "secret_role_arn") {
      job.secret_role_arn = as_string(k, v);
    } else if (key == "external_id") {
      job.external_id = as_string(k, v);
    } else if (key == "role_session_name") {
      job.role_session_name = as_string(k, v);
    } else if (key == "database") {
      job.database = as_string(k, v);
    } else if (key == "iam_role") {
      auto roles = as_list(k, v);
      if (roles.size() == 1 && lower(roles[0]) == "default") {
        u.authorization = unload::IamRoleDefault{};
      } else if (!roles.empty()) {
        for (const auto& r : roles) {
          if (lower(r) == "default") {
            bad(key, "'default' cannot be part of a role chain",
                "give iam_role = 'default' alone, or a chain of role ARNs");
          }
        }
        u.authorization = unload::IamRoleChain{roles};
      }
    } else if (key == "mode") {
      job.mode = choice(k, lower(trim(as_string(k, v))), kModeWords);
    } else if (key == "write_role_arn") {
      job.write_role_arn = as_string(k, v);
    } else if (key == "format") {
      u.format = choice(k, lower(trim(as_string(k, v))), unload::kFormatWords);
    } else if (key == "delimiter") {
      u.delimiter = as_string(k, v);
    } else if (key == "fixedwidth") {
      u.fixedwidth = unload::parse_fixedwidth(as_string(k, v));
    } else if (key == "null_as") {
      u.null_as = as_string(k, v);
    } else if (key == "header") {
      u.header = as_bool(k, v);
    } else if (key == "escape") {
      u.escape = as_bool(k, v);
    } else if (key == "addquotes") {
      u.addquotes = as_bool(k, v);
    } else if (key == "compression") {
      u.compression = choice(k, lower(trim(as_string(k, v))), unload::kCompressionWords);
    } else if (key == "parallel") {
      u.parallel = as_bool(k, v);
    } else if (key == "max_file_size") {
      u.max_file_size = as_size(k, v);
    } else if (key == "row_group_size") {
      u.row_group_size = as_size(k, v);
    } else if (key == "partition_by") {
      auto cols = as_list(k, v);
      if (cols.empty()) {
        u.partition_by.reset();
      } else {
        u.partition_by = unload::PartitionBy{cols, false};
      }
    } else if (key == "partition_include") {
      partition_include = as_bool(k, v);
    } else if (key == "mask") {
      job.mask.clear();
      for (const auto& [col, rule] : as_map(k, v)) {
        if (job.mask.contains(col)) {
          bad(key, fmt::format("column '{}' is masked twice", col));
        }
        job.mask[col] = unload::parse_mask_rule(rule, "mask." + col);
      }
    } else if (key == "mask_policy") {
      job.mask_policy = as_string(k, v);
      if (job.mask_policy->empty()) {
        bad(key, "mask_policy is empty", "give the path of a mask policy file");
      }
    } else if (key == "mask_salt") {
      job.mask_salt = as_string(k, v);
      unload::check_mask_salt(*job.mask_salt);  // first: a bad salt is not a secret to keep
      register_secret(*job.mask_salt);
    } else if (key == "pii") {
      job.pii.policy = choice(k, lower(trim(as_string(k, v))), unload::kPiiPolicyWords);
    } else if (key == "allow_pii") {
      auto cols = as_list(k, v);
      job.pii.allow = std::set<std::string>(cols.begin(), cols.end());
    } else if (key == "pii_sample_rows") {
      auto n = as_int(k, v);
      if (n < 1 || n > 100'000'000) {
        bad(key, fmt::format("pii_sample_rows {} is out of range 1..100000000", n));
      }
      job.pii.sample_rows = static_cast<std::uint64_t>(n);
    } else if (key == "pii_threshold") {
      std::string text = std::holds_alternative<std::int64_t>(v)
                             ? std::to_string(std::get<std::int64_t>(v))
                             : as_string(k, v);
      auto share = unload::parse_pii_threshold(text);
      if (!share) {
        bad(key, fmt::format("'{}' is not a share of values", text),
            "a percentage above 0 and at most 100, e.g. \"5%\" or \"0.5%\"");
      }
      job.pii.threshold = *share;
    } else if (key == "manifest") {
      // The manifest's words, and the booleans a TOML file may give for it.
      static constexpr Keyword<unload::Manifest> kManifests[] = {
          {unload::Manifest::kNone, "none"},
          {unload::Manifest::kNone, "false"},
          {unload::Manifest::kPlain, "plain"},
          {unload::Manifest::kPlain, "true"},
          {unload::Manifest::kVerbose, "verbose"}};
      u.manifest = choice(k, as_word(k, v), kManifests);
    } else if (key == "encrypted") {
      static constexpr Keyword<unload::Encryption> kEncryptions[] = {
          {unload::Encryption::kNone, "false"},
          {unload::Encryption::kOn, "true"},
          {unload::Encryption::kAuto, "auto"}};
      u.encrypted = choice(k, as_word(k, v), kEncryptions);
    } else if (key == "kms_key_id") {
      u.kms_key_id = as_string(k, v);
    } else if (key == "allow_overwrite") {
      u.allow_overwrite = as_bool(k, v);
    } else if (key == "clean_path") {
      u.clean_path = as_bool(k, v);
    } else if (key == "bucket_region") {
      u.region = as_string(k, v);
    } else if (key == "extension") {
      u.extension = as_string(k, v);
    } else if (key == "sslmode") {
      job.sslmode = as_string(k, v);
    } else if (key == "connect_timeout") {
      auto t = as_int(k, v);
      if (t <= 0 || t > 3600) {
        bad(key, fmt::format("connect_timeout {} is out of range 1..3600", t));
      }
      job.connect_timeout = static_cast<int>(t);
    } else if (key == "report") {
      job.report = as_string(k, v);
    } else if (key == "dry_run") {
      job.dry_run = as_bool(k, v);
    } else if (key == "progress") {
      job.progress.mode = choice(k, lower(trim(as_string(k, v))), kProgressWords);
    } else if (key == "progress_interval") {
      job.progress.interval = progress_interval(k, v);
    } else if (key == "via") {
      job.via = choice(k, lower(trim(as_string(k, v))), kViaWords);
    } else if (key == "cluster_id") {
      job.cluster_id = as_string(k, v);
    } else if (key == "workgroup") {
      job.workgroup = as_string(k, v);
    } else if (key == "db_user") {
      job.db_user = as_string(k, v);
    } else if (key == "wait") {
      job.wait = as_bool(k, v);
    } else if (key == "empty_result") {
      static constexpr Keyword<std::string_view> kEmptyResults[] = {{"none", "none"},
                                                                    {"schema", "schema"}};
      job.empty_result = choice(k, lower(trim(as_string(k, v))), kEmptyResults);
    } else if (key == "action") {
      static constexpr Keyword<Action> kActions[] = {
          {Action::kRun, "run"}, {Action::kSubmit, "submit"}, {Action::kCheck, "check"}};
      job.action = choice(k, lower(trim(as_string(k, v))), kActions);
    } else if (key == "statement_id") {
      job.statement_id = trim(as_string(k, v));
    } else if (key == "catalog_database") {
      catalog_database = as_string(k, v);
    } else if (key == "catalog_table") {
      catalog_table = as_string(k, v);
    } else if (key == "catalog_partitions") {
      catalog_partitions = choice(k, lower(trim(as_string(k, v))), kCatalogPartitionWords);
    } else if (key == "print_ddl") {
      job.print_ddl = as_bool(k, v);
    } else if (key == "incremental_column") {
      incremental_column = check_incremental_column(as_string(k, v));
    } else if (key == "state") {
      state = as_string(k, v);
      check_state_location(*state);
    } else if (key == "incremental_start") {
      incremental_start = trim(as_string(k, v));
    }
  }

  // The catalog: both names or neither.
  if (catalog_database || catalog_table) {
    if (!catalog_database || !catalog_table) {
      bad(catalog_database ? "catalog_table" : "catalog_database",
          "catalog registration needs both catalog_database and catalog_table");
    }
    check_catalog_name("catalog_database", *catalog_database);
    check_catalog_name("catalog_table", *catalog_table);
    job.catalog = CatalogConfig{*catalog_database, *catalog_table,
                                catalog_partitions.value_or(CatalogPartitions::kRegister)};
    if (job.via == Via::kDataApi) {
      bad("catalog_database", "catalog registration is not available with via = \"data-api\"",
          "register the table after the run with --print-ddl's DDL, or use via = "
          "\"connection\"");
    }
  } else if (catalog_partitions) {
    bad("catalog_partitions", "catalog_partitions needs catalog_database and catalog_table");
  }
  if (job.print_ddl && !job.catalog) {
    bad("print_ddl", "print_ddl needs catalog_database and catalog_table (the table it prints)");
  }
  check_incremental(job, incremental_column, state, incremental_start);

  if (partition_include) {
    if (!u.partition_by) {
      bad("partition_include", "partition_include needs partition_by");
    }
    u.partition_by->include = *partition_include;
  }

  // Where from.
  if (job.source && job.secret_id) {
    bad("source secret_id", "give either source (a conninfo) or secret_id, not both");
  }
  if (!job.source && !job.secret_id && job.via == Via::kConnection) {
    bad("source", "no source database: give source (a conninfo) or secret_id");
  }
  check_data_api(job);
  if (job.source) {
    if (trim(*job.source).empty()) {
      bad("source", "source is empty");
    }
    pg::register_conninfo_secrets(*job.source);
  }
  if (job.secret_role_arn && !job.secret_id && job.via == Via::kConnection) {
    bad("secret_role_arn", "secret_role_arn needs secret_id");
  }
  if (job.external_id && !job.secret_role_arn) {
    bad("external_id", "external_id needs secret_role_arn (it is given when assuming that role)");
  }
  if (job.secret_role_arn) {
    check_role_arn("secret_role_arn", *job.secret_role_arn);
  }
  if (job.write_role_arn) {
    check_role_arn("write_role_arn", *job.write_role_arn);
  }
  static const std::regex session_re(R"([\w+=,.@-]{2,64})");
  if (!std::regex_match(job.role_session_name, session_re)) {
    bad("role_session_name",
        fmt::format("'{}' is not a valid role session name", job.role_session_name),
        "2 to 64 characters: letters, digits and + = , . @ _ -");
  }
  if (job.sslmode) {
    static const char* kModes[] = {"disable", "allow",     "prefer",
                                   "require", "verify-ca", "verify-full"};
    if (std::find(std::begin(kModes), std::end(kModes), *job.sslmode) == std::end(kModes)) {
      bad("sslmode", fmt::format("'{}' is not a libpq sslmode", *job.sslmode),
          "disable | allow | prefer | require | verify-ca | verify-full");
    }
  }

  // What.
  if (table) {
    if (job.query || job.query_file) {
      bad("table", "give either table or query/query_file, not both");
    }
    job.query = "select * from " + table_reference(*table);
  }
  if (job.query && job.query_file) {
    bad("query query_file", "give either query or query_file, not both");
  }
  if (!job.query && !job.query_file) {
    bad("query", "no query: give query or query_file");
  }
  if (job.query) {
    u.select = normalize_query(*job.query);
  }
  if (job.query_file && job.query_file->empty()) {
    bad("query_file", "query_file is empty");
  }

  // Where to.
  if (u.destination.empty()) {
    bad("to", "no destination: give to = s3://bucket/prefix or a path");
  }

  // The UNLOAD's own rules, once, in unload::validate (a placeholder query if it is still
  // in its file; the real one is checked again when read).
  unload::UnloadSpec probe = u;
  if (probe.select.empty()) {
    probe.select = "select 1";
  }
  unload::validate(
      probe, {.for_redshift = job.mode == Mode::kServer, .query_dialect = query_dialect(job.mode)});
  return job;
}

std::string normalize_query(std::string_view text) {
  std::string q(trim(text));
  if (!q.empty() && q.back() == ';') {
    q.pop_back();
    q = std::string(trim(q));
  }
  return q;
}

void load_query(JobConfig& job) {
  if (!job.query_file || job.query) {
    return;
  }
  std::string text = read_text_file(*job.query_file, "query_file");
  check_no_nul(*job.query_file, text);
  job.unload.select = normalize_query(text);
  if (job.unload.select.empty()) {
    bad(*job.query_file, "the query file is empty");
  }
  unload::validate(job.unload, {.for_redshift = job.mode == Mode::kServer,
                                .query_dialect = query_dialect(job.mode)});
}

unload::MaskPolicy parse_mask_policy(std::string_view text, std::string_view origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    bad(fmt::format("{}:{}:{}", origin, at.line, at.column),
        "invalid TOML: " + toml_syntax_error(e.description()));
  }
  const auto policy_hint = "each [[rule]] holds columns = [\"pattern\", …] and mask = \"rule\"";
  for (auto&& [k, node] : table) {
    if (k.str() != "rule" || !node.is_array_of_tables()) {
      bad(origin, fmt::format("'{}' is not a key of a mask policy", k.str()), policy_hint);
    }
  }
  const toml::array* rules = table["rule"].as_array();
  if (rules == nullptr || rules->empty()) {
    bad(origin, "the mask policy has no [[rule]]", policy_hint);
  }
  unload::MaskPolicy out;
  size_t index = 0;
  for (auto&& node : *rules) {
    ++index;
    const toml::table& rule = *node.as_table();
    const std::string where = fmt::format("{} rule {}", origin, index);
    for (auto&& [k, v] : rule) {
      if (k.str() != "columns" && k.str() != "mask") {
        bad(where, fmt::format("'{}' is not a key of a [[rule]]", k.str()), policy_hint);
      }
    }
    const auto* mask = rule["mask"].as_string();
    if (mask == nullptr) {
      bad(where, "the rule has no mask = \"…\" (a string)", policy_hint);
    }
    unload::MaskRule parsed = unload::parse_mask_rule(mask->get(), where);
    std::vector<std::string> patterns;
    if (const auto* one = rule["columns"].as_string()) {
      patterns.push_back(one->get());
    } else if (const auto* list = rule["columns"].as_array()) {
      for (auto&& item : *list) {
        const auto* str = item.as_string();
        if (str == nullptr) {
          bad(where, "columns must hold strings (column-name patterns)", policy_hint);
        }
        patterns.push_back(str->get());
      }
    }
    if (patterns.empty()) {
      bad(where, "the rule has no columns = [\"pattern\", …]", policy_hint);
    }
    for (auto& pattern : patterns) {
      if (pattern.empty()) {
        bad(where, "a column pattern is empty", "use * to match every column");
      }
      out.push_back({std::move(pattern), parsed});
    }
  }
  return out;
}

void load_mask_policy(JobConfig& job) {
  if (!job.mask_policy) {
    return;
  }
  std::string text = read_text_file(*job.mask_policy, "mask_policy");
  check_no_nul(*job.mask_policy, text);
  job.mask_policy_rules = parse_mask_policy(text, *job.mask_policy);
}

bool masks_columns(const JobConfig& job) {
  return !job.mask.empty() || !job.mask_policy_rules.empty();
}

std::string mask_detail(const JobConfig& job) {
  std::string out = fmt::format("{} columns", job.mask.size());
  if (job.mask_policy) {
    out += fmt::format(", mask_policy {} ({} patterns)", *job.mask_policy,
                       job.mask_policy_rules.size());
  }
  return out;
}

std::string read_text_file(const std::string& path, std::string_view key) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    bad(path, fmt::format("cannot read the {} file: {}", key, std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    bad(path, fmt::format("cannot read the {} file: {}", key, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    bad(path, fmt::format("the {} file is a directory", key), "give the path of a file");
  }
  if (!S_ISREG(st.st_mode)) {
    bad(path, fmt::format("the {} file is not a regular file (a device, FIFO or socket)", key),
        "give the path of a file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxTextFile) {
    bad(path, fmt::format("the {} file is larger than {} bytes", key, kMaxTextFile));
  }
  // Read at most one byte past the limit: a file growing while it is read is caught too.
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      bad(path, fmt::format("cannot read the {} file: {}", key, std::strerror(errno)));
    }
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxTextFile) {
      bad(path, fmt::format("the {} file is larger than {} bytes", key, kMaxTextFile));
    }
  }
}

}  // namespace cu::job
