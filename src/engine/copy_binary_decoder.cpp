#include "engine/copy_binary_decoder.h"

#include <fmt/format.h>

#include <bit>
#include <cstddef>
#include <cstring>

#include "base/error.h"

namespace cu::engine {

namespace oid = pg::oid;  // the one type catalogue (pg/types.h)

namespace {

using format::ColumnType;
using format::ValueKind;

// "PGCOPY\n\377\r\n\0": the 11-byte signature of the binary COPY format.
constexpr char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
constexpr size_t kHeaderFixed = 11 + 4 + 4;  // signature, flags, header extension length
constexpr uint32_t kFlagOids = 1u << 16;

constexpr uint16_t kNumericPos = 0x0000;
constexpr uint16_t kNumericNeg = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPInf = 0xD000;
constexpr uint16_t kNumericNInf = 0xF000;

inline uint16_t be16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t be32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t be64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

struct NumericHeader {
  int ndigits;
  int weight;
  uint16_t sign;
  int dscale;
  const char* digits;
};

bool read_numeric(std::string_view b, NumericHeader* h) {
  if (b.size() < 8) {
    return false;
  }
  h->ndigits = static_cast<int16_t>(be16(b.data()));
  h->weight = static_cast<int16_t>(be16(b.data() + 2));
  h->sign = be16(b.data() + 4);
  h->dscale = static_cast<int16_t>(be16(b.data() + 6));
  h->digits = b.data() + 8;
  if (h->ndigits < 0 || h->dscale < 0) {
    return false;
  }
  if (b.size() != 8 + 2 * static_cast<size_t>(h->ndigits)) {
    return false;
  }
  for (int i = 0; i < h->ndigits; ++i) {
    if (be16(h->digits + 2 * static_cast<std::ptrdiff_t>(i)) > 9999) {
      return false;
    }
  }
  return true;
}

[[noreturn]] void bad_numeric() {
  throw Error(ErrorKind::kSource, "read COPY stream", "binary COPY", "malformed numeric value");
}

}  // namespace

bool describe_column(const ResultColumn& column, ColumnType* out) {
  out->name = column.name;
  out->precision = 0;
  out->scale = 0;
  switch (column.type_oid) {
    case oid::kBool:
      out->kind = ValueKind::kBool;
      return true;
    case oid::kInt2:
      out->kind = ValueKind::kInt16;
      return true;
    case oid::kInt4:
      out->kind = ValueKind::kInt32;
      return true;
    case oid::kInt8:
    case oid::kOid:
      out->kind = ValueKind::kInt64;
      return true;
    case oid::kFloat4:
      out->kind = ValueKind::kFloat32;
      return true;
    case oid::kFloat8:
      out->kind = ValueKind::kFloat64;
      return true;
    case oid::kText:
    case oid::kVarchar:
    case oid::kBpchar:
    case oid::kName:
    case oid::kChar:
    case oid::kUnknown:
      out->kind = ValueKind::kText;
      return true;
    case oid::kJson:
    case oid::kJsonb:
      out->kind = ValueKind::kJson;
      return true;
    case oid::kDate:
      out->kind = ValueKind::kDate;
      return true;
    case oid::kTime:
      out->kind = ValueKind::kTime;
      return true;
    case oid::kTimestamp:
      out->kind = ValueKind::kTimestamp;
      return true;
    case oid::kTimestamptz:
      out->kind = ValueKind::kTimestampTz;
      return true;
    case oid::kUuid:
      out->kind = ValueKind::kUuid;
      return true;
    case oid::kBytea:
      out->kind = ValueKind::kBytes;
      return true;
    case oid::kNumeric: {
      // typmod = ((precision << 16) | scale) + VARHDRSZ; PostgreSQL 15 stores the scale as
      // an 11-bit signed number (negative scales exist).
      out->kind = ValueKind::kNumericText;
      if (column.type_modifier >= 4) {
        int32_t t = column.type_modifier - 4;
        int precision = (t >> 16) & 0xffff;
        int scale = ((t & 0x7ff) ^ 1024) - 1024;
        if (precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision) {
          out->kind = ValueKind::kDecimal;
          out->precision = precision;
          out->scale = scale;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

std::vector<ColumnType> describe_columns(const std::vector<ResultColumn>& columns) {
  std::vector<ColumnType> types(columns.size());
  std::string bad;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!describe_column(columns[i], &types[i])) {
      if (!bad.empty()) {
        bad += ", ";
      }
      bad += fmt::format("\"{}\" ({})", columns[i].name, pg::type_name(columns[i].type_oid));
    }
  }
  if (!bad.empty()) {
    throw Error(ErrorKind::kUsage, "describe query", "",
                "column type not supported by the binary reader: " + bad)
        .with_hint("cast the column to text in the query, e.g. select col::text as col");
  }
  return types;
}

std::string numeric_to_text(std::string_view binary) {
  NumericHeader h;
  if (!read_numeric(binary, &h)) {
    bad_numeric();
  }
  switch (h.sign) {
    case kNumericNaN:
      return "NaN";
    case kNumericPInf:
      return "Infinity";
    case kNumericNInf:
      return "-Infinity";
    case kNumericPos:
    case kNumericNeg:
      break;
    default:
      bad_numeric();
  }
  auto digit = [&](int i) -> int {
    return i >= 0 && i < h.ndigits ? be16(h.digits + 2 * static_cast<std::ptrdiff_t>(i)) : 0;
  };
  std::string out;
  if (h.sign == kNumericNeg) {
    out += '-';
  }
  // Integer part: digit groups 0..weight, the first without leading zeros.
  if (h.weight < 0) {
    out += '0';
  } else {
    out += std::to_string(digit(0));
    char buf[8];
    for (int i = 1; i <= h.weight; ++i) {
      std::snprintf(buf, sizeof buf, "%04d", digit(i));
      out += buf;
    }
  }
  if (h.dscale > 0) {
    out += '.';
    std::string frac;
    char buf[8];
    for (int i = h.weight + 1; static_cast<int>(frac.size()) < h.dscale; ++i) {
      std::snprintf(buf, sizeof buf, "%04d", digit(i));
      frac += buf;
    }
    frac.resize(h.dscale);
    out += frac;
  }
  return out;
}

namespace {

constexpr __int128 kPow10[] = {
    1,
    10,
    100,
    1000,
    10000,
    100000,
    1000000,
    10000000,
    100000000,
    1000000000,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

__int128 pow10(int n) {
  if (n <= 18) {
    return kPow10[n];
  }
  __int128 v = kPow10[18];
  for (int i = 18; i < n; ++i) {
    v *= 10;
  }
  return v;
}

}  // namespace

CopyBinaryDecoder::CopyBinaryDecoder(std::vector<ColumnType> columns, BatchCallback on_batch)
    : CopyBinaryDecoder(std::move(columns), std::move(on_batch), Limits{}) {}

CopyBinaryDecoder::CopyBinaryDecoder(std::vector<ColumnType> columns, BatchCallback on_batch,
                                     Limits limits)
    : types_(std::move(columns)), on_batch_(std::move(on_batch)), limits_(limits), batch_(types_) {}

void CopyBinaryDecoder::fail(const std::string& message) const {
  throw Error(ErrorKind::kSource, "read COPY stream", "binary COPY",
              fmt::format("{} (after {} rows)", message, rows_));
}

void CopyBinaryDecoder::feed(std::string_view chunk) {
  if (chunk.empty()) {
    return;
  }
  if (pending_.empty()) {
    size_t used = parse(chunk.data(), chunk.size());
    pending_.assign(chunk.data() + used, chunk.size() - used);
    return;
  }
  pending_.append(chunk);
  size_t used = parse(pending_.data(), pending_.size());
  pending_.erase(0, used);
}

void CopyBinaryDecoder::finish() {
  if (state_ != State::kDone) {
    fail(state_ == State::kHeader ? "stream ended before the binary COPY header"
                                  : "stream ended without the binary COPY trailer");
  }
  if (!pending_.empty()) {
    fail("bytes after the binary COPY trailer");
  }
  if (batch_.num_rows() > 0) {
    flush_batch();
  }
}

bool CopyBinaryDecoder::parse_header(const char* data, size_t size, size_t* used) {
  if (size < kHeaderFixed) {
    if (std::memcmp(data, kSignature, std::min(size, sizeof kSignature)) != 0) {
      fail("not a binary COPY stream (bad signature)");
    }
    return false;
  }
  if (std::memcmp(data, kSignature, sizeof kSignature) != 0) {
    fail("not a binary COPY stream (bad signature)");
  }
  uint32_t flags = be32(data + 11);
  if (flags & kFlagOids) {
    fail("binary COPY stream includes OIDs, which is not supported");
  }
  if (flags & 0xffff0000u & ~kFlagOids) {
    fail("binary COPY header has unknown critical flags");
  }
  uint32_t ext = be32(data + 15);
  if (size < kHeaderFixed + ext) {
    return false;
  }
  *used = kHeaderFixed + ext;
  return true;
}

size_t CopyBinaryDecoder::parse(const char* data, size_t size) {
  size_t pos = 0;
  if (state_ == State::kHeader) {
    size_t used = 0;
    if (!parse_header(data, size, &used)) {
      return 0;
    }
    pos = used;
    state_ = State::kTuples;
  }
  const size_t ncols = types_.size();
  while (state_ == State::kTuples) {
    if (size - pos < 2) {
      break;
    }
    int16_t nfields = static_cast<int16_t>(be16(data + pos));
    if (nfields == -1) {
      state_ = State::kDone;
      pos += 2;
      break;
    }
    if (static_cast<size_t>(nfields) != ncols) {
      fail(fmt::format("tuple has {} fields, expected {}", nfields, ncols));
    }
    // A tuple is decoded only once all of it is here, so a batch never holds half a row.
    size_t p = pos + 2;
    bool complete = true;
    for (size_t c = 0; c < ncols; ++c) {
      if (size - p < 4) {
        complete = false;
        break;
      }
      int32_t len = static_cast<int32_t>(be32(data + p));
      p += 4;
      if (len < -1) {
        fail(fmt::format("negative field length {}", len));
      }
      if (len > 0) {
        if (size - p < static_cast<size_t>(len)) {
          complete = false;
          break;
        }
        p += len;
      }
    }
    if (!complete) {
      break;
    }
    p = pos + 2;
    for (size_t c = 0; c < ncols; ++c) {
      int32_t len = static_cast<int32_t>(be32(data + p));
      p += 4;
      if (len == -1) {
        batch_.column(c).append_null();
      } else {
        decode_field(c, data + p, len);
        p += len;
      }
    }
    pos = p;
    ++rows_;
    if (batch_.num_rows() >= limits_.max_rows || batch_.arena_bytes() >= limits_.max_bytes) {
      flush_batch();
    }
  }
  if (state_ == State::kDone && pos < size) {
    fail("bytes after the binary COPY trailer");
  }
  return pos;
}

void CopyBinaryDecoder::flush_batch() {
  on_batch_(batch_);
  batch_.clear();
}

void CopyBinaryDecoder::decode_field(size_t col, const char* p, int32_t len) {
  format::Column& column = batch_.column(col);
  const ColumnType& type = types_[col];
  auto expect_len = [&](int32_t want) {
    if (len != want) {
      fail(fmt::format("column \"{}\": field of {} bytes, expected {}", type.name, len, want));
    }
  };
  switch (type.kind) {
    case ValueKind::kBool:
      expect_len(1);
      column.append_int(*p != 0);
      return;
    case ValueKind::kInt16:
      expect_len(2);
      column.append_int(static_cast<int16_t>(be16(p)));
      return;
    case ValueKind::kInt32:
      expect_len(4);
      column.append_int(static_cast<int32_t>(be32(p)));
      return;
    case ValueKind::kInt64:
      if (len == 4) {  // oid: unsigned 32-bit
        column.append_int(be32(p));
        return;
      }
      expect_len(8);
      column.append_int(static_cast<int64_t>(be64(p)));
      return;
    case ValueKind::kFloat32:
      expect_len(4);
      column.append_double(std::bit_cast<float>(be32(p)));
      return;
    case ValueKind::kFloat64:
      expect_len(8);
      column.append_double(std::bit_cast<double>(be64(p)));
      return;
    case ValueKind::kDate:
      expect_len(4);
      column.append_int(static_cast<int32_t>(be32(p)));
      return;
    case ValueKind::kTime:
    case ValueKind::kTimestamp:
    case ValueKind::kTimestampTz:
      expect_len(8);
      column.append_int(static_cast<int64_t>(be64(p)));
      return;
    case ValueKind::kUuid:
      expect_len(16);
      column.append_bytes(std::string_view(p, 16));
      return;
    case ValueKind::kText:
    case ValueKind::kBytes:
      column.append_bytes(std::string_view(p, len));
      return;
    case ValueKind::kJson:
      // jsonb's binary form is a version byte (1) followed by the JSON text; json has none.
      // The two share a kind, so tell them apart by that byte: JSON text never starts \x01.
      if (len > 0 && p[0] == 1) {
        column.append_bytes(std::string_view(p + 1, len - 1));
      } else {
        column.append_bytes(std::string_view(p, len));
      }
      return;
    case ValueKind::kNumericText:
      column.arena().append(numeric_to_text(std::string_view(p, len)));
      column.commit_bytes();
      return;
    case ValueKind::kDecimal: {
      NumericHeader h;
      if (!read_numeric(std::string_view(p, len), &h)) {
        bad_numeric();
      }
      if (h.sign != kNumericPos && h.sign != kNumericNeg) {
        fail(fmt::format("column \"{}\": numeric {} cannot be held as DECIMAL({},{})", type.name,
                         numeric_to_text(std::string_view(p, len)), type.precision, type.scale));
      }
      // value = sum(d[i] * 10000^(weight-i)); unscaled = value * 10^scale.
      __int128 v = 0;
      for (int i = 0; i < h.ndigits; ++i) {
        __int128 d = be16(h.digits + 2 * static_cast<std::ptrdiff_t>(i));
        int exp10 = 4 * (h.weight - i) + type.scale;
        if (exp10 >= 0) {
          if (exp10 > 38) {
            fail(fmt::format("column \"{}\": numeric out of range", type.name));
          }
          v += d * pow10(exp10);
        } else if (exp10 > -4) {
          v += d / pow10(-exp10);  // digits below the declared scale are zero
        }
      }
      column.append_decimal(h.sign == kNumericNeg ? -v : v);
      return;
    }
  }
}

}  // namespace cu::engine
