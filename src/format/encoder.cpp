#include "format/encoder.h"

#include <fmt/format.h>

#include <cstring>

#include "base/error.h"
#include "format/csv_encoder.h"
#include "format/fixedwidth_encoder.h"
#include "format/text_encoder.h"

namespace cu::format {

void validate(const DelimitedOptions& o) {
  auto fail = [](std::string message) {
    throw Error(ErrorKind::kUsage, "validate options", "", std::move(message));
  };
  // Redshift's own wording where it is known ("ADDQUOTES is not supported for UNLOAD to
  // CSV" is quoted in awsdocs/amazon-redshift-developer-guide#25).
  if (o.format == DelimitedFormat::kCsv && o.addquotes) {
    fail("ADDQUOTES is not supported for UNLOAD to CSV");
  }
  if (o.format == DelimitedFormat::kCsv && o.escape) {
    fail("ESCAPE is not supported for UNLOAD to CSV");
  }
  if (o.format == DelimitedFormat::kFixedWidth) {
    // docs/redshift-unload.md#s1.3: FIXEDWIDTH is not combinable with DELIMITER or HEADER (nor
    // ADDQUOTES).
    if (o.delimiter) {
      fail("FIXEDWIDTH cannot be used with DELIMITER");
    }
    if (o.header) {
      fail("FIXEDWIDTH cannot be used with HEADER");
    }
    if (o.addquotes) {
      fail("FIXEDWIDTH cannot be used with ADDQUOTES");
    }
  }
  unsigned char d = static_cast<unsigned char>(o.effective_delimiter());
  if (d >= 0x80) {
    fail("DELIMITER must be a single ASCII character");
  }
  if (d == '\n' || d == '\r' || d == '\0') {
    fail(fmt::format("DELIMITER cannot be the byte 0x{:02x}: it would split records", d));
  }
  if (o.format == DelimitedFormat::kCsv && d == '"') {
    fail("DELIMITER cannot be '\"' for CSV: it is the quote character");
  }
  if (o.null_as.find_first_of("\n\r") != std::string::npos) {
    fail("NULL AS cannot hold a line break: it would split records");
  }
}

std::string_view redshift_value(ValueClass value_class, std::string_view v) {
  if (value_class == ValueClass::kFloat && !v.empty() && (v[0] == 'N' || v.back() == 'y')) {
    if (v == "NaN") {
      return "nan";
    }
    if (v == "Infinity") {
      return "inf";
    }
    if (v == "-Infinity") {
      return "-inf";
    }
  } else if (value_class == ValueClass::kBinary && v.starts_with("\\x")) {
    v.remove_prefix(2);
  }
  return v;
}

bool append_row_verbatim(std::string_view copy_row, char delimiter, std::string_view also_refused,
                         bool no_empty, std::string& out) {
  const char* row = copy_row.data();
  size_t n = copy_row.size();
  if (no_empty && (n == 0 || row[0] == '\t' || row[n - 1] == '\t' ||
                   copy_row.find("\t\t") != std::string_view::npos)) {
    return false;
  }
  if (std::memchr(row, '\\', n) != nullptr) {
    return false;
  }
  for (char c : also_refused) {
    if (c != '\t' && std::memchr(row, c, n) != nullptr) {
      return false;
    }
  }
  size_t old = out.size();
  out.append(copy_row);
  if (delimiter != '\t') {
    char* p = out.data() + old;
    for (size_t i = 0; i < n; ++i) {
      p[i] = p[i] == '\t' ? delimiter : p[i];
    }
  }
  out += '\n';
  return true;
}

std::unique_ptr<RowEncoder> make_delimited_encoder(const DelimitedOptions& options,
                                                   std::vector<OutputColumn> columns) {
  validate(options);
  if (options.format == DelimitedFormat::kCsv) {
    return std::make_unique<CsvEncoder>(options, std::move(columns));
  }
  if (options.format == DelimitedFormat::kFixedWidth) {
    return std::make_unique<FixedWidthEncoder>(options, std::move(columns));
  }
  return std::make_unique<TextEncoder>(options, std::move(columns));
}

}  // namespace cu::format
