#pragma once
// ThriftCompactWriter — the writing half of Apache Thrift's compact protocol, just what the
// Parquet footer (FileMetaData) and page headers need: structs, fields of type bool, i8,
// i32, i64, binary, struct and list. Field ids are written as deltas from the previous
// field of the same struct, integers as zigzag varints (Thrift's compact-protocol spec).
//
//   std::string out;
//   ThriftCompactWriter w(&out);
//   w.struct_begin();
//   w.field_i32(1, 3);          // 0x15 0x06
//   w.field_binary(4, "a");     // 0x38 0x01 'a'
//   w.struct_end();             // 0x00
//
// Fields must be written in increasing id order within a struct (we always do; it keeps
// deltas small). Reading is left to the readers we test against (DuckDB).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cu::format {

class ThriftCompactWriter {
 public:
  // Compact-protocol type codes (as they appear in field headers and list headers).
  enum Type : uint8_t {
    kBoolTrue = 1,
    kBoolFalse = 2,
    kByte = 3,
    kI16 = 4,
    kI32 = 5,
    kI64 = 6,
    kDouble = 7,
    kBinary = 8,
    kList = 9,
    kSet = 10,
    kMap = 11,
    kStruct = 12,
  };

  explicit ThriftCompactWriter(std::string* out) : out_(out) {}

  // A struct: the top-level one, a struct-typed field (after field_struct) or a list element.
  void struct_begin() { last_field_.push_back(0); }
  void struct_end() {
    out_->push_back(0);  // STOP
    last_field_.pop_back();
  }

  void field_bool(int16_t id, bool v) { field_header(id, v ? kBoolTrue : kBoolFalse); }
  void field_i8(int16_t id, int8_t v) {
    field_header(id, kByte);
    out_->push_back(static_cast<char>(v));
  }
  void field_i16(int16_t id, int16_t v) {
    field_header(id, kI16);
    varint(zigzag32(v));
  }
  void field_i32(int16_t id, int32_t v) {
    field_header(id, kI32);
    varint(zigzag32(v));
  }
  void field_i64(int16_t id, int64_t v) {
    field_header(id, kI64);
    varint(zigzag64(v));
  }
  void field_binary(int16_t id, std::string_view v) {
    field_header(id, kBinary);
    binary(v);
  }
  // Header of a struct-typed field; follow with struct_begin() … struct_end().
  void field_struct(int16_t id) { field_header(id, kStruct); }
  // Header of a list-typed field; follow with `size` elements of `element_type`.
  void field_list(int16_t id, Type element_type, size_t size) {
    field_header(id, kList);
    list_header(element_type, size);
  }

  // List elements.
  void element_i32(int32_t v) { varint(zigzag32(v)); }
  void element_binary(std::string_view v) { binary(v); }

  // Low-level pieces, public for tests.
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  static uint32_t zigzag32(int32_t v) {
    return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
  }
  static uint64_t zigzag64(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }

 private:
  void field_header(int16_t id, uint8_t type) {
    int16_t& last = last_field_.back();
    int delta = id - last;
    if (delta > 0 && delta <= 15) {
      out_->push_back(static_cast<char>((delta << 4) | type));
    } else {
      out_->push_back(static_cast<char>(type));
      varint(zigzag32(id));
    }
    last = id;
  }
  void list_header(Type element_type, size_t size) {
    if (size < 15) {
      out_->push_back(static_cast<char>((size << 4) | element_type));
    } else {
      out_->push_back(static_cast<char>(0xf0 | element_type));
      varint(size);
    }
  }
  void binary(std::string_view v) {
    varint(v.size());
    out_->append(v);
  }

  std::string* out_;
  std::vector<int16_t> last_field_;
};

}  // namespace cu::format
