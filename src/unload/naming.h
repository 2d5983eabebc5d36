#pragma once
// Where UNLOAD's objects go and what they are called (docs/redshift-unload.md#s4, #s6), as pure
// functions that the sinks (S3 and local folder), the gateway and the server-mode verifier all
// share, so every face writes and expects the same names.
//
//   auto d = parse_destination("s3://dev-exports/shop/items_");   // bucket + prefix P
//   object_name(d.prefix, 1, 0, ObjectNaming::of(spec))   -> "shop/items_0001_part_00.gz"
//   manifest_name(d.prefix, false)                        -> "shop/items_manifest"
//   partition_prefix("lineitem", {{"l_shipdate", "1992-01-02"}})
//                                                         -> "lineitem/l_shipdate=1992-01-02/"
//
// The choices for the spec's open questions 6, 7, 8 and 10 are documented in
// docs/unload-spec.md ("Naming").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "unload/unload_spec.h"

namespace cu::unload {

// TO split into what the sinks need. For s3://bucket/P: s3 = true, bucket, prefix = P
// (possibly empty). For a local path prefix: s3 = false, prefix = the path as given.
struct Destination {
  bool s3 = false;
  std::string bucket;
  std::string prefix;
  friend bool operator==(const Destination&, const Destination&) = default;
};

// Throws cu::Error(kUsage, "parse destination", to, …) for an empty TO, `s3://` without a
// bucket, another URL scheme, or a key prefix with an empty ("//", a leading "/"), "." or
// ".." segment (the one check of S3 keys; unload::validate calls it too).
Destination parse_destination(std::string_view to);

// "s3://bucket/<key>" for S3, the key itself (a path) for a local destination.
std::string object_url(const Destination& d, std::string_view key);

// The options that decide a data file's name.
struct ObjectNaming {
  Format format = Format::kText;
  Compression compression = Compression::kNone;
  std::optional<std::string> extension;  // EXTENSION as given
  bool parallel = true;

  static ObjectNaming of(const UnloadSpec& spec) {
    return {spec.format, spec.compression, spec.extension, spec.is_parallel()};
  }
};

// What follows the number: ".gz" / ".bz2" / ".zst" for compressed text, ".parquet" for
// Parquet, "" for plain text, CSV and JSON; EXTENSION 'x' replaces all of that with ".x"
// (a leading dot in x is not doubled; EXTENSION '' means no suffix at all).
std::string file_suffix(const ObjectNaming& n);

// PARALLEL ON:  prefix + slice (at least 4 digits) + "_part_" + part (at least 2 digits)
// PARALLEL OFF: prefix + part (at least 3 digits); `slice` is ignored.
// Both followed by file_suffix(). Digits grow past 9999 / 99 / 999 rather than wrap.
std::string object_name(std::string_view prefix, unsigned slice, unsigned part,
                        const ObjectNaming& naming);

// Same, spelled with the individual options.
std::string object_name(std::string_view prefix, unsigned slice, unsigned part, Format format,
                        Compression compression, const std::optional<std::string>& extension,
                        bool parallel);

// prefix + "manifest"; with PARTITION BY the manifest sits in the folder: prefix + "/manifest"
// unless prefix already ends in "/". Never an extension.
std::string manifest_name(std::string_view prefix, bool partitioned);

// One partition key's value for one row; nullopt is SQL NULL.
struct PartitionValue {
  std::string column;
  std::optional<std::string> value;
};

// prefix (+ "/" when it does not end in one) + "col=value/" for each key, in order. NULL and
// the empty string become __HIVE_DEFAULT_PARTITION__; values are escaped as Hive does.
std::string partition_prefix(std::string_view prefix, const std::vector<PartitionValue>& values);

// Hive's path escaping: control characters and  " # % ' * / : = ? \ { [ ] ^  DEL  become
// %XX (upper-case hex); everything else, including spaces and UTF-8, is kept.
std::string escape_partition_value(std::string_view value);
// (The inverse is cu::percent_decode, base/strings.h.)

inline constexpr const char* kHiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

}  // namespace cu::unload
