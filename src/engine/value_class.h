#pragma once
// How a PostgreSQL result column is rendered in Redshift's delimited formats: ESCAPE only
// touches character columns; floats and bytea are spelled the Redshift way.
//
//   format::ValueClass vc = engine::value_class_of(column.type_oid);

#include <cstdint>

#include "format/encoder.h"

namespace cu::engine {

format::ValueClass value_class_of(uint32_t type_oid);

}  // namespace cu::engine
