#include "format/parquet_metadata.h"

#include "format/thrift_compact.h"

namespace cu::format::parquet {
namespace {

using W = ThriftCompactWriter;

void write(W& w, const Statistics& s) {
  w.struct_begin();
  // Only the min_value/max_value pair (5, 6): the deprecated min/max (1, 2) carry a signed
  // byte order for strings that readers must distrust anyway.
  if (s.null_count) {
    w.field_i64(3, *s.null_count);
  }
  if (s.max_value) {
    w.field_binary(5, *s.max_value);
  }
  if (s.min_value) {
    w.field_binary(6, *s.min_value);
  }
  w.struct_end();
}

void empty_struct_field(W& w, int16_t id) {
  w.field_struct(id);
  w.struct_begin();
  w.struct_end();
}

void write(W& w, const LogicalType& t) {
  w.struct_begin();
  auto id = static_cast<int16_t>(t.kind);
  switch (t.kind) {
    case LogicalType::Kind::kString:
    case LogicalType::Kind::kDate:
    case LogicalType::Kind::kJson:
    case LogicalType::Kind::kUuid:
      empty_struct_field(w, id);
      break;
    case LogicalType::Kind::kDecimal:
      w.field_struct(id);
      w.struct_begin();
      w.field_i32(1, t.scale);
      w.field_i32(2, t.precision);
      w.struct_end();
      break;
    case LogicalType::Kind::kTimestamp:
      w.field_struct(id);
      w.struct_begin();
      w.field_bool(1, t.is_adjusted_to_utc);
      w.field_struct(2);  // TimeUnit union
      w.struct_begin();
      empty_struct_field(w, 2);  // MICROS
      w.struct_end();
      w.struct_end();
      break;
    case LogicalType::Kind::kInteger:
      w.field_struct(id);
      w.struct_begin();
      w.field_i8(1, t.bit_width);
      w.field_bool(2, t.is_signed);
      w.struct_end();
      break;
  }
  w.struct_end();
}

void write(W& w, const SchemaElement& e) {
  w.struct_begin();
  if (e.type) {
    w.field_i32(1, static_cast<int32_t>(*e.type));
  }
  if (e.type_length) {
    w.field_i32(2, *e.type_length);
  }
  if (e.repetition) {
    w.field_i32(3, static_cast<int32_t>(*e.repetition));
  }
  w.field_binary(4, e.name);
  if (e.num_children) {
    w.field_i32(5, *e.num_children);
  }
  if (e.converted_type) {
    w.field_i32(6, static_cast<int32_t>(*e.converted_type));
  }
  if (e.scale) {
    w.field_i32(7, *e.scale);
  }
  if (e.precision) {
    w.field_i32(8, *e.precision);
  }
  if (e.logical_type) {
    w.field_struct(10);
    write(w, *e.logical_type);
  }
  w.struct_end();
}

void write(W& w, const ColumnMetaData& m) {
  w.struct_begin();
  w.field_i32(1, static_cast<int32_t>(m.type));
  w.field_list(2, W::kI32, m.encodings.size());
  for (auto e : m.encodings) {
    w.element_i32(static_cast<int32_t>(e));
  }
  w.field_list(3, W::kBinary, m.path_in_schema.size());
  for (const auto& p : m.path_in_schema) {
    w.element_binary(p);
  }
  w.field_i32(4, static_cast<int32_t>(m.codec));
  w.field_i64(5, m.num_values);
  w.field_i64(6, m.total_uncompressed_size);
  w.field_i64(7, m.total_compressed_size);
  w.field_i64(9, m.data_page_offset);
  if (m.dictionary_page_offset) {
    w.field_i64(11, *m.dictionary_page_offset);
  }
  if (m.statistics) {
    w.field_struct(12);
    write(w, *m.statistics);
  }
  w.struct_end();
}

void write(W& w, const RowGroup& g) {
  w.struct_begin();
  w.field_list(1, W::kStruct, g.columns.size());
  for (const auto& c : g.columns) {
    w.struct_begin();
    w.field_i64(2, c.file_offset);
    w.field_struct(3);
    write(w, c.meta_data);
    w.struct_end();
  }
  w.field_i64(2, g.total_byte_size);
  w.field_i64(3, g.num_rows);
  if (g.file_offset) {
    w.field_i64(5, *g.file_offset);
  }
  if (g.total_compressed_size) {
    w.field_i64(6, *g.total_compressed_size);
  }
  if (g.ordinal) {
    w.field_i16(7, *g.ordinal);
  }
  w.struct_end();
}

}  // namespace

void serialize_to(const PageHeader& h, std::string* out) {
  W w(out);
  w.struct_begin();
  w.field_i32(1, static_cast<int32_t>(h.type));
  w.field_i32(2, h.uncompressed_page_size);
  w.field_i32(3, h.compressed_page_size);
  if (h.data_page_header) {
    const auto& d = *h.data_page_header;
    w.field_struct(5);
    w.struct_begin();
    w.field_i32(1, d.num_values);
    w.field_i32(2, static_cast<int32_t>(d.encoding));
    w.field_i32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.field_i32(4, static_cast<int32_t>(d.repetition_level_encoding));
    if (d.statistics) {
      w.field_struct(5);
      write(w, *d.statistics);
    }
    w.struct_end();
  }
  if (h.dictionary_page_header) {
    const auto& d = *h.dictionary_page_header;
    w.field_struct(7);
    w.struct_begin();
    w.field_i32(1, d.num_values);
    w.field_i32(2, static_cast<int32_t>(d.encoding));
    w.struct_end();
  }
  w.struct_end();
}

std::string serialize(const PageHeader& header) {
  std::string out;
  serialize_to(header, &out);
  return out;
}

std::string serialize(const FileMetaData& m) {
  std::string out;
  W w(&out);
  w.struct_begin();
  w.field_i32(1, m.version);
  w.field_list(2, W::kStruct, m.schema.size());
  for (const auto& e : m.schema) {
    write(w, e);
  }
  w.field_i64(3, m.num_rows);
  w.field_list(4, W::kStruct, m.row_groups.size());
  for (const auto& g : m.row_groups) {
    write(w, g);
  }
  if (m.created_by) {
    w.field_binary(6, *m.created_by);
  }
  if (m.leaf_columns > 0) {
    w.field_list(7, W::kStruct, m.leaf_columns);
    for (size_t i = 0; i < m.leaf_columns; ++i) {
      w.struct_begin();
      empty_struct_field(w, 1);  // TYPE_ORDER
      w.struct_end();
    }
  }
  w.struct_end();
  return out;
}

}  // namespace cu::format::parquet
