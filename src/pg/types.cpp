#include "pg/types.h"

namespace cu::pg {

std::string type_name(uint32_t type_oid) {
  if (const TypeInfo* t = find_type(type_oid)) {
    return std::string(t->name);
  }
  return "oid " + std::to_string(type_oid);
}

}  // namespace cu::pg
