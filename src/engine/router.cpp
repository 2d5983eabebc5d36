#include "engine/router.h"

namespace cu::engine {

void Lane::add_batch(const format::ColumnBatch& b) {
  std::vector<size_t> all(b.num_columns());
  for (size_t i = 0; i < all.size(); ++i) {
    all[i] = i;
  }
  for (size_t r = 0; r < b.num_rows(); ++r) {
    add_typed_row(b, r, all);
  }
}

void copy_value(const format::Column& src, size_t r, format::Column& dst) {
  using K = format::ValueKind;
  if (src.is_null(r)) {
    dst.append_null();
    return;
  }
  switch (src.type().kind) {
    case K::kFloat32:
    case K::kFloat64:
      dst.append_double(src.double_at(r));
      break;
    case K::kDecimal:
      dst.append_decimal(src.decimal_at(r));
      break;
    case K::kNumericText:
    case K::kText:
    case K::kJson:
    case K::kUuid:
    case K::kBytes:
      dst.append_bytes(src.bytes_at(r));
      break;
    default:
      dst.append_int(src.int_at(r));
  }
}

}  // namespace cu::engine
