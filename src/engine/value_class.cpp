#include "engine/value_class.h"

namespace cu::engine {

format::ValueClass value_class_of(uint32_t oid) {
  using VC = format::ValueClass;
  switch (oid) {
    case 20:
    case 21:
    case 23:
    case 26:
    case 1700:
      return VC::kNumber;  // int8/2/4, oid, numeric
    case 700:
    case 701:
      return VC::kFloat;  // float4, float8
    case 16:
      return VC::kBoolean;
    case 1082:
    case 1083:
    case 1114:
    case 1184:
    case 1266:
      return VC::kDateTime;
    case 17:
      return VC::kBinary;  // bytea
    default:
      return VC::kCharacter;
  }
}

}  // namespace cu::engine
