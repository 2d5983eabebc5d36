#pragma once
// validate(spec): Redshift's rules for one UNLOAD, stated once (spec §1.2–1.5, §3). The job
// calls it before sending render(spec) to Redshift or running the query itself, and the
// gateway calls it on what parse() read, so both reject exactly what Redshift rejects.
//
//   cu::unload::validate(spec);                          // for a real Redshift
//   cu::unload::validate(spec, {.for_redshift = false});  // client mode: path prefix allowed,
//                                                         // no IAM_ROLE needed
//
// A broken rule throws cu::Error(kUsage, "validate UNLOAD", "<option names>", message),
// Redshift's wording where the spec quotes one. validate_columns() adds the rules that need
// the query's result columns (PARTITION BY keys, types a format cannot hold).

#include <string>
#include <string_view>
#include <vector>

#include "unload/query_check.h"
#include "unload/unload_spec.h"

namespace cu::unload {

struct ValidateOptions {
  // Redshift itself will run the statement: it needs an authorization and an s3:// target.
  bool for_redshift = true;
  // How the query is read (query_check.h): Redshift SQL unless the engine runs it on
  // PostgreSQL as it is (client mode); nullopt while a job does not know yet.
  QueryDialect query_dialect = sql::Dialect::kRedshift;
};

void validate(const UnloadSpec& spec, const ValidateOptions& options = {});

// MAXFILESIZE bounds: 5 MB .. 6.2 GB (1 MB = 2^20 bytes; 6.2 GB rounded down to a byte).
inline constexpr std::uint64_t kMinMaxFileSize = 5ull << 20;
inline constexpr std::uint64_t kMaxMaxFileSize = 6657199308ull;
// ROWGROUPSIZE bounds: 32 MB .. 128 MB.
inline constexpr std::uint64_t kMinRowGroupSize = 32ull << 20;
inline constexpr std::uint64_t kMaxRowGroupSize = 128ull << 20;
inline constexpr size_t kMaxRoleChain = 10;

// One column of the query's result: its name and its type as the database names it
// (`integer`, `character varying(20)`, `time without time zone`, `varbyte`, …).
struct ResultColumn {
  std::string name;
  std::string type;
};

// The rules that need the result's columns: PARTITION BY columns exist, are of a key type
// and leave at least one other column; JSON keys are unique; FIXEDWIDTH names existing
// columns; TIME/VARBYTE/GEOMETRY/HLLSKETCH columns only in text and CSV.
void validate_columns(const UnloadSpec& spec, const std::vector<ResultColumn>& columns);

// The PARTITION BY part of validate_columns (also what client mode checks: there the
// engine writes Parquet/JSON of types Redshift lacks, but partition keys follow Redshift).
void validate_partition_columns(const UnloadSpec& spec, const std::vector<ResultColumn>& columns);

}  // namespace cu::unload
