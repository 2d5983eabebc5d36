#include "engine/unload.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "engine/commit.h"
#include "engine/copy_reader.h"
#include "engine/encoding.h"
#include "engine/manifest.h"
#include "engine/partition_key.h"
#include "engine/router.h"
#include "pg/types.h"
#include "unload/naming.h"
#include "unload/validate.h"

namespace cu::engine {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr uint64_t kMB = 1ull << 20;

[[noreturn]] void unsupported(const std::string& what) {
  throw Error(ErrorKind::kUsage, "validate options", what,
              what + " is not supported by crossunload's engine");
}

unload::UnloadSpec checked(const unload::UnloadSpec& spec_in) {
  unload::UnloadSpec spec = spec_in;
  // The query runs on PostgreSQL as it is (the gateway has already rewritten Redshift's
  // literals): checked in PostgreSQL's reading.
  unload::validate(spec, {.for_redshift = false, .query_dialect = unload::sql::Dialect::kPostgres});
  if (spec.master_symmetric_key) {
    unsupported("MASTER_SYMMETRIC_KEY");
  }
  if (spec.format == unload::Format::kParquet && spec.compression != unload::Compression::kNone) {
    unsupported("GZIP/BZIP2/ZSTD with FORMAT PARQUET");
  }
  return spec;
}

unsigned worker_threads(const UnloadOptions& options) {
  return options.parallelism ? options.parallelism
                             : std::max(2u, std::thread::hardware_concurrency());
}

// The slices' router, or the partitions'; `slices` is set to the number of slices.
std::unique_ptr<Router> make_router(const unload::UnloadSpec& spec, const PartitionKeys& keys,
                                    RunFiles& files, const std::string& prefix,
                                    const UnloadOptions& options, unsigned& slices) {
  if (!keys.partitioned()) {
    slices = spec.is_parallel() ? worker_threads(options) : 1;
    return make_slice_router(files, prefix, {.slices = slices, .block_bytes = options.block_bytes});
  }
  slices = 1;
  // Partition files fill smaller blocks: many are open at once.
  const size_t block = std::min<size_t>(options.block_bytes, 256 << 10);
  unsigned max_open = options.max_open_partitions;
  if (max_open == 0) {
    uint64_t per =
        files.store().writer_memory() + block * 2 + (files.settings().parquet ? 40 * kMB : 0);
    max_open = static_cast<unsigned>(std::clamp<uint64_t>((192 * kMB) / per, 4, 256));
  }
  return make_partition_router(files, {.max_open = max_open,
                                       .block_bytes = block,
                                       .threads = worker_threads(options),
                                       .spool_dir = options.spool_dir,
                                       .spool_memory = options.spool_memory});
}

// The error of a run that failed before its commit, after aborting what it wrote.
Error failed_run(const std::exception& e, RunFiles& files, const std::string& prefix) {
  files.abort();
  const std::size_t stuck = files.store().abort_failures();
  std::string left = "nothing of this run was published (uploads aborted, temporary files removed)";
  if (stuck > 0) {
    left = files.store().url(prefix).starts_with("s3://")
               ? fmt::format(
                     "nothing of this run was published, but the clean-up failed: {} "
                     "multipart upload(s) could not be aborted and stay incomplete "
                     "(never visible as objects); `crossunload teardown` or the "
                     "bucket's lifecycle rule removes them",
                     stuck)
               : fmt::format(
                     "nothing of this run was published, but the clean-up failed: {} "
                     "hidden temporary file(s) (.crossunload-*) could not be removed",
                     stuck);
  }
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    Error copy = *err;
    return copy.with_hint(copy.hint().empty() ? left : copy.hint() + "; " + left);
  }
  return Error(ErrorKind::kOther, "unload", files.store().url(prefix),
               std::string(e.what()) + "; " + left);
}

// EMPTY_RESULT schema: the one file of a zero-row run (slice 0, part 0), holding only the
// header line (HEADER), nothing (text, CSV, JSON), or a Parquet file of no row group.
void write_schema_file(RunFiles& files, const std::string& prefix) {
  format::BlockCompressor comp(files.settings().naming.compression);
  FileStream s(files, prefix, 0, 0);
  s.touch(comp);
  s.finish();
}

// The manifest of `written`, sealed (published last by the commit); null without MANIFEST
// or without files.
std::unique_ptr<sink::ObjectWriter> sealed_manifest(const unload::UnloadSpec& spec,
                                                    const unload::Destination& dest,
                                                    const std::vector<pg::SourceColumn>& columns,
                                                    RunFiles& files,
                                                    const std::vector<UnloadedFile>& written,
                                                    std::string& url) {
  if (spec.manifest == unload::Manifest::kNone || written.empty()) {
    return nullptr;
  }
  std::string key = unload::manifest_name(dest.prefix, spec.partition_by.has_value());
  auto w = files.store().open(key, files.settings().write_options);
  w->write(
      manifest_json(written, columns, spec.manifest == unload::Manifest::kVerbose, spec.header));
  w->seal();
  url = files.store().url(key);
  return w;
}

// The scan of a run with the guard on.
std::unique_ptr<unload::PiiScan> make_pii_scan(const UnloadOptions& options,
                                               const std::vector<pg::SourceColumn>& columns) {
  if (!options.pii || options.pii->settings.policy == unload::PiiPolicy::kOff) {
    return nullptr;
  }
  return std::make_unique<unload::PiiScan>(pii_columns(columns, options.pii->masked),
                                           options.pii->settings);
}

}  // namespace

std::vector<unload::PiiColumn> pii_columns(const std::vector<pg::SourceColumn>& columns,
                                           const std::set<std::string>& masked) {
  std::vector<unload::PiiColumn> cols;
  for (const pg::SourceColumn& c : columns) {
    const pg::TypeInfo* t = pg::find_type(c.type_oid);
    bool text = t && t->category == pg::TypeCategory::kString;
    bool json = t && t->category == pg::TypeCategory::kJson;
    cols.push_back({c.name, (text || json) && !masked.contains(c.name), json});
  }
  return cols;
}

UnloadResult run_unload(const unload::UnloadSpec& spec_in, pg::CopySource& source,
                        sink::ObjectStore& store, const UnloadOptions& options) {
  auto start = Clock::now();
  const unload::UnloadSpec spec = checked(spec_in);
  const unload::Destination dest = sink::parse_destination(spec.destination);
  std::string prefix = dest.prefix;  // with PARTITION BY, a folder: P/col=value/…
  if (spec.partition_by && !prefix.empty() && prefix.back() != '/') {
    prefix += '/';
  }

  // Everything that can be refused is refused before anything is written.
  UnloadResult result;
  auto t = Clock::now();
  const std::vector<pg::SourceColumn> columns = source.describe(spec.select);
  result.describe_seconds = seconds_since(t);
  PartitionKeys keys(spec, columns, prefix);
  Encoding encoding = make_encoding(spec, columns, keys);
  check_destination(spec, dest, store, prefix);
  std::unique_ptr<unload::PiiScan> pii = make_pii_scan(options, columns);

  // COPY → encoded rows → routed blocks → files, sealed: nothing is visible yet.
  ProgressCounters* progress = options.progress;
  auto set_phase = [progress](ProgressCounters::Phase p) {
    if (progress) {
      progress->phase.store(p, std::memory_order_relaxed);
    }
  };
  RunFiles files(store, encoding.files, progress ? &progress->bytes : nullptr);
  set_phase(ProgressCounters::Phase::kRead);
  t = Clock::now();
  std::unique_ptr<sink::ObjectWriter> manifest;
  try {
    std::unique_ptr<Router> router = make_router(spec, keys, files, prefix, options, result.slices);
    read_copy(source, encoding, keys, prefix, *router, pii.get(),
              progress ? &progress->rows : nullptr);
    if (pii) {
      // The whole query was read; nothing is published yet.
      options.pii->findings = pii->findings(options.pii->masked);
      unload::refuse_if_flagged(options.pii->findings, spec.destination);
    }
    router->finish();
    router.reset();
    if (options.empty_result == EmptyResult::kSchema && files.files().empty()) {
      write_schema_file(files, prefix);
    }
    result.files = files.files();
    manifest = sealed_manifest(spec, dest, columns, files, result.files, result.manifest_url);
    // Every file stored (S3 uploads a sealed file's last part in the background): one that
    // could not be fails the run here, before anything is published.
    files.settle();
    if (manifest) {
      manifest->settle();
    }
    if (options.stop.stop_requested()) {
      throw Error(ErrorKind::kOther, "unload", spec.destination,
                  "stopped after the query was read, before anything was published");
    }
  } catch (const std::exception& e) {
    throw failed_run(e, files, prefix);
  }
  result.unload_seconds = seconds_since(t);
  for (const auto& f : result.files) {
    result.rows += f.rows;
    result.bytes += f.bytes;
  }

  // The commit: data files, then CLEANPATH's deletions, then the manifest.
  set_phase(ProgressCounters::Phase::kCommit);
  CommitResult c = commit_run(store, files.take_sealed(), std::move(manifest),
                              {.spec = spec, .dest = dest, .prefix = prefix});
  result.cleaned = std::move(c.cleaned);
  set_phase(ProgressCounters::Phase::kDone);
  result.total_seconds = seconds_since(start);
  cu::log::info("unloaded {} rows into {} object(s), {} bytes, in {:.3f} s", result.rows,
                result.files.size(), result.bytes, result.total_seconds);
  return result;
}

nlohmann::json to_json(const UnloadResult& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    files.push_back({{"url", f.url}, {"bytes", f.bytes}, {"rows", f.rows}});
  }
  auto ms = [](double sec) { return static_cast<int64_t>(std::llround(sec * 1000.0)); };
  nlohmann::json j = {{"files", files},
                      {"rows", r.rows},
                      {"bytes", r.bytes},
                      {"slices", r.slices},
                      {"timings_ms",
                       {{"describe", ms(r.describe_seconds)},
                        {"unload", ms(r.unload_seconds)},
                        {"total", ms(r.total_seconds)}}}};
  if (!r.manifest_url.empty()) {
    j["manifest"] = r.manifest_url;
  }
  return j;
}

}  // namespace cu::engine
