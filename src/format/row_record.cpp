#include "format/row_record.h"

#include <cstring>

#include "base/error.h"

namespace cu::format {
namespace {

template <typename T>
void put_raw(T v, std::string& out) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the host's byte order: only this process reads it
  out.append(b, sizeof(T));
}

[[noreturn]] void truncated() {
  throw Error(ErrorKind::kOther, "spool partitions", "row record",
              "a spooled row ends early: the temporary data is corrupt");
}

template <typename T>
T get_raw(std::string_view& in) {
  if (in.size() < sizeof(T)) {
    truncated();
  }
  T v;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return v;
}

}  // namespace

void append_row_record(const ColumnBatch& batch, size_t row, const std::vector<size_t>& columns,
                       std::string& out) {
  for (size_t c : columns) {
    const Column& col = batch.column(c);
    if (col.is_null(row)) {
      out += '\1';
      continue;
    }
    out += '\0';
    switch (storage_of(col.type().kind)) {
      case Storage::kInts:
        put_raw<int64_t>(col.int_at(row), out);
        break;
      case Storage::kDoubles:
        put_raw<double>(col.double_at(row), out);
        break;
      case Storage::kDecimals:
        put_raw<__int128>(col.decimal_at(row), out);
        break;
      case Storage::kBytes: {
        std::string_view b = col.bytes_at(row);
        uint64_t n = b.size();
        while (n >= 0x80) {
          out += static_cast<char>((n & 0x7f) | 0x80);
          n >>= 7;
        }
        out += static_cast<char>(n);
        out.append(b);
        break;
      }
    }
  }
}

void read_row_record(std::string_view& in, ColumnBatch& dst) {
  for (size_t c = 0; c < dst.num_columns(); ++c) {
    Column& col = dst.column(c);
    if (in.empty()) {
      truncated();
    }
    char flag = in[0];
    in.remove_prefix(1);
    if (flag == '\1') {
      col.append_null();
      continue;
    }
    switch (storage_of(col.type().kind)) {
      case Storage::kInts:
        col.append_int(get_raw<int64_t>(in));
        break;
      case Storage::kDoubles:
        col.append_double(get_raw<double>(in));
        break;
      case Storage::kDecimals:
        col.append_decimal(get_raw<__int128>(in));
        break;
      case Storage::kBytes: {
        uint64_t n = 0;
        for (int shift = 0;; shift += 7) {
          if (in.empty() || shift >= 64) {
            truncated();
          }
          auto b = static_cast<unsigned char>(in[0]);
          in.remove_prefix(1);
          n |= static_cast<uint64_t>(b & 0x7f) << shift;
          if (!(b & 0x80)) {
            break;
          }
        }
        if (n > in.size()) {
          truncated();
        }
        col.append_bytes(in.substr(0, n));
        in.remove_prefix(n);
        break;
      }
    }
  }
}

}  // namespace cu::format
