#include "format/parquet_writer.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>

#include "base/error.h"
#include "format/parquet_encoding.h"

namespace cu::format {
namespace {
// PostgreSQL counts days and microseconds from 2000-01-01; Parquet from 1970-01-01.
constexpr int32_t kPgEpochDays = 10957;
constexpr int64_t kPgEpochMicros = 946684800000000LL;
}  // namespace

namespace parquet {

int decimal_byte_length(int precision) {
  unsigned __int128 max = 1;
  for (int i = 0; i < precision; ++i) {
    max *= 10;
  }
  max -= 1;  // largest unscaled magnitude
  for (int n = 1; n <= 16; ++n) {
    unsigned __int128 limit = static_cast<unsigned __int128>(1) << (8 * n - 1);
    if (max < limit) {
      return n;
    }
  }
  return 16;
}

ColumnMapping parquet_column_type(const ColumnType& c) {
  ColumnMapping m;
  auto logical = [](LogicalType::Kind k) {
    LogicalType t;
    t.kind = k;
    return t;
  };
  switch (c.kind) {
    case ValueKind::kBool:
      m.physical = Type::kBoolean;
      break;
    case ValueKind::kInt16: {
      m.physical = Type::kInt32;
      m.converted = ConvertedType::kInt16;
      LogicalType t = logical(LogicalType::Kind::kInteger);
      t.bit_width = 16;
      t.is_signed = true;
      m.logical = t;
      break;
    }
    case ValueKind::kInt32:
      m.physical = Type::kInt32;
      break;
    case ValueKind::kInt64:
      m.physical = Type::kInt64;
      break;
    case ValueKind::kFloat32:
      m.physical = Type::kFloat;
      break;
    case ValueKind::kFloat64:
      m.physical = Type::kDouble;
      break;
    case ValueKind::kDecimal: {
      if (c.precision <= 9) {
        m.physical = Type::kInt32;
      } else if (c.precision <= 18) {
        m.physical = Type::kInt64;
      } else {
        m.physical = Type::kFixedLenByteArray;
        m.type_length = decimal_byte_length(c.precision);
      }
      m.converted = ConvertedType::kDecimal;
      LogicalType t = logical(LogicalType::Kind::kDecimal);
      t.precision = c.precision;
      t.scale = c.scale;
      m.logical = t;
      break;
    }
    case ValueKind::kNumericText:
    case ValueKind::kText:
      m.physical = Type::kByteArray;
      m.converted = ConvertedType::kUtf8;
      m.logical = logical(LogicalType::Kind::kString);
      break;
    case ValueKind::kJson:
      m.physical = Type::kByteArray;
      m.converted = ConvertedType::kJson;
      m.logical = logical(LogicalType::Kind::kJson);
      break;
    case ValueKind::kDate:
      m.physical = Type::kInt32;
      m.converted = ConvertedType::kDate;
      m.logical = logical(LogicalType::Kind::kDate);
      break;
    case ValueKind::kTimestamp: {
      // No converted type: TIMESTAMP_MICROS would claim UTC-adjusted values.
      m.physical = Type::kInt64;
      LogicalType t = logical(LogicalType::Kind::kTimestamp);
      t.is_adjusted_to_utc = false;
      m.logical = t;
      break;
    }
    case ValueKind::kTimestampTz: {
      m.physical = Type::kInt64;
      m.converted = ConvertedType::kTimestampMicros;
      LogicalType t = logical(LogicalType::Kind::kTimestamp);
      t.is_adjusted_to_utc = true;
      m.logical = t;
      break;
    }
    case ValueKind::kUuid:
      m.physical = Type::kFixedLenByteArray;
      m.type_length = 16;
      m.logical = logical(LogicalType::Kind::kUuid);
      break;
    case ValueKind::kBytes:
      m.physical = Type::kByteArray;
      break;
    case ValueKind::kTime:
      check_columns({c});
      break;
  }
  return m;
}

void check_columns(const std::vector<ColumnType>& columns) {
  for (const auto& c : columns) {
    if (c.kind == ValueKind::kTime) {
      throw Error(ErrorKind::kUsage, "check columns", "",
                  fmt::format("UNLOAD time without time zone column \"{}\" is only supported "
                              "for TEXT/CSV.",
                              c.name))
          .with_hint("cast it to text or varchar in the query, or unload as text or CSV");
    }
  }
}

}  // namespace parquet

namespace {

using parquet::Encoding;
using parquet::Type;

// How min/max compare, per Parquet's sort order for the column's logical type.
enum class Order { kSigned32, kSigned64, kFloat, kDouble, kUnsignedBytes, kSignedBigEndian };

// Statistics larger than this are left out (a 100 MB text value must not land in the footer).
constexpr size_t kMaxStatisticsValue = 4096;

struct Stats {
  bool has_value = false;
  bool oversize = false;
  std::string min, max;
  int64_t nulls = 0;

  void reset() {
    has_value = false;
    oversize = false;
    min.clear();
    max.clear();
    nulls = 0;
  }
};

bool less(Order order, std::string_view a, std::string_view b) {
  switch (order) {
    case Order::kSigned32: {
      int32_t x, y;
      std::memcpy(&x, a.data(), 4);
      std::memcpy(&y, b.data(), 4);
      return x < y;
    }
    case Order::kSigned64: {
      int64_t x, y;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return x < y;
    }
    case Order::kFloat: {
      float x, y;
      std::memcpy(&x, a.data(), 4);
      std::memcpy(&y, b.data(), 4);
      return x < y;
    }
    case Order::kDouble: {
      double x, y;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return x < y;
    }
    case Order::kSignedBigEndian: {
      // Two's complement, same length: the sign byte decides first.
      auto sa = static_cast<int8_t>(a[0]), sb = static_cast<int8_t>(b[0]);
      if (sa != sb) {
        return sa < sb;
      }
      return std::memcmp(a.data() + 1, b.data() + 1, a.size() - 1) < 0;
    }
    case Order::kUnsignedBytes: {
      size_t n = std::min(a.size(), b.size());
      int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
      return c < 0 || (c == 0 && a.size() < b.size());
    }
  }
  return false;
}

void update(Stats& s, Order order, std::string_view v) {
  if (s.oversize) {
    return;
  }
  if (v.size() > kMaxStatisticsValue) {
    s.oversize = true;
    return;
  }
  if (order == Order::kFloat || order == Order::kDouble) {
    // NaN has no place in an order; readers would skip row groups wrongly.
    double d;
    if (order == Order::kFloat) {
      float f;
      std::memcpy(&f, v.data(), 4);
      d = f;
    } else {
      std::memcpy(&d, v.data(), 8);
    }
    if (std::isnan(d)) {
      return;
    }
  }
  if (!s.has_value) {
    s.min.assign(v);
    s.max.assign(v);
    s.has_value = true;
    return;
  }
  if (less(order, v, s.min)) {
    s.min.assign(v);
  } else if (less(order, s.max, v)) {
    s.max.assign(v);
  }
}

void merge(Stats& into, Order order, const Stats& page) {
  into.nulls += page.nulls;
  if (page.oversize) {
    into.oversize = true;
  }
  if (into.oversize || !page.has_value) {
    return;
  }
  update(into, order, page.min);
  update(into, order, page.max);
}

parquet::Statistics to_thrift(const Stats& s, Order order) {
  parquet::Statistics t;
  t.null_count = s.nulls;
  if (s.has_value && !s.oversize) {
    std::string min = s.min, max = s.max;
    // Parquet: a zero minimum is written -0.0 and a zero maximum +0.0, so a reader
    // comparing with either zero keeps the page.
    if (order == Order::kFloat) {
      float f;
      std::memcpy(&f, min.data(), 4);
      if (f == 0) {
        f = -0.0f, std::memcpy(min.data(), &f, 4);
      }
      std::memcpy(&f, max.data(), 4);
      if (f == 0) {
        f = 0.0f, std::memcpy(max.data(), &f, 4);
      }
    } else if (order == Order::kDouble) {
      double d;
      std::memcpy(&d, min.data(), 8);
      if (d == 0) {
        d = -0.0, std::memcpy(min.data(), &d, 8);
      }
      std::memcpy(&d, max.data(), 8);
      if (d == 0) {
        d = 0.0, std::memcpy(max.data(), &d, 8);
      }
    }
    t.min_value = std::move(min);
    t.max_value = std::move(max);
  }
  return t;
}

void put_u32(uint32_t v, std::string* out) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian host (x86-64, arm64)
  out->append(b, 4);
}

}  // namespace

class ParquetWriter::ColumnWriter {
 public:
  ColumnWriter(const ColumnType& type, const ParquetOptions& options)
      : type_(type), options_(options), mapping_(parquet::parquet_column_type(type)) {
    switch (mapping_.physical) {
      case Type::kInt32:
        order_ = Order::kSigned32;
        break;
      case Type::kInt64:
        order_ = Order::kSigned64;
        break;
      case Type::kFloat:
        order_ = Order::kFloat;
        break;
      case Type::kDouble:
        order_ = Order::kDouble;
        break;
      case Type::kFixedLenByteArray:
        order_ = type.kind == ValueKind::kDecimal ? Order::kSignedBigEndian : Order::kUnsignedBytes;
        break;
      default:
        order_ = Order::kUnsignedBytes;
        break;
    }
    is_bool_ = mapping_.physical == Type::kBoolean;
    is_byte_array_ = mapping_.physical == Type::kByteArray;
    reset_chunk();
  }

  const parquet::ColumnMapping& mapping() const { return mapping_; }
  const ColumnType& type() const { return type_; }

  void append(const Column& column) {
    const size_t n = column.size();
    char buf[16];
    for (size_t row = 0; row < n; ++row) {
      if (column.is_null(row)) {
        page_defs_.push_back(0);
        ++page_stats_.nulls;
      } else {
        page_defs_.push_back(1);
        add_value(value_bytes(column, row, buf));
      }
      if (page_defs_.size() >= options_.page_values ||
          ((page_defs_.size() & 127) == 0 && page_estimate() >= options_.page_size)) {
        finish_page();
      }
    }
  }

  // Encoded bytes held for the open row group.
  uint64_t buffered_bytes() const {
    return chunk_uncompressed_ + page_estimate() + (dict_count_ ? dict_plain_.size() : 0);
  }

  // Bytes this column holds for the open row group, encoded or not: its compressed pages, the
  // open page's buffers and the dictionary with its hash table (which, on repetitive data,
  // far outweighs the encoded bytes that `buffered_bytes` counts).
  uint64_t memory_bytes() const {
    return chunk_.size() + page_defs_.size() + page_values_.size() + page_bools_.size() +
           page_indices_.size() * 4 + dict_plain_.size() + dict_end_.size() * 4 +
           dict_hash_.size() * 8 + slots_.size() * 8;
  }

  void finish_page() {
    if (page_defs_.empty()) {
      return;
    }
    body_.clear();
    levels_.clear();
    parquet::rle_hybrid_encode(page_defs_.data(), page_defs_.size(), 1, &levels_);
    put_u32(static_cast<uint32_t>(levels_.size()), &body_);
    body_.append(levels_);
    Encoding encoding = Encoding::kPlain;
    if (page_uses_dict_ && !page_indices_.empty()) {
      encoding = Encoding::kRleDictionary;
      int bw = std::max(1, parquet::bit_width(dict_count_ - 1));
      body_.push_back(static_cast<char>(bw));
      parquet::rle_hybrid_encode(page_indices_.data(), page_indices_.size(), bw, &body_);
      dict_referenced_ = true;
    } else if (is_bool_) {
      parquet::plain_encode_bools(page_bools_.data(), page_bools_.size(), &body_);
    } else {
      body_.append(page_values_);
    }
    compressed_.clear();
    parquet::compress_page(options_.codec, options_.compression_level, body_, &compressed_);

    parquet::PageHeader header;
    header.type = parquet::PageType::kDataPage;
    header.uncompressed_page_size = static_cast<int32_t>(body_.size());
    header.compressed_page_size = static_cast<int32_t>(compressed_.size());
    parquet::DataPageHeader data;
    data.num_values = static_cast<int32_t>(page_defs_.size());
    data.encoding = encoding;
    data.definition_level_encoding = Encoding::kRle;
    data.repetition_level_encoding = Encoding::kRle;
    data.statistics = to_thrift(page_stats_, order_);
    header.data_page_header = std::move(data);
    size_t before = chunk_.size();
    parquet::serialize_to(header, &chunk_);
    size_t header_size = chunk_.size() - before;
    chunk_.append(compressed_);

    chunk_uncompressed_ += header_size + body_.size();
    chunk_compressed_ += header_size + compressed_.size();
    chunk_values_ += page_defs_.size();
    if (encoding == Encoding::kRleDictionary) {
      used_dict_pages_ = true;
    } else {
      used_plain_pages_ = true;
    }
    merge(chunk_stats_, order_, page_stats_);

    page_defs_.clear();
    page_values_.clear();
    page_bools_.clear();
    page_indices_.clear();
    page_stats_.reset();
    page_uses_dict_ = dict_active_;
  }

  // Writes this column's chunk (dictionary page, data pages) and returns its metadata.
  parquet::ColumnChunk flush(ByteSink& sink) {
    finish_page();
    parquet::ColumnChunk cc;
    auto& md = cc.meta_data;
    int64_t start = static_cast<int64_t>(sink.bytes_written());
    cc.file_offset = start;
    int64_t dict_bytes_uncompressed = 0, dict_bytes_compressed = 0;
    if (dict_referenced_) {
      compressed_.clear();
      parquet::compress_page(options_.codec, options_.compression_level, dict_plain_, &compressed_);
      parquet::PageHeader header;
      header.type = parquet::PageType::kDictionaryPage;
      header.uncompressed_page_size = static_cast<int32_t>(dict_plain_.size());
      header.compressed_page_size = static_cast<int32_t>(compressed_.size());
      parquet::DictionaryPageHeader dict;
      dict.num_values = static_cast<int32_t>(dict_count_);
      dict.encoding = Encoding::kPlain;
      header.dictionary_page_header = dict;
      std::string h = parquet::serialize(header);
      sink.write(h);
      sink.write(compressed_);
      md.dictionary_page_offset = start;
      dict_bytes_uncompressed = static_cast<int64_t>(h.size() + dict_plain_.size());
      dict_bytes_compressed = static_cast<int64_t>(h.size() + compressed_.size());
    }
    md.data_page_offset = static_cast<int64_t>(sink.bytes_written());
    sink.write(chunk_);

    md.type = mapping_.physical;
    md.encodings.push_back(Encoding::kRle);  // definition levels
    if (dict_referenced_ || used_plain_pages_) {
      md.encodings.push_back(Encoding::kPlain);
    }
    if (used_dict_pages_) {
      md.encodings.push_back(Encoding::kRleDictionary);
    }
    md.path_in_schema = {type_.name};
    md.codec = options_.codec;
    md.num_values = static_cast<int64_t>(chunk_values_);
    md.total_uncompressed_size =
        static_cast<int64_t>(chunk_uncompressed_) + dict_bytes_uncompressed;
    md.total_compressed_size = static_cast<int64_t>(chunk_compressed_) + dict_bytes_compressed;
    md.statistics = to_thrift(chunk_stats_, order_);
    reset_chunk();
    return cc;
  }

 private:
  // The value as PLAIN encodes it (without BYTE_ARRAY's length prefix): also the form
  // statistics and dictionary keys use.
  std::string_view value_bytes(const Column& column, size_t row, char* buf) const {
    switch (type_.kind) {
      case ValueKind::kBool:
        buf[0] = static_cast<char>(column.int_at(row) != 0);
        return {buf, 1};
      case ValueKind::kInt16:
      case ValueKind::kInt32: {
        auto v = static_cast<int32_t>(column.int_at(row));
        std::memcpy(buf, &v, 4);
        return {buf, 4};
      }
      case ValueKind::kDate: {
        // Dates beyond int32 after the shift exist only as ±infinity; they saturate.
        int64_t d = column.int_at(row) + kPgEpochDays;
        auto v = static_cast<int32_t>(std::clamp<int64_t>(d, INT32_MIN, INT32_MAX));
        std::memcpy(buf, &v, 4);
        return {buf, 4};
      }
      case ValueKind::kInt64: {
        int64_t v = column.int_at(row);
        std::memcpy(buf, &v, 8);
        return {buf, 8};
      }
      case ValueKind::kTimestamp:
      case ValueKind::kTimestampTz: {
        int64_t v = column.int_at(row);
        // ±infinity are INT64 max/min in PostgreSQL; keep them at the extremes.
        if (v != INT64_MAX && v != INT64_MIN) {
          v += kPgEpochMicros;
        }
        std::memcpy(buf, &v, 8);
        return {buf, 8};
      }
      case ValueKind::kFloat32: {
        auto v = static_cast<float>(column.double_at(row));
        std::memcpy(buf, &v, 4);
        return {buf, 4};
      }
      case ValueKind::kFloat64: {
        double v = column.double_at(row);
        std::memcpy(buf, &v, 8);
        return {buf, 8};
      }
      case ValueKind::kDecimal: {
        __int128 v = column.decimal_at(row);
        if (mapping_.physical == Type::kInt32) {
          auto x = static_cast<int32_t>(v);
          std::memcpy(buf, &x, 4);
          return {buf, 4};
        }
        if (mapping_.physical == Type::kInt64) {
          auto x = static_cast<int64_t>(v);
          std::memcpy(buf, &x, 8);
          return {buf, 8};
        }
        // FIXED_LEN_BYTE_ARRAY: big-endian two's complement, type_length bytes.
        int n = mapping_.type_length;
        auto u = static_cast<unsigned __int128>(v);
        for (int i = n - 1; i >= 0; --i) {
          buf[i] = static_cast<char>(static_cast<uint8_t>(u & 0xff));
          u >>= 8;
        }
        return {buf, static_cast<size_t>(n)};
      }
      default:
        return column.bytes_at(row);
    }
  }

  void add_value(std::string_view v) {
    update(page_stats_, order_, v);
    if (is_bool_) {
      page_bools_.push_back(static_cast<uint8_t>(v[0]));
      return;
    }
    if (page_uses_dict_) {
      page_indices_.push_back(dict_index(v));
      dict_values_plain_bytes_ += v.size() + (is_byte_array_ ? 4 : 0);
      // Too many distinct values for the dictionary page, or (checked every 8192 values) a
      // dictionary that saves nothing over PLAIN, as with unique keys: this page keeps its
      // indices, later pages of the chunk go PLAIN.
      if (dict_plain_.size() > options_.dictionary_page_size ||
          ((++dict_values_ & 8191) == 0 && !dictionary_pays_off())) {
        dict_active_ = false;
        finish_page();
      }
      return;
    }
    append_plain(v, &page_values_);
  }

  void append_plain(std::string_view v, std::string* out) const {
    if (is_byte_array_) {
      put_u32(static_cast<uint32_t>(v.size()), out);
    }
    out->append(v);
  }

  // Dictionary page plus indices against the same values PLAIN.
  bool dictionary_pays_off() const {
    uint64_t dict_bytes = dict_plain_.size() +
                          dict_values_ * static_cast<uint64_t>(parquet::bit_width(dict_count_)) / 8;
    return dict_bytes < dict_values_plain_bytes_ * 9 / 10;
  }

  // Slots hold (hash high bits << 32 | index + 1) so most probes never touch the values.
  uint32_t dict_index(std::string_view v) {
    if (dict_count_ * 2 >= slots_.size()) {
      grow_slots();
    }
    uint64_t h = std::hash<std::string_view>{}(v);
    uint64_t tag = h & 0xffffffff00000000ull;
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      uint64_t s = slots_[i];
      if (s == 0) {
        auto index = static_cast<uint32_t>(dict_count_++);
        slots_[i] = tag | (index + 1);
        dict_hash_.push_back(h);
        append_plain(v, &dict_plain_);
        dict_end_.push_back(static_cast<uint32_t>(dict_plain_.size()));
        return index;
      }
      if ((s & 0xffffffff00000000ull) == tag) {
        auto index = static_cast<uint32_t>(s) - 1;
        if (dict_value(index) == v) {
          return index;
        }
      }
    }
  }

  std::string_view dict_value(uint32_t index) const {
    uint32_t begin = index == 0 ? 0 : dict_end_[index - 1];
    uint32_t end = dict_end_[index];
    if (is_byte_array_) {
      begin += 4;
    }
    return std::string_view(dict_plain_.data() + begin, end - begin);
  }

  void grow_slots() {
    size_t size = slots_.empty() ? 1024 : slots_.size() * 2;
    slots_.assign(size, 0);
    size_t mask = size - 1;
    for (uint32_t index = 0; index < dict_count_; ++index) {
      uint64_t h = dict_hash_[index];
      size_t i = h & mask;
      while (slots_[i] != 0) {
        i = (i + 1) & mask;
      }
      slots_[i] = (h & 0xffffffff00000000ull) | (index + 1);
    }
  }

  uint64_t page_estimate() const {
    uint64_t n = page_defs_.size() / 8;
    if (page_uses_dict_) {
      n += page_indices_.size() * static_cast<uint64_t>(parquet::bit_width(dict_count_)) / 8;
    } else if (is_bool_) {
      n += page_bools_.size() / 8;
    } else {
      n += page_values_.size();
    }
    return n;
  }

  void reset_chunk() {
    chunk_.clear();
    chunk_uncompressed_ = chunk_compressed_ = chunk_values_ = 0;
    chunk_stats_.reset();
    used_dict_pages_ = used_plain_pages_ = dict_referenced_ = false;
    dict_active_ = options_.dictionary && !is_bool_;
    page_uses_dict_ = dict_active_;
    dict_plain_.clear();
    dict_end_.clear();
    dict_hash_.clear();
    dict_count_ = 0;
    dict_values_ = 0;
    dict_values_plain_bytes_ = 0;
    slots_.clear();
  }

  ColumnType type_;
  const ParquetOptions& options_;
  parquet::ColumnMapping mapping_;
  Order order_ = Order::kUnsignedBytes;
  bool is_bool_ = false;
  bool is_byte_array_ = false;

  // Open page.
  std::vector<uint8_t> page_defs_;
  std::string page_values_;
  std::vector<uint8_t> page_bools_;
  std::vector<uint32_t> page_indices_;
  Stats page_stats_;
  bool page_uses_dict_ = false;

  // Column chunk of the open row group: data pages with headers, compressed.
  std::string chunk_;
  uint64_t chunk_uncompressed_ = 0, chunk_compressed_ = 0, chunk_values_ = 0;
  Stats chunk_stats_;
  bool used_dict_pages_ = false, used_plain_pages_ = false, dict_referenced_ = false;

  // Dictionary of the chunk: entries PLAIN-encoded back to back, found by open addressing.
  bool dict_active_ = false;
  std::string dict_plain_;
  std::vector<uint32_t> dict_end_;
  std::vector<uint64_t> dict_hash_;
  std::vector<uint64_t> slots_;
  uint64_t dict_count_ = 0;
  uint64_t dict_values_ = 0;              // values encoded through the dictionary (chunk)
  uint64_t dict_values_plain_bytes_ = 0;  // what they would take PLAIN

  // Scratch.
  std::string body_, levels_, compressed_;
};

ParquetWriter::ParquetWriter(std::vector<ColumnType> columns, ByteSink& sink,
                             ParquetOptions options)
    : columns_(std::move(columns)), sink_(sink), options_(std::move(options)) {
  parquet::check_columns(columns_);
  if (columns_.empty()) {
    throw Error(ErrorKind::kUsage, "write parquet", "", "a Parquet file needs at least one column");
  }
  for (const auto& c : columns_) {
    writers_.push_back(std::make_unique<ColumnWriter>(c, options_));
  }

  metadata_.version = 1;
  metadata_.created_by = options_.created_by;
  metadata_.leaf_columns = columns_.size();
  parquet::SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(columns_.size());
  metadata_.schema.push_back(root);
  for (const auto& w : writers_) {
    const auto& m = w->mapping();
    parquet::SchemaElement e;
    e.type = m.physical;
    if (m.physical == Type::kFixedLenByteArray) {
      e.type_length = m.type_length;
    }
    e.repetition = parquet::Repetition::kOptional;
    e.name = w->type().name;
    e.converted_type = m.converted;
    if (w->type().kind == ValueKind::kDecimal) {
      e.scale = w->type().scale;
      e.precision = w->type().precision;
    }
    e.logical_type = m.logical;
    metadata_.schema.push_back(std::move(e));
  }
  sink_.write("PAR1");
}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::write(const ColumnBatch& batch) {
  if (closed_) {
    throw Error(ErrorKind::kOther, "write parquet", "", "writer already closed");
  }
  if (batch.num_columns() != writers_.size()) {
    throw Error(ErrorKind::kOther, "write parquet", "", "batch has the wrong number of columns");
  }
  for (size_t i = 0; i < writers_.size(); ++i) {
    writers_[i]->append(batch.column(i));
  }
  rows_ += batch.num_rows();
  group_rows_ += batch.num_rows();
  uint64_t buffered = 0, memory = 0;
  for (const auto& w : writers_) {
    buffered += w->buffered_bytes();
    memory += w->memory_bytes();
  }
  if (buffered >= options_.row_group_size || memory >= options_.row_group_memory) {
    flush_row_group();
  }
}

void ParquetWriter::flush_row_group() {
  if (group_rows_ == 0) {
    return;
  }
  parquet::RowGroup g;
  g.file_offset = static_cast<int64_t>(sink_.bytes_written());
  int64_t compressed = 0;
  for (auto& w : writers_) {
    g.columns.push_back(w->flush(sink_));
    g.total_byte_size += g.columns.back().meta_data.total_uncompressed_size;
    compressed += g.columns.back().meta_data.total_compressed_size;
  }
  g.total_compressed_size = compressed;
  g.num_rows = static_cast<int64_t>(group_rows_);
  g.ordinal = static_cast<int16_t>(metadata_.row_groups.size());
  metadata_.row_groups.push_back(std::move(g));
  group_rows_ = 0;
}

void ParquetWriter::close() {
  if (closed_) {
    return;
  }
  flush_row_group();
  metadata_.num_rows = static_cast<int64_t>(rows_);
  std::string footer = parquet::serialize(metadata_);
  put_u32(static_cast<uint32_t>(footer.size()), &footer);
  footer.append("PAR1");
  sink_.write(footer);
  closed_ = true;
}

size_t ParquetWriter::row_groups_written() const { return metadata_.row_groups.size(); }

uint64_t ParquetWriter::estimated_file_size() const {
  uint64_t n = sink_.bytes_written();
  for (const auto& w : writers_) {
    n += w->buffered_bytes();
  }
  return n;
}

}  // namespace cu::format
