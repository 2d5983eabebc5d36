#include "engine/value_class.h"

#include "pg/types.h"

namespace cu::engine {

format::ValueClass value_class_of(uint32_t oid) {
  using VC = format::ValueClass;
  const pg::TypeInfo* t = pg::find_type(oid);
  if (t == nullptr) {
    return VC::kCharacter;
  }
  switch (t->category) {
    case pg::TypeCategory::kInteger:
    case pg::TypeCategory::kNumeric:
      return VC::kNumber;
    case pg::TypeCategory::kFloat:
      return VC::kFloat;
    case pg::TypeCategory::kBoolean:
      return VC::kBoolean;
    case pg::TypeCategory::kDateTime:
      return VC::kDateTime;
    case pg::TypeCategory::kBinary:
      return VC::kBinary;
    case pg::TypeCategory::kTimespan:
    case pg::TypeCategory::kString:
    case pg::TypeCategory::kJson:
    case pg::TypeCategory::kUuid:
      return VC::kCharacter;
  }
  return VC::kCharacter;
}

}  // namespace cu::engine
