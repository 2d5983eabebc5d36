#include "job/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/error.h"
#include "base/strings.h"
#include "engine/copy_binary_decoder.h"
#include "pg/types.h"
#include "unload/naming.h"

namespace cu::job {

using nlohmann::json;

namespace {

constexpr const char* kStep = "configure";

constexpr const char* kLazySimple = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
constexpr const char* kOpenCsv = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
constexpr const char* kOpenxJson = "org.openx.data.jsonserde.JsonSerDe";
constexpr const char* kParquetSerde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
constexpr const char* kTextInput = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutput = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr const char* kParquetInput =
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
constexpr const char* kParquetOutput =
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
// OpenCSVSerde's escape character. Our CSV escapes nothing (an embedded quote is doubled,
// which OpenCSV reads as one quote), but OpenCSVSerde always has one, and with a backslash
// it would drop or merge the backslashes the values hold. Glue refuses NUL (OpenCSV's "no
// escape"), so it is DEL, a byte text columns practically never hold (docs/catalog.md).
constexpr const char* kCsvEscape = "\x7f";

[[noreturn]] void refuse(std::string_view resource, const std::string& message,
                         const std::string& hint) {
  throw Error(ErrorKind::kUsage, kStep, std::string(resource), message).with_hint(hint);
}

std::string compression_word(unload::Compression c) {
  switch (c) {
    case unload::Compression::kNone:
      return "none";
    case unload::Compression::kGzip:
      return "gzip";
    case unload::Compression::kBzip2:
      return "bzip2";
    case unload::Compression::kZstd:
      return "zstd";
  }
  return "none";
}

// Hive's string literal: backslash escapes, control bytes as octal.
std::string hive_literal(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == '\'' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\{:03o}", c);
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string quoted_name(std::string_view name) {
  std::string out = "`";
  for (char ch : name) {
    out += ch;
    if (ch == '`') {
      out += '`';
    }
  }
  return out + "`";
}

bool is_key(const unload::UnloadSpec& spec, const std::string& name) {
  if (!spec.partition_by) {
    return false;
  }
  const auto& keys = spec.partition_by->columns;
  return std::find(keys.begin(), keys.end(), name) != keys.end();
}

// The projection values a table already has for `key` (comma-separated), to keep them.
std::vector<std::string> projected_values(const json& existing, const std::string& key) {
  std::vector<std::string> out;
  if (!existing.is_object()) {
    return out;
  }
  json params = existing.value("Parameters", json::object());
  std::string text = params.value("projection." + key + ".values", std::string());
  for (std::string_view v : split(text, ',')) {
    if (!v.empty()) {
      out.emplace_back(v);
    }
  }
  return out;
}

json storage_descriptor(const TableDefinition& t, const std::string& location) {
  json columns = json::array();
  for (const CatalogColumn& c : t.columns) {
    columns.push_back({{"Name", c.name}, {"Type", c.type}});
  }
  json serde_params = json::object();
  for (const auto& [k, v] : t.serde_parameters) {
    serde_params[k] = v;
  }
  auto compressed = t.table_parameters.find("compressionType");
  return {{"Columns", columns},
          {"Location", location},
          {"InputFormat", t.input_format},
          {"OutputFormat", t.output_format},
          {"Compressed", compressed != t.table_parameters.end() && compressed->second != "none"},
          {"NumberOfBuckets", -1},
          {"SerdeInfo", {{"SerializationLibrary", t.serde}, {"Parameters", serde_params}}}};
}

}  // namespace

void check_catalog_name(std::string_view key, const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
  if (!ok) {
    refuse(key, fmt::format("'{}' is not a Glue/Athena name", name),
           "1 to 255 lower-case letters, digits and underscores (Athena folds upper case, so "
           "it is refused here rather than changed)");
  }
}

std::string athena_type(const pg::Column& column, unload::Format format) {
  const bool typed = format == unload::Format::kJson || format == unload::Format::kParquet;
  if (format == unload::Format::kCsv) {
    // OpenCSVSerde reads every field as text; it converts to a few types only, and fails
    // the query on an empty (NULL) field in a numeric column (docs/catalog.md).
    return "string";
  }
  const int mod = column.type_modifier - 4;  // VARHDRSZ
  switch (column.type_oid) {
    case pg::oid::kInt2:
      return "smallint";
    case pg::oid::kInt4:
      return "int";
    case pg::oid::kInt8:
    case pg::oid::kOid:
      return "bigint";
    case pg::oid::kFloat4:
      return "float";
    case pg::oid::kFloat8:
      return "double";
    case pg::oid::kNumeric: {
      // The binary reader's own rule (Parquet DECIMAL, JSON numbers): numeric(p,s) with
      // 1 <= p <= 38; any other numeric is exact text.
      format::ColumnType t;
      engine::describe_column({column.name, column.type_oid, column.type_modifier}, &t);
      if (t.kind == format::ValueKind::kDecimal) {
        return fmt::format("decimal({},{})", t.precision, t.scale);
      }
      return "string";
    }
    case pg::oid::kBool:
      // Text writes t/f, which Hive's boolean does not read.
      return typed ? "boolean" : "string";
    case pg::oid::kVarchar:
      return mod >= 1 && mod <= 65535 ? fmt::format("varchar({})", mod) : "string";
    case pg::oid::kBpchar:
      return mod >= 1 && mod <= 255 ? fmt::format("char({})", mod) : "string";
    case pg::oid::kDate:
      return "date";
    case pg::oid::kTimestamp:
      return "timestamp";
    case pg::oid::kTimestamptz:
      // Parquet: UTC-adjusted microseconds. Text and JSON: "… 00:00:00+00", which Hive's
      // timestamp does not read.
      return format == unload::Format::kParquet ? "timestamp" : "string";
    case pg::oid::kBytea:
    case pg::oid::kUuid:
      // Parquet: raw bytes (UUID: 16 of them). Text and JSON: hex text.
      return format == unload::Format::kParquet ? "binary" : "string";
    default:
      // text, name, "char", json, jsonb, time, timetz, interval, arrays, other types: their
      // text.
      return "string";
  }
}

TableDefinition define_table(const CatalogConfig& catalog, const unload::UnloadSpec& spec,
                             const std::vector<pg::Column>& columns) {
  TableDefinition t;
  t.database = catalog.database;
  t.table = catalog.table;
  t.format = spec.format;
  t.partitions = catalog.partitions;
  const bool partitioned = spec.partition_by.has_value();

  unload::Destination d = unload::parse_destination(spec.destination);
  if (!d.s3) {
    refuse("to", "catalog registration needs an s3:// destination (Athena reads S3)",
           "unload to s3://bucket/folder/, or drop catalog_database and catalog_table");
  }
  std::string folder = d.prefix;
  if (partitioned && !folder.empty() && folder.back() != '/') {
    folder += '/';  // PARTITION BY writes under prefix/col=value/
  }
  if (!folder.empty() && folder.back() != '/') {
    refuse("to",
           fmt::format("the prefix s3://{}/{} is not a folder: a table's location is a "
                       "folder, and every object under it is read as the table's data",
                       d.bucket, d.prefix),
           fmt::format("end the prefix with / (s3://{}/{}/) so that the folder holds this "
                       "output only",
                       d.bucket, d.prefix));
  }
  t.location = fmt::format("s3://{}/{}", d.bucket, folder);
  if (spec.fixedwidth) {
    refuse("fixedwidth", "Athena has no SerDe for FIXEDWIDTH files",
           "unload as text, CSV, JSON or Parquet to register a table");
  }
  if (spec.addquotes) {
    refuse("addquotes",
           "ADDQUOTES files cannot be declared exactly: Hive's text SerDe keeps the quotes and "
           "OpenCSVSerde reads embedded quotes differently",
           "use format = \"csv\" (quoted where needed) or drop addquotes");
  }
  if (spec.manifest != unload::Manifest::kNone && !partitioned) {
    refuse("manifest",
           "the manifest would lie in the table's folder, where Athena reads it as data",
           "drop manifest, or partition the output (the manifest then sits beside the "
           "partition folders, which Athena does not read)");
  }
  if (spec.compression != unload::Compression::kNone && spec.extension) {
    unload::ObjectNaming naming = unload::ObjectNaming::of(spec);
    std::string got = unload::file_suffix(naming);
    naming.extension.reset();
    std::string want = unload::file_suffix(naming);
    if (!got.ends_with(want)) {
      refuse("extension",
             fmt::format("Athena recognises {} files by their name ending in {}; extension "
                         "'{}' hides it",
                         compression_word(spec.compression), want, *spec.extension),
             fmt::format("drop extension, or end it in {}", want));
    }
  }
  if (partitioned && spec.partition_by->include &&
      (spec.format == unload::Format::kText || spec.format == unload::Format::kCsv)) {
    refuse("partition_include",
           "with partition_include the key columns are in the files too; Hive reads text and "
           "CSV columns by position and a column cannot be both a data column and a partition "
           "key",
           "drop partition_include, or use JSON or Parquet (read by name: the copy in the "
           "files is ignored)");
  }

  std::set<std::string> names;
  for (const pg::Column& c : columns) {
    std::string name = lower(c.name);
    if (!names.insert(name).second) {
      refuse("query",
             fmt::format("two result columns are named '{}' once lower-cased; Athena's column "
                         "names are lower case",
                         name),
             "rename one with AS in the query");
    }
    if (is_key(spec, c.name)) {
      continue;
    }
    t.columns.push_back({name, athena_type(c, spec.format)});
  }
  if (partitioned) {
    for (const std::string& key : spec.partition_by->columns) {
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const pg::Column& c) { return c.name == key; });
      if (it == columns.end()) {
        refuse("partition_by", fmt::format("the query has no column '{}'", key),
               "name result columns in partition_by");
      }
      // Folder names hold PostgreSQL's text of the value, booleans as true/false.
      std::string type = it->type_oid == pg::oid::kBool ? std::string("boolean")
                                                        : athena_type(*it, unload::Format::kText);
      t.partition_keys.push_back({lower(key), type});
    }
  }

  char delimiter = spec.format == unload::Format::kCsv ? ',' : '|';
  std::string delim = spec.delimiter.value_or(std::string(1, delimiter));
  switch (spec.format) {
    case unload::Format::kText:
      t.serde = kLazySimple;
      t.input_format = kTextInput;
      t.output_format = kTextOutput;
      t.serde_parameters = {{"field.delim", delim},
                            {"serialization.format", delim},
                            {"serialization.null.format", spec.null_as.value_or("")}};
      if (spec.escape) {
        t.serde_parameters["escape.delim"] = "\\";
      }
      t.table_parameters["classification"] = "csv";
      break;
    case unload::Format::kCsv:
      t.serde = kOpenCsv;
      t.input_format = kTextInput;
      t.output_format = kTextOutput;
      t.serde_parameters = {
          {"separatorChar", delim}, {"quoteChar", "\""}, {"escapeChar", kCsvEscape}};
      t.table_parameters["classification"] = "csv";
      break;
    case unload::Format::kJson: {
      t.serde = kOpenxJson;
      t.input_format = kTextInput;
      t.output_format = kTextOutput;
      std::string paths;
      for (const CatalogColumn& c : t.columns) {
        paths += (paths.empty() ? "" : ",") + c.name;
      }
      t.serde_parameters = {{"paths", paths}};
      t.table_parameters["classification"] = "json";
      break;
    }
    case unload::Format::kParquet:
      t.serde = kParquetSerde;
      t.input_format = kParquetInput;
      t.output_format = kParquetOutput;
      t.serde_parameters = {{"serialization.format", "1"}};
      t.table_parameters["classification"] = "parquet";
      t.table_parameters["parquet.compression"] = "SNAPPY";
      break;
  }
  if (spec.format != unload::Format::kParquet) {
    t.table_parameters["compressionType"] = compression_word(spec.compression);
  }
  if (spec.header &&
      (spec.format == unload::Format::kText || spec.format == unload::Format::kCsv)) {
    t.table_parameters["skip.header.line.count"] = "1";
  }
  t.table_parameters["EXTERNAL"] = "TRUE";
  if (partitioned && t.partitions == CatalogPartitions::kProjection) {
    t.table_parameters["projection.enabled"] = "true";
    std::string tmpl = t.location;
    for (const CatalogColumn& k : t.partition_keys) {
      t.table_parameters["projection." + k.name + ".type"] = "enum";
      tmpl += k.name + "=${" + k.name + "}/";
    }
    t.table_parameters["storage.location.template"] = tmpl;
  }
  return t;
}

json table_input(const TableDefinition& t, const json& existing,
                 const std::vector<std::vector<std::string>>& partitions) {
  json params = json::object();
  for (const auto& [k, v] : t.table_parameters) {
    params[k] = v;
  }
  if (t.partitions == CatalogPartitions::kProjection) {
    for (size_t i = 0; i < t.partition_keys.size(); ++i) {
      const std::string& key = t.partition_keys[i].name;
      std::vector<std::string> values = projected_values(existing, key);
      for (const auto& p : partitions) {
        const std::string& v = p.at(i);
        if (v.find(',') != std::string::npos) {
          refuse("catalog_partitions",
                 fmt::format("the partition value of {} holds a comma, which an enum "
                             "projection cannot list",
                             key),
                 "use catalog_partitions = \"register\"");
        }
        if (std::find(values.begin(), values.end(), v) == values.end()) {
          values.push_back(v);
        }
      }
      std::string text;
      for (const std::string& v : values) {
        text += (text.empty() ? "" : ",") + v;
      }
      if (!text.empty()) {
        params["projection." + key + ".values"] = text;
      }
    }
  }
  json keys = json::array();
  for (const CatalogColumn& k : t.partition_keys) {
    keys.push_back({{"Name", k.name}, {"Type", k.type}});
  }
  return {{"Name", t.table},
          {"TableType", "EXTERNAL_TABLE"},
          {"Parameters", params},
          {"PartitionKeys", keys},
          {"StorageDescriptor", storage_descriptor(t, t.location)}};
}

std::vector<WrittenPartition> written_partitions(const TableDefinition& t,
                                                 const std::vector<std::string>& file_urls) {
  std::vector<WrittenPartition> out;
  std::set<std::string> seen;
  for (const std::string& url : file_urls) {
    if (!url.starts_with(t.location)) {
      throw Error(ErrorKind::kOther, "register catalog", url,
                  "a file of the run lies outside the table's location " + t.location);
    }
    std::string_view rest = std::string_view(url).substr(t.location.size());
    WrittenPartition p;
    p.location = t.location;
    for (const CatalogColumn& k : t.partition_keys) {
      size_t slash = rest.find('/');
      std::string_view segment = rest.substr(0, slash);
      size_t eq = segment.find('=');
      if (slash == std::string_view::npos || eq == std::string_view::npos ||
          lower(percent_decode(segment.substr(0, eq))) != k.name) {
        throw Error(ErrorKind::kOther, "register catalog", url,
                    "a file of the run is not in a folder " + k.name + "=…/ under " + t.location);
      }
      p.values.push_back(percent_decode(segment.substr(eq + 1)));
      p.location += std::string(segment) + "/";
      rest.remove_prefix(slash + 1);
    }
    if (seen.insert(p.location).second) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

json partition_input(const TableDefinition& t, const WrittenPartition& p) {
  return {{"Values", p.values}, {"StorageDescriptor", storage_descriptor(t, p.location)}};
}

std::string athena_ddl(const TableDefinition& t, const std::vector<WrittenPartition>& partitions) {
  std::string table = quoted_name(t.database) + "." + quoted_name(t.table);
  std::string out = "CREATE EXTERNAL TABLE IF NOT EXISTS " + table + " (\n";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    out += fmt::format("  {} {}{}\n", quoted_name(t.columns[i].name), t.columns[i].type,
                       i + 1 < t.columns.size() ? "," : "");
  }
  out += ")\n";
  if (!t.partition_keys.empty()) {
    out += "PARTITIONED BY (";
    for (size_t i = 0; i < t.partition_keys.size(); ++i) {
      out += fmt::format("{}{} {}", i ? ", " : "", quoted_name(t.partition_keys[i].name),
                         t.partition_keys[i].type);
    }
    out += ")\n";
  }
  out += "ROW FORMAT SERDE " + hive_literal(t.serde) + "\n";
  if (!t.serde_parameters.empty()) {
    out += "WITH SERDEPROPERTIES (\n";
    size_t i = 0;
    for (const auto& [k, v] : t.serde_parameters) {
      out += fmt::format("  {} = {}{}\n", hive_literal(k), hive_literal(v),
                         ++i < t.serde_parameters.size() ? "," : "");
    }
    out += ")\n";
  }
  out += "STORED AS INPUTFORMAT " + hive_literal(t.input_format) + "\n";
  out += "OUTPUTFORMAT " + hive_literal(t.output_format) + "\n";
  out += "LOCATION " + hive_literal(t.location) + "\n";
  out += "TBLPROPERTIES (\n";
  size_t i = 0;
  for (const auto& [k, v] : t.table_parameters) {
    if (k == "EXTERNAL") {  // CREATE EXTERNAL TABLE says it
      ++i;
      continue;
    }
    out += fmt::format("  {} = {}{}\n", hive_literal(k), hive_literal(v),
                       ++i < t.table_parameters.size() ? "," : "");
  }
  out += ");\n";
  if (t.partition_keys.empty()) {
    return out;
  }
  if (t.partitions == CatalogPartitions::kProjection) {
    out += fmt::format(
        "-- partition projection: set each key's 'projection.<key>.values' to the values "
        "written (a run with catalog_database/catalog_table keeps them up to date)\n");
    return out;
  }
  if (partitions.empty()) {
    out += "MSCK REPAIR TABLE " + table + ";\n";
    return out;
  }
  out += "ALTER TABLE " + table + " ADD IF NOT EXISTS\n";
  for (const WrittenPartition& p : partitions) {
    std::string spec;
    for (size_t k = 0; k < p.values.size(); ++k) {
      spec += fmt::format("{}{} = {}", k ? ", " : "", quoted_name(t.partition_keys[k].name),
                          hive_literal(p.values[k]));
    }
    out += fmt::format("  PARTITION ({}) LOCATION {}\n", spec, hive_literal(p.location));
  }
  out += ";\n";
  return out;
}

}  // namespace cu::job
