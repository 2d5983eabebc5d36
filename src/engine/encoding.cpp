#include "engine/encoding.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/error.h"
#include "engine/copy_binary_decoder.h"
#include "engine/value_class.h"
#include "format/fixedwidth_encoder.h"
#include "format/parquet_writer.h"
#include "unload/naming.h"

namespace cu::engine {
namespace {

constexpr uint64_t kMB = 1ull << 20;
constexpr uint64_t kDefaultMaxFileSize = 6200 * kMB;  // 6.2 GB (docs/redshift-unload.md#s4.4)
constexpr uint64_t kParquetUnit = 32 * kMB;

void typed(const unload::UnloadSpec& spec, const std::vector<pg::SourceColumn>& columns,
           const PartitionKeys& keys, Encoding& e) {
  std::vector<engine::ResultColumn> rc;
  rc.reserve(columns.size());
  for (const auto& c : columns) {
    rc.push_back({c.name, c.type_oid, c.type_modifier});
  }
  e.all_types = engine::describe_columns(rc);
  std::vector<format::ColumnType> data_types;
  for (size_t i : keys.kept_columns()) {
    data_types.push_back(e.all_types[i]);
  }
  if (spec.format == unload::Format::kParquet) {
    format::parquet::check_columns(data_types);
    e.files.parquet = true;
    e.files.parquet_columns = data_types;
    if (spec.row_group_size) {
      e.files.parquet_options.row_group_size = *spec.row_group_size;
    }
    e.files.max_file_size =
        std::max(kParquetUnit, e.files.max_file_size / kParquetUnit * kParquetUnit);
  } else {
    e.json = std::make_unique<format::JsonWriter>(data_types);
  }
}

void delimited(const unload::UnloadSpec& spec, const std::vector<pg::SourceColumn>& columns,
               const PartitionKeys& keys, Encoding& e) {
  format::DelimitedOptions o;
  o.format = spec.format == unload::Format::kCsv ? format::DelimitedFormat::kCsv
                                                 : format::DelimitedFormat::kText;
  if (spec.delimiter && !spec.delimiter->empty()) {
    o.delimiter = (*spec.delimiter)[0];
  }
  o.null_as = spec.null_as.value_or("");
  o.header = spec.header;
  o.escape = spec.escape;
  o.addquotes = spec.addquotes;
  format::validate(o);
  if (spec.fixedwidth) {
    o.format = format::DelimitedFormat::kFixedWidth;
  }
  std::vector<format::OutputColumn> out_cols;
  for (size_t i : keys.kept_columns()) {
    out_cols.push_back({columns[i].name, value_class_of(columns[i].type_oid)});
  }
  if (spec.fixedwidth) {
    std::vector<std::string> names;
    names.reserve(columns.size());
    for (const auto& c : columns) {
      names.push_back(c.name);
    }
    std::vector<uint32_t> widths =
        format::resolve_fixed_widths(*spec.fixedwidth, names, keys.kept_columns());
    for (size_t j = 0; j < out_cols.size(); ++j) {
      out_cols[j].width = widths[j];
      // docs/redshift-unload.md#s1.4: VARBYTE (bytea) columns cannot be unloaded with FIXEDWIDTH.
      if (out_cols[j].value_class == format::ValueClass::kBinary) {
        throw Error(ErrorKind::kUsage, "validate options", out_cols[j].name,
                    fmt::format("UNLOAD varbyte column \"{}\" is not supported with FIXEDWIDTH",
                                out_cols[j].name))
            .with_hint("cast it to text in the query (e.g. encode(col, 'hex'))");
      }
    }
  }
  e.encoder = format::make_delimited_encoder(o, out_cols);
  if (o.header) {
    e.encoder->encode_header(e.files.header_bytes);
  }
}

}  // namespace

Encoding make_encoding(const unload::UnloadSpec& spec, const std::vector<pg::SourceColumn>& columns,
                       const PartitionKeys& keys) {
  Encoding e;
  e.files.naming = unload::ObjectNaming::of(spec);
  e.files.write_options.sse_kms = spec.kms_key_id.has_value();
  e.files.write_options.kms_key_id = spec.kms_key_id.value_or("");
  e.files.max_file_size = spec.max_file_size.value_or(kDefaultMaxFileSize);
  const bool binary =
      spec.format == unload::Format::kParquet || spec.format == unload::Format::kJson;
  if (binary) {
    typed(spec, columns, keys, e);
    e.copy_sql = "COPY (\n" + spec.select + "\n) TO STDOUT (FORMAT binary)";
  } else {
    delimited(spec, columns, keys, e);
    e.copy_sql = "COPY (\n" + spec.select + "\n) TO STDOUT";
  }
  return e;
}

}  // namespace cu::engine
