#include "format/fixedwidth_encoder.h"

#include <fmt/format.h>

#include <optional>

#include "base/error.h"

namespace cu::format {
namespace {

bool escapes(char c) { return c == '\n' || c == '\r' || c == '\\'; }

void append_escaped(std::string_view v, std::string& out) {
  for (char c : v) {
    if (escapes(c)) {
      out += '\\';
    }
    out += c;
  }
}

}  // namespace

FixedWidthEncoder::FixedWidthEncoder(const DelimitedOptions& options,
                                     std::vector<OutputColumn> columns)
    : options_(options), columns_(std::move(columns)) {
  for (const auto& c : columns_) {
    if (c.width == 0) {
      throw Error(ErrorKind::kUsage, "validate options", "FIXEDWIDTH",
                  fmt::format("FIXEDWIDTH gives column \"{}\" no width", c.name));
    }
  }
  append_escaped(options_.null_as, escaped_null_);
}

void FixedWidthEncoder::encode_header(std::string&) {}

void FixedWidthEncoder::too_wide(size_t column, size_t bytes, const char* what) const {
  const OutputColumn& c = columns_[column];
  throw Error(ErrorKind::kUsage, "unload", c.name,
              fmt::format("{} of column \"{}\" in row {} of the result is {} bytes, wider than "
                          "its FIXEDWIDTH width {}; UNLOAD never truncates",
                          what, c.name, rows_, bytes, c.width))
      .with_hint(fmt::format("give \"{}\" a larger width in FIXEDWIDTH, or shorten the value "
                             "in the query (e.g. left(\"{}\", {}))",
                             c.name, c.name, c.width));
}

void FixedWidthEncoder::encode_row(std::string_view copy_row, std::string& out) {
  ++rows_;
  fields_.reset(copy_row);
  std::string_view value;
  bool is_null;
  size_t i = 0;
  while (fields_.next(value, is_null) && i < columns_.size()) {
    const OutputColumn& col = columns_[i];
    const bool character = col.value_class == ValueClass::kCharacter;
    const bool escape = options_.escape && character;
    std::string_view v;
    if (is_null) {
      v = escape ? std::string_view(escaped_null_) : std::string_view(options_.null_as);
      if (v.size() > col.width) {
        // docs/redshift-unload.md#s5.5: a NULL string wider than the column is an empty field in a
        // non-character column and an error in a character column.
        if (character) {
          too_wide(i, v.size(), "the NULL AS string");
        }
        v = {};
      }
    } else {
      v = redshift_value(col.value_class, value);
      if (escape) {
        scratch_.clear();
        append_escaped(v, scratch_);
        v = scratch_;
      }
      if (v.size() > col.width) {
        too_wide(i, v.size(), "a value");
      }
    }
    out.append(v);
    out.append(col.width - v.size(), ' ');
    ++i;
  }
  out += '\n';
}

std::vector<uint32_t> resolve_fixed_widths(const std::vector<unload::FixedWidthColumn>& spec,
                                           const std::vector<std::string>& result_columns,
                                           const std::vector<size_t>& output_columns) {
  auto fail = [](std::string message) {
    return Error(ErrorKind::kUsage, "validate options", "FIXEDWIDTH", std::move(message))
        .with_hint(
            "write FIXEDWIDTH 'col:width,…' with one entry per column of the query, by "
            "name or 0-based index, e.g. 'venueid:3,venuename:39' or '0:3,1:39'");
  };
  std::vector<std::optional<uint32_t>> by_result(result_columns.size());
  for (const auto& e : spec) {
    std::optional<size_t> index;
    bool digits =
        !e.column.empty() && e.column.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      if (e.column.size() < 10 && std::stoul(e.column) < result_columns.size()) {
        index = std::stoul(e.column);
      }
    }
    if (!index) {
      // A name; a digit string that is no valid index may still be a column's name.
      for (size_t i = 0; i < result_columns.size(); ++i) {
        if (result_columns[i] == e.column) {
          index = i;
          break;
        }
      }
    }
    if (!index) {
      throw fail(
          fmt::format("FIXEDWIDTH names column '{}', which is not in the query result", e.column));
    }
    if (by_result[*index]) {
      throw fail(fmt::format("FIXEDWIDTH gives column \"{}\" more than one width",
                             result_columns[*index]));
    }
    by_result[*index] = e.width;
  }
  std::vector<uint32_t> out;
  for (size_t i : output_columns) {
    if (!by_result[i]) {
      throw fail(fmt::format("FIXEDWIDTH gives column \"{}\" no width", result_columns[i]));
    }
    out.push_back(*by_result[i]);
  }
  return out;
}

}  // namespace cu::format
