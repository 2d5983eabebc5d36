#include "format/json_writer.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "base/error.h"

namespace cu::format {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_2(int v, std::string& out) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// Days since 1970-01-01 → proleptic Gregorian (y, m, d) (H. Hinnant's civil_from_days).
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

constexpr int64_t kPgEpochDays = 10957;
constexpr int64_t kMicrosPerDay = 86400000000LL;

void append_ymd(int64_t days_since_unix, bool* bc, std::string& out) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days_since_unix, &y, &m, &d);
  // PostgreSQL has no year 0: year 0 is 1 BC, printed "0001-… BC".
  *bc = y <= 0;
  if (*bc) {
    y = 1 - y;
  }
  fmt::format_to(std::back_inserter(out), "{:04d}-", y);
  append_2(static_cast<int>(m), out);
  out.push_back('-');
  append_2(static_cast<int>(d), out);
}

void append_hms(int64_t micros, std::string& out) {
  int64_t secs = micros / 1000000;
  int64_t frac = micros % 1000000;
  append_2(static_cast<int>(secs / 3600), out);
  out.push_back(':');
  append_2(static_cast<int>(secs / 60 % 60), out);
  out.push_back(':');
  append_2(static_cast<int>(secs % 60), out);
  if (frac != 0) {
    char buf[24];
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    std::string_view f(buf);
    while (f.back() == '0') {
      f.remove_suffix(1);  // PostgreSQL trims trailing zeros
    }
    out.append(f);
  }
}

}  // namespace

void append_json_string(std::string_view v, std::string& out) {
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(v.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(v.data() + start, v.size() - start);
  out.push_back('"');
}

void append_date(int64_t pg_days, std::string& out) {
  if (pg_days == INT32_MAX) {
    return out.append("infinity"), void();
  }
  if (pg_days == INT32_MIN) {
    return out.append("-infinity"), void();
  }
  bool bc;
  append_ymd(pg_days + kPgEpochDays, &bc, out);
  if (bc) {
    out.append(" BC");
  }
}

void append_time(int64_t micros, std::string& out) { append_hms(micros, out); }

void append_timestamp(int64_t pg_micros, std::string& out) { append_timestamp(pg_micros, "", out); }

void append_timestamp(int64_t pg_micros, std::string_view zone, std::string& out) {
  if (pg_micros == INT64_MAX) {
    return out.append("infinity"), void();
  }
  if (pg_micros == INT64_MIN) {
    return out.append("-infinity"), void();
  }
  int64_t days = pg_micros / kMicrosPerDay;
  int64_t rem = pg_micros % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  bool bc;
  append_ymd(days + kPgEpochDays, &bc, out);
  out.push_back(' ');
  append_hms(rem, out);
  out.append(zone);  // PostgreSQL puts the zone before the era: "… 12:00:00+00 BC"
  if (bc) {
    out.append(" BC");
  }
}

void append_decimal(__int128 unscaled, int scale, std::string& out) {
  auto u = static_cast<unsigned __int128>(unscaled < 0 ? -unscaled : unscaled);
  char buf[48];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  } while (u != 0);
  while (n <= scale) {
    buf[n++] = '0';  // at least one digit before the point
  }
  if (unscaled < 0) {
    out.push_back('-');
  }
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(buf[i]);
    if (i == scale && scale > 0) {
      out.push_back('.');
    }
  }
}

JsonWriter::JsonWriter(std::vector<ColumnType> columns) : columns_(std::move(columns)) {
  std::set<std::string> seen;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!seen.insert(columns_[i].name).second) {
      throw Error(ErrorKind::kUsage, "check columns", "",
                  fmt::format("column name \"{}\" appears more than once; JSON keys must be "
                              "unique",
                              columns_[i].name))
          .with_hint("give the columns distinct names with AS in the query");
    }
    std::string key = i == 0 ? "" : ",";
    append_json_string(columns_[i].name, key);
    key.push_back(':');
    keys_.push_back(std::move(key));
  }
}

void JsonWriter::write(const ColumnBatch& batch, std::string& out) const {
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    write_row(batch, row, out);
  }
}

void JsonWriter::write_row(const ColumnBatch& batch, size_t row, std::string& out) const {
  out.push_back('{');
  for (size_t c = 0; c < columns_.size(); ++c) {
    out.append(keys_[c]);
    const Column& col = batch.column(c);
    if (col.is_null(row)) {
      out.append("null");
      continue;
    }
    switch (columns_[c].kind) {
      case ValueKind::kBool:
        out.append(col.int_at(row) ? "true" : "false");
        break;
      case ValueKind::kInt16:
      case ValueKind::kInt32:
      case ValueKind::kInt64: {
        fmt::format_int digits(col.int_at(row));
        out.append(digits.data(), digits.size());
        break;
      }
      case ValueKind::kFloat32:
      case ValueKind::kFloat64: {
        double d = col.double_at(row);
        // Not JSON numbers: strings in Redshift's float spelling (as in its text output).
        if (std::isnan(d)) {
          out.append("\"nan\"");
        } else if (std::isinf(d)) {
          out.append(d > 0 ? "\"inf\"" : "\"-inf\"");
        } else if (columns_[c].kind == ValueKind::kFloat32) {
          // Shortest text that reads back as the same float4, as PostgreSQL prints it.
          fmt::format_to(std::back_inserter(out), "{}", static_cast<float>(d));
        } else {
          fmt::format_to(std::back_inserter(out), "{}", d);
        }
        break;
      }
      case ValueKind::kDecimal:
        append_decimal(col.decimal_at(row), columns_[c].scale, out);
        break;
      case ValueKind::kNumericText: {
        std::string_view v = col.bytes_at(row);
        // NaN and ±Infinity are not JSON numbers.
        if (v.find_first_of("NI") != std::string_view::npos) {
          append_json_string(v, out);
        } else {
          out.append(v);
        }
        break;
      }
      case ValueKind::kText:
        append_json_string(col.bytes_at(row), out);
        break;
      case ValueKind::kJson:
        out.append(col.bytes_at(row));
        break;
      case ValueKind::kDate:
        out.push_back('"');
        append_date(col.int_at(row), out);
        out.push_back('"');
        break;
      case ValueKind::kTime:
        out.push_back('"');
        append_time(col.int_at(row), out);
        out.push_back('"');
        break;
      case ValueKind::kTimestamp:
        out.push_back('"');
        append_timestamp(col.int_at(row), out);
        out.push_back('"');
        break;
      case ValueKind::kTimestampTz: {
        out.push_back('"');
        append_timestamp(col.int_at(row), "+00", out);
        out.push_back('"');
        break;
      }
      case ValueKind::kUuid: {
        std::string_view u = col.bytes_at(row);
        out.push_back('"');
        for (size_t i = 0; i < u.size(); ++i) {
          if (i == 4 || i == 6 || i == 8 || i == 10) {
            out.push_back('-');
          }
          auto b = static_cast<unsigned char>(u[i]);
          out.push_back(kHex[b >> 4]);
          out.push_back(kHex[b & 15]);
        }
        out.push_back('"');
        break;
      }
      case ValueKind::kBytes: {
        std::string_view b = col.bytes_at(row);
        out.push_back('"');
        for (unsigned char x : b) {
          out.push_back(kHex[x >> 4]);
          out.push_back(kHex[x & 15]);
        }
        out.push_back('"');
        break;
      }
    }
  }
  out.append("}\n");
}

}  // namespace cu::format
