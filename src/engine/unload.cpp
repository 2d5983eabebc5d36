#include "engine/unload.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "engine/copy_reader.h"
#include "engine/encoding.h"
#include "engine/manifest.h"
#include "engine/partition_key.h"
#include "engine/router.h"
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
  unload::validate(spec, {.for_redshift = false});
  if (spec.master_symmetric_key) {
    unsupported("MASTER_SYMMETRIC_KEY");
  }
  if (spec.format == unload::Format::kParquet && spec.compression != unload::Compression::kNone) {
    unsupported("GZIP/BZIP2/ZSTD with FORMAT PARQUET");
  }
  return spec;
}

std::string not_empty_message(bool s3) {
  return s3 ? "Specified unload destination on S3 is not empty. Consider using a different "
              "bucket / prefix, manually removing the target files in S3, or using the "
              "ALLOWOVERWRITE option."
            : "Specified unload destination is not empty. Consider using a different prefix, "
              "manually removing the target files, or using the ALLOWOVERWRITE option.";
}

// Redshift's "not empty" rule, or CLEANPATH.
void check_destination(const unload::UnloadSpec& spec, const unload::Destination& dest,
                       sink::ObjectStore& store, const std::string& prefix) {
  std::vector<sink::StoredObject> existing = store.list(prefix);
  if (existing.empty()) {
    return;
  }
  if (spec.clean_path) {
    std::vector<std::string> keys;
    keys.reserve(existing.size());
    for (auto& o : existing) {
      keys.push_back(o.key);
    }
    store.remove(keys);
    cu::log::info("CLEANPATH: deleted {} object(s) under {}", keys.size(), store.url(prefix));
  } else if (!spec.allow_overwrite) {
    throw Error(ErrorKind::kDestination, "check destination", store.url(prefix),
                not_empty_message(dest.s3))
        .with_hint(fmt::format("{} object(s) exist under it, the first {}", existing.size(),
                               store.url(existing.front().key)));
  }
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

// The error of a failed run, after deleting what it committed, with what was cleaned up.
Error failed_run(const std::exception& e, sink::ObjectStore& store, const RunFiles& files,
                 const std::string& prefix) {
  std::vector<std::string> keys;
  for (const auto& f : files.files()) {
    keys.push_back(f.key);
  }
  std::string cleanup;
  try {
    store.remove(keys);
    cleanup = fmt::format(
        "cleaned up: {} object(s) of this run deleted, unfinished uploads "
        "aborted, no manifest written",
        keys.size());
  } catch (const std::exception& e2) {
    cleanup = fmt::format("cleanup FAILED, {} object(s) of this run may remain under {}: {}",
                          keys.size(), store.url(prefix), e2.what());
  }
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    Error copy = *err;
    std::string hint = copy.hint().empty() ? cleanup : copy.hint() + "; " + cleanup;
    return copy.with_hint(hint);
  }
  return Error(ErrorKind::kOther, "unload", store.url(prefix),
               std::string(e.what()) + "; " + cleanup);
}

// The manifest, last; when it cannot be written the run's data objects are deleted.
std::string write_manifest(const unload::UnloadSpec& spec, const unload::Destination& dest,
                           const std::vector<pg::SourceColumn>& columns, RunFiles& files,
                           const std::vector<UnloadedFile>& written) {
  sink::ObjectStore& store = files.store();
  std::string key = unload::manifest_name(dest.prefix, spec.partition_by.has_value());
  std::string body =
      manifest_json(written, columns, spec.manifest == unload::Manifest::kVerbose, spec.header);
  try {
    auto w = store.open(key, files.settings().write_options);
    w->write(body);
    w->commit();
  } catch (const Error& e) {
    std::vector<std::string> keys;
    keys.reserve(written.size());
    for (const auto& f : written) {
      keys.push_back(f.key);
    }
    try {
      store.remove(keys);
    } catch (...) {  // NOLINT(bugprone-empty-catch): reported below as the first error
    }
    Error copy = e;
    throw copy.with_hint(
        fmt::format("the manifest could not be written; the {} data "
                    "object(s) of this run were deleted",
                    keys.size()));
  }
  return store.url(key);
}

}  // namespace

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

  // COPY → encoded rows → routed blocks → files, then the manifest.
  RunFiles files(store, encoding.files);
  t = Clock::now();
  try {
    std::unique_ptr<Router> router = make_router(spec, keys, files, prefix, options, result.slices);
    read_copy(source, encoding, keys, prefix, *router);
    router->finish();
  } catch (const std::exception& e) {
    throw failed_run(e, store, files, prefix);
  }
  result.unload_seconds = seconds_since(t);

  result.files = files.files();
  for (const auto& f : result.files) {
    result.rows += f.rows;
    result.bytes += f.bytes;
  }
  if (spec.manifest != unload::Manifest::kNone) {
    result.manifest_url = write_manifest(spec, dest, columns, files, result.files);
  }
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
