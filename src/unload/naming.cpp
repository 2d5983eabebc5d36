#include "unload/naming.h"

#include <fmt/format.h>

#include "base/error.h"

namespace cu::unload {

Destination parse_destination(std::string_view to) {
  auto bad = [&to](const std::string& why, const std::string& hint) {
    return Error(ErrorKind::kUsage, "parse destination", std::string(to), why).with_hint(hint);
  };
  if (to.empty()) {
    throw bad("the destination is empty", "give s3://bucket/prefix or a path");
  }
  size_t scheme = to.find("://");
  if (scheme == std::string_view::npos) {
    return Destination{false, "", std::string(to)};
  }
  std::string_view name = to.substr(0, scheme);
  if (name != "s3" && name != "S3") {
    throw bad(fmt::format("unsupported URL scheme \"{}\"", name),
              "give s3://bucket/prefix or a path");
  }
  std::string_view rest = to.substr(scheme + 3);
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  if (bucket.empty()) {
    throw bad("the S3 URL has no bucket", "give s3://bucket/prefix");
  }
  std::string prefix = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  // Keys are folders to every reader (the console, the CLI, Athena, HTTP libraries that
  // resolve dot segments): an empty, "." or ".." segment names another place than the key.
  // The last segment is the file-name prefix; it may be empty (a prefix ending in "/").
  for (size_t start = 0; !prefix.empty();) {
    size_t end = prefix.find('/', start);
    std::string_view segment(prefix.data() + start,
                             (end == std::string::npos ? prefix.size() : end) - start);
    if (segment == "." || segment == ".." || (segment.empty() && end != std::string::npos)) {
      throw bad(segment.empty() ? "the key prefix has an empty segment (\"//\" or a leading \"/\")"
                                : fmt::format("the key prefix has a \"{}\" segment", segment),
                "write the prefix without empty, \".\" or \"..\" segments: "
                "s3://bucket/folder/name_");
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return Destination{true, std::string(bucket), std::move(prefix)};
}

std::string object_url(const Destination& d, std::string_view key) {
  if (!d.s3) {
    return std::string(key);
  }
  return fmt::format("s3://{}/{}", d.bucket, key);
}

std::string file_suffix(const ObjectNaming& n) {
  if (n.extension) {
    std::string_view ext = *n.extension;
    if (!ext.empty() && ext.front() == '.') {
      ext.remove_prefix(1);
    }
    return ext.empty() ? "" : "." + std::string(ext);
  }
  if (n.format == Format::kParquet) {
    return ".parquet";
  }
  switch (n.compression) {
    case Compression::kNone:
      return "";
    case Compression::kGzip:
      return ".gz";
    case Compression::kBzip2:
      return ".bz2";
    case Compression::kZstd:
      return ".zst";
  }
  return "";
}

std::string object_name(std::string_view prefix, unsigned slice, unsigned part,
                        const ObjectNaming& naming) {
  if (naming.parallel) {
    return fmt::format("{}{:04d}_part_{:02d}{}", prefix, slice, part, file_suffix(naming));
  }
  return fmt::format("{}{:03d}{}", prefix, part, file_suffix(naming));
}

std::string object_name(std::string_view prefix, unsigned slice, unsigned part, Format format,
                        Compression compression, const std::optional<std::string>& extension,
                        bool parallel) {
  return object_name(prefix, slice, part, ObjectNaming{format, compression, extension, parallel});
}

std::string manifest_name(std::string_view prefix, bool partitioned) {
  std::string out(prefix);
  if (partitioned && !out.empty() && out.back() != '/') {
    out += '/';
  }
  return out + "manifest";
}

std::string escape_partition_value(std::string_view value) {
  static constexpr std::string_view kSpecial = "\"#%'*/:=?\\{[]^";
  std::string out;
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || kSpecial.find(ch) != std::string_view::npos) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string partition_prefix(std::string_view prefix, const std::vector<PartitionValue>& values) {
  std::string out(prefix);
  if (!out.empty() && out.back() != '/') {
    out += '/';
  }
  for (const auto& v : values) {
    out += escape_partition_value(v.column) + "=";
    out += (!v.value || v.value->empty()) ? std::string(kHiveDefaultPartition)
                                          : escape_partition_value(*v.value);
    out += '/';
  }
  return out;
}

}  // namespace cu::unload
