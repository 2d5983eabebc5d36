#pragma once
// The Glue/Athena table of an unload's output: which columns with which Athena types, which
// SerDe with which parameters, where, partitioned how — decided from the UNLOAD's options
// and the query's described columns, so that the declared schema is the files' schema
// (docs/catalog.md has the type table and every rule). Pure: the Glue calls are
// aws/glue.h's, the step that makes them is run_job's.
//
//   TableDefinition t = define_table(job.catalog, spec, conn.describe(spec.select));
//   glue.create_table(t.database, table_input(t));
//   std::cout << athena_ddl(t);

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "pg/connection.h"
#include "unload/unload_spec.h"

namespace cu::job {

// How the partitions of a PARTITION BY output become known to Athena: each written
// partition registered in Glue (BatchCreatePartition), or partition projection (table
// properties; no partition in Glue).
enum class CatalogPartitions { kRegister, kProjection };
inline constexpr Keyword<CatalogPartitions> kCatalogPartitionWords[] = {
    {CatalogPartitions::kRegister, "register"}, {CatalogPartitions::kProjection, "projection"}};

struct CatalogConfig {
  std::string database;
  std::string table;
  CatalogPartitions partitions = CatalogPartitions::kRegister;
};

// Glue and Athena names: 1 to 255 characters, lower-case letters, digits and underscores
// (upper case is refused rather than folded, so the name in the job is the table's name).
// Throws kUsage naming `key`.
void check_catalog_name(std::string_view key, const std::string& name);

struct CatalogColumn {
  std::string name;
  std::string type;  // Athena/Hive: "int", "decimal(8,2)", "string", …
};

struct TableDefinition {
  std::string database;
  std::string table;
  std::string location;  // s3://bucket/folder/ — the prefix's folder
  unload::Format format = unload::Format::kText;
  std::vector<CatalogColumn> columns;
  std::vector<CatalogColumn> partition_keys;
  CatalogPartitions partitions = CatalogPartitions::kRegister;
  std::string serde;
  std::string input_format;
  std::string output_format;
  std::map<std::string, std::string> serde_parameters;
  std::map<std::string, std::string> table_parameters;
};

// The Athena type of a described column in the files of `format` (the table in
// docs/catalog.md).
std::string athena_type(const pg::Column& column, unload::Format format);

// The table for `spec`'s output. Throws kUsage (exit 2) for an output Athena cannot read as
// written: a destination that is not s3://, a prefix that is not a folder (`…/sales_`
// without PARTITION BY), FIXEDWIDTH, ADDQUOTES, a MANIFEST inside the table's folder,
// compressed files without the codec's extension, PARTITION BY … INCLUDE with text or CSV,
// two columns whose names differ only in case.
TableDefinition define_table(const CatalogConfig& catalog, const unload::UnloadSpec& spec,
                             const std::vector<pg::Column>& columns);

// Glue's TableInput for the table; `existing` (GetTable's Table, or null) supplies the
// partition projection values of earlier runs, which are kept.
nlohmann::json table_input(const TableDefinition& t, const nlohmann::json& existing = nullptr,
                           const std::vector<std::vector<std::string>>& partitions = {});

// A partition of the output: its key values (as Glue takes them: the folder's text,
// unescaped; NULL is __HIVE_DEFAULT_PARTITION__) and its folder URL.
struct WrittenPartition {
  std::vector<std::string> values;
  std::string location;
  friend bool operator==(const WrittenPartition&, const WrittenPartition&) = default;
};

// The partitions the files of a run lie in (each once, in the files' order). Throws kOther
// for a file outside the table's location or not under one folder per key.
std::vector<WrittenPartition> written_partitions(const TableDefinition& t,
                                                 const std::vector<std::string>& file_urls);

// Glue's PartitionInput of one partition (the table's storage descriptor, its location).
nlohmann::json partition_input(const TableDefinition& t, const WrittenPartition& p);

// The equivalent Athena DDL: CREATE EXTERNAL TABLE …; then, for registered partitions,
// ALTER TABLE … ADD IF NOT EXISTS PARTITION … for each of `partitions`, or MSCK REPAIR
// TABLE when none is known yet (--print-ddl runs nothing).
std::string athena_ddl(const TableDefinition& t,
                       const std::vector<WrittenPartition>& partitions = {});

}  // namespace cu::job
