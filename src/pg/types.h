#pragma once
// The PostgreSQL built-in types crossunload knows, in one table: OID (pg_type.oid, fixed for
// built-in types), the name PostgreSQL prints (format_type) and a category that says how a
// value of the type is treated. The binary COPY decoder, the delimited formats' value
// classes, the gateway's replies and the masking casts all read it.
//
//   pg::type_name(pg::oid::kTimestamptz)              -> "timestamp with time zone"
//   pg::find_type(1700)->category == TypeCategory::kNumeric

#include <cstdint>
#include <string>
#include <string_view>

namespace cu::pg {

namespace oid {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kChar = 18;  // "char", one byte
inline constexpr uint32_t kName = 19;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kJson = 114;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kUnknown = 705;
inline constexpr uint32_t kBpchar = 1042;
inline constexpr uint32_t kVarchar = 1043;
inline constexpr uint32_t kDate = 1082;
inline constexpr uint32_t kTime = 1083;
inline constexpr uint32_t kTimestamp = 1114;
inline constexpr uint32_t kTimestamptz = 1184;
inline constexpr uint32_t kInterval = 1186;
inline constexpr uint32_t kTimetz = 1266;
inline constexpr uint32_t kNumeric = 1700;
inline constexpr uint32_t kUuid = 2950;
inline constexpr uint32_t kJsonb = 3802;
}  // namespace oid

// How a type's values are treated (close to pg_type.typcategory, with floats and integers
// apart: Redshift's delimited formats spell them differently).
enum class TypeCategory {
  kBoolean,
  kInteger,   // int2, int4, int8, oid
  kNumeric,   // numeric / decimal
  kFloat,     // real, double precision
  kDateTime,  // date, time, timetz, timestamp, timestamptz
  kTimespan,  // interval
  kString,    // text, varchar, bpchar, name, "char", unknown
  kBinary,    // bytea
  kJson,      // json, jsonb
  kUuid,
};

struct TypeInfo {
  uint32_t oid;
  TypeCategory category;
  std::string_view name;  // as PostgreSQL's format_type prints it, without modifiers
};

inline constexpr TypeInfo kTypes[] = {
    {oid::kBool, TypeCategory::kBoolean, "boolean"},
    {oid::kBytea, TypeCategory::kBinary, "bytea"},
    {oid::kChar, TypeCategory::kString, "\"char\""},
    {oid::kName, TypeCategory::kString, "name"},
    {oid::kInt8, TypeCategory::kInteger, "bigint"},
    {oid::kInt2, TypeCategory::kInteger, "smallint"},
    {oid::kInt4, TypeCategory::kInteger, "integer"},
    {oid::kText, TypeCategory::kString, "text"},
    {oid::kOid, TypeCategory::kInteger, "oid"},
    {oid::kJson, TypeCategory::kJson, "json"},
    {oid::kFloat4, TypeCategory::kFloat, "real"},
    {oid::kFloat8, TypeCategory::kFloat, "double precision"},
    {oid::kUnknown, TypeCategory::kString, "unknown"},
    {oid::kBpchar, TypeCategory::kString, "character"},
    {oid::kVarchar, TypeCategory::kString, "character varying"},
    {oid::kDate, TypeCategory::kDateTime, "date"},
    {oid::kTime, TypeCategory::kDateTime, "time without time zone"},
    {oid::kTimestamp, TypeCategory::kDateTime, "timestamp without time zone"},
    {oid::kTimestamptz, TypeCategory::kDateTime, "timestamp with time zone"},
    {oid::kInterval, TypeCategory::kTimespan, "interval"},
    {oid::kTimetz, TypeCategory::kDateTime, "time with time zone"},
    {oid::kNumeric, TypeCategory::kNumeric, "numeric"},
    {oid::kUuid, TypeCategory::kUuid, "uuid"},
    {oid::kJsonb, TypeCategory::kJson, "jsonb"},
};

// The entry for `type_oid`, or nullptr for a type not in the table (user-defined, arrays…).
constexpr const TypeInfo* find_type(uint32_t type_oid) {
  for (const TypeInfo& t : kTypes) {
    if (t.oid == type_oid) {
      return &t;
    }
  }
  return nullptr;
}

// PostgreSQL's name for a type OID ("integer", "time without time zone"…), "oid <n>" otherwise.
std::string type_name(uint32_t type_oid);

}  // namespace cu::pg
