#include "engine/manifest.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "engine/copy_binary_decoder.h"

namespace cu::engine {
namespace {

// Redshift's base type name and dimensions for MANIFEST VERBOSE.
nlohmann::ordered_json manifest_type(const pg::SourceColumn& c) {
  nlohmann::ordered_json t;
  t["base"] = pg::type_name(c.type_oid);
  if ((c.type_oid == pg::oid::kVarchar || c.type_oid == pg::oid::kBpchar) && c.type_modifier >= 4) {
    t["length"] = c.type_modifier - 4;
  }
  if (c.type_oid == pg::oid::kNumeric && c.type_modifier >= 4) {
    t["precision"] = ((c.type_modifier - 4) >> 16) & 0xffff;
    t["scale"] = (c.type_modifier - 4) & 0xffff;
  }
  return t;
}

}  // namespace

std::string manifest_json(const std::vector<UnloadedFile>& files,
                          const std::vector<pg::SourceColumn>& columns, bool verbose, bool header) {
  // Layout of Redshift's documented manifests (one entry per line); OPEN-18: readers parse
  // it as JSON, the whitespace is ours.
  std::string out = "{\n  \"entries\": [\n";
  uint64_t total_bytes = 0, total_rows = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    uint64_t records = f.rows + (header ? 1 : 0);
    total_bytes += f.bytes;
    total_rows += records;
    out += "    {\"url\":" + nlohmann::json(f.url).dump() +
           ", \"meta\": { \"content_length\": " + std::to_string(f.bytes);
    if (verbose) {
      out += ", \"record_count\": " + std::to_string(records);
    }
    out += " }}";
    out += i + 1 < files.size() ? ",\n" : "\n";
  }
  out += "  ]";
  if (verbose) {
    out += ",\n  \"schema\": {\n    \"elements\": [\n";
    for (size_t i = 0; i < columns.size(); ++i) {
      out += "      {\"name\": " + nlohmann::json(columns[i].name).dump() +
             ", \"type\": " + manifest_type(columns[i]).dump() + "}";
      out += i + 1 < columns.size() ? ",\n" : "\n";
    }
    out += "    ]\n  },\n";
    out += fmt::format(
        "  \"meta\": {{\n    \"content_length\": {},\n    \"record_count\": {}\n  }},\n",
        total_bytes, total_rows);
    out += "  \"author\": {\n    \"name\": \"Amazon Redshift\",\n    \"version\": \"1.0.0\"\n  }";
  }
  out += "\n}\n";
  return out;
}

}  // namespace cu::engine
