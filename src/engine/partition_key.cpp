#include "engine/partition_key.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "engine/copy_binary_decoder.h"
#include "format/json_writer.h"
#include "unload/validate.h"

namespace cu::engine {

PartitionKeys::PartitionKeys(const unload::UnloadSpec& spec,
                             const std::vector<pg::SourceColumn>& columns, std::string prefix)
    : prefix_(std::move(prefix)), kept_(columns.size(), true) {
  if (spec.partition_by) {
    // Redshift's rules for keys (they exist, are of a key type, leave another column).
    std::vector<unload::ResultColumn> described;
    described.reserve(columns.size());
    for (const auto& c : columns) {
      described.push_back({c.name, pg::type_name(c.type_oid)});
    }
    unload::validate_partition_columns(spec, described);
    include_ = spec.partition_by->include;
    for (const auto& name : spec.partition_by->columns) {
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const pg::SourceColumn& c) { return c.name == name; });
      size_t i = static_cast<size_t>(it - columns.begin());
      key_idx_.push_back(i);
      key_is_bool_.push_back(it->type_oid == pg::oid::kBool);
      values_.push_back({name, std::nullopt});
      if (!include_) {
        kept_[i] = false;
      }
    }
  }
  for (size_t i = 0; i < kept_.size(); ++i) {
    if (kept_[i]) {
      kept_idx_.push_back(i);
    }
  }
}

const std::string& PartitionKeys::folder_of_text(std::string_view row, std::string_view& data_row) {
  raw_.clear();
  size_t p = 0;
  for (;;) {
    size_t tab = row.find('\t', p);
    raw_.push_back(row.substr(p, tab == std::string_view::npos ? tab : tab - p));
    if (tab == std::string_view::npos) {
      break;
    }
    p = tab + 1;
  }
  for (size_t k = 0; k < key_idx_.size(); ++k) {
    std::string_view v;
    bool is_null = false;
    fields_.reset(raw_[key_idx_[k]]);
    fields_.next(v, is_null);
    if (!is_null && key_is_bool_[k]) {
      v = v == "t" ? "true" : "false";  // as the binary path and Hive spell them
    }
    values_[k].value = is_null ? std::nullopt : std::optional<std::string>(v);
  }
  data_row = row;
  if (!include_) {
    data_row_.clear();
    bool first = true;
    for (size_t i = 0; i < raw_.size(); ++i) {
      if (!kept_[i]) {
        continue;
      }
      if (!first) {
        data_row_ += '\t';
      }
      first = false;
      data_row_.append(raw_[i]);
    }
    data_row = data_row_;
  }
  folder_ = unload::partition_prefix(prefix_, values_);
  return folder_;
}

const std::string& PartitionKeys::folder_of_typed(const format::ColumnBatch& b, size_t r) {
  for (size_t k = 0; k < key_idx_.size(); ++k) {
    values_[k].value = partition_text(b.column(key_idx_[k]), r);
  }
  folder_ = unload::partition_prefix(prefix_, values_);
  return folder_;
}

// float4out/float8out: the shortest digits that read back to the same value, in fixed
// notation when the decimal exponent e is -4 ≤ e < 6 (real) or < 15 (double precision),
// else d.ddde±XX; NaN and [-]Infinity spelled out. Partition folders use it so the binary
// COPY path (JSON, Parquet) names the same folders as the text path, which gets
// PostgreSQL's text itself.
std::string pg_float_text(double v, bool real) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "Infinity" : "-Infinity";
  }
  char buf[64];
  auto done = real ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                   std::chars_format::scientific)
                   : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(done.ptr - buf));  // -d.ddde±XX
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits(1, sci.front());
  if (e > 1) {
    digits.append(sci.substr(2, e - 2));
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= (real ? 6 : 15)) {
    out += digits.front();
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += exp < 0 ? "e-" : "e+";
    out += fmt::format("{:02d}", std::abs(exp));
  } else if (exp < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exp - 1), '0');
    out += digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(exp) + 1);
    out += '.';
    out.append(digits, static_cast<size_t>(exp) + 1);
  }
  return out;
}

std::optional<std::string> partition_text(const format::Column& c, size_t r) {
  using K = format::ValueKind;
  if (c.is_null(r)) {
    return std::nullopt;
  }
  std::string s;
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c.type().kind) {
    case K::kBool:
      return c.int_at(r) ? "true" : "false";
    case K::kInt16:
    case K::kInt32:
    case K::kInt64:
      return std::to_string(c.int_at(r));
    case K::kFloat32:
      return pg_float_text(c.double_at(r), true);
    case K::kFloat64:
      return pg_float_text(c.double_at(r), false);
    case K::kDecimal:
      format::append_decimal(c.decimal_at(r), c.type().scale, s);
      return s;
    case K::kDate:
      format::append_date(c.int_at(r), s);
      return s;
    case K::kTime:
      format::append_time(c.int_at(r), s);
      return s;
    case K::kTimestamp:
      format::append_timestamp(c.int_at(r), s);
      return s;
    case K::kTimestampTz:
      format::append_timestamp(c.int_at(r), s);
      return s + "+00";
    case K::kUuid: {
      auto b = c.bytes_at(r);
      for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
          s += '-';
        }
        s += kHex[static_cast<unsigned char>(b[i]) >> 4];
        s += kHex[static_cast<unsigned char>(b[i]) & 15];
      }
      return s;
    }
    case K::kBytes: {
      for (unsigned char ch : c.bytes_at(r)) {
        s += kHex[ch >> 4];
        s += kHex[ch & 15];
      }
      return s;
    }
    default:
      return std::string(c.bytes_at(r));
  }
}

}  // namespace cu::engine
