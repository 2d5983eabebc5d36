#include "unload/unload_spec.h"

#include <fmt/format.h>

#include "base/error.h"

namespace cu::unload {

const char* to_string(Format f) {
  switch (f) {
    case Format::kText:
      return "text";
    case Format::kCsv:
      return "csv";
    case Format::kJson:
      return "json";
    case Format::kParquet:
      return "parquet";
  }
  return "?";
}

const char* to_string(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kZstd:
      return "zstd";
  }
  return "?";
}

const char* to_string(Manifest m) {
  switch (m) {
    case Manifest::kNone:
      return "none";
    case Manifest::kPlain:
      return "plain";
    case Manifest::kVerbose:
      return "verbose";
  }
  return "?";
}

std::vector<FixedWidthColumn> parse_fixedwidth(const std::string& text) {
  std::vector<FixedWidthColumn> out;
  auto bad = [&text](const std::string& why) {
    return Error(ErrorKind::kUsage, "validate UNLOAD", "FIXEDWIDTH",
                 fmt::format("invalid fixed-width specification '{}': {}", text, why))
        .with_hint("write FIXEDWIDTH 'col:width,…', e.g. 'venueid:3,venuename:39' or '0:3,1:39'");
  };
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      throw bad(fmt::format("'{}' is not col:width", item));
    }
    std::string width = item.substr(colon + 1);
    if (width.empty() || width.size() > 9 ||
        width.find_first_not_of("0123456789") != std::string::npos) {
      throw bad(fmt::format("'{}' is not a width", width));
    }
    FixedWidthColumn c{item.substr(0, colon), static_cast<std::uint32_t>(std::stoul(width))};
    if (c.width == 0) {
      throw bad(fmt::format("column '{}' has width 0", c.column));
    }
    out.push_back(std::move(c));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace cu::unload
