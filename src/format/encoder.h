#pragma once
// Row encoders for Redshift's delimited formats: they turn rows of PostgreSQL's COPY text
// format (tab-separated, backslash escapes, \N for NULL) into the bytes Redshift's UNLOAD
// writes — its default pipe-delimited text (format/text_encoder.h) or CSV
// (format/csv_encoder.h). docs/formats.md states every rule and the choices made where the
// spec is silent.
//
//   format::DelimitedOptions o;              // text, '|', NULL as empty
//   o.format = format::DelimitedFormat::kCsv;
//   format::validate(o);                     // Redshift's option rules (kUsage)
//   auto enc = format::make_delimited_encoder(o, columns);
//   std::string out;
//   if (o.header) enc->encode_header(out);   // once per file
//   enc->encode_row(copy_row, out);          // appends one line, '\n' included
//
// Encoders append to a caller-owned buffer and keep their scratch space between rows, so
// the per-row path allocates nothing once warm.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cu::format {

// kFixedWidth: Redshift's FIXEDWIDTH text (format/fixedwidth_encoder.h); every column's
// OutputColumn::width is then required.
enum class DelimitedFormat { kText, kCsv, kFixedWidth };

// The UNLOAD options that shape delimited output (docs/redshift-unload.md#s1.3, #s5.1, #s5.2).
struct DelimitedOptions {
  DelimitedFormat format = DelimitedFormat::kText;
  char delimiter = 0;      // 0: the format's default, '|' for text, ',' for CSV
  std::string null_as;     // NULL AS; empty = zero-length field (the default)
  bool header = false;     // HEADER
  bool escape = false;     // ESCAPE (text only)
  bool addquotes = false;  // ADDQUOTES (text only)

  char effective_delimiter() const {
    return delimiter ? delimiter : (format == DelimitedFormat::kCsv ? ',' : '|');
  }
};

// Throws cu::Error(kUsage, "validate options", …) for combinations Redshift refuses
// (ADDQUOTES or ESCAPE with CSV; DELIMITER, HEADER or ADDQUOTES with FIXEDWIDTH) and
// delimiters that cannot work (not one ASCII character, LF, CR, NUL; '"' for CSV).
void validate(const DelimitedOptions& options);

// What an encoder must know of a column: its name (for HEADER) and which rendering rules
// apply. Redshift's ESCAPE only touches character columns; floats and binary values are
// spelled differently by Redshift than by PostgreSQL.
enum class ValueClass {
  kCharacter,  // CHAR, VARCHAR, TEXT, and types Redshift lacks (json, uuid, arrays, …)
  kNumber,     // integers, NUMERIC
  kFloat,      // REAL, DOUBLE PRECISION: NaN/Infinity become nan/inf/-inf
  kBoolean,
  kDateTime,  // DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ
  kBinary,    // VARBYTE (bytea): hexadecimal digits without PostgreSQL's "\x"
};

struct OutputColumn {
  std::string name;
  ValueClass value_class = ValueClass::kCharacter;
  uint32_t width = 0;  // FIXEDWIDTH only: the field's width in bytes
};

class RowEncoder {
 public:
  virtual ~RowEncoder() = default;
  // Appends the header line (column names, same delimiter/quoting/escaping as values).
  virtual void encode_header(std::string& out) = 0;
  // Appends one record for a COPY text row (without its '\n'), terminated by '\n'.
  virtual void encode_row(std::string_view copy_row, std::string& out) = 0;
};

std::unique_ptr<RowEncoder> make_delimited_encoder(const DelimitedOptions& options,
                                                   std::vector<OutputColumn> columns);

}  // namespace cu::format

namespace cu::format {

// PostgreSQL's text of a non-NULL value as Redshift spells it: floats' NaN, Infinity and
// -Infinity become nan, inf, -inf (docs/redshift-unload.md#s5.1); bytea's "\x4142" becomes "4142"
// (VARBYTE is unloaded as hexadecimal, docs/redshift-unload.md#s5.6). Everything else is returned
// unchanged.
std::string_view redshift_value(ValueClass value_class, std::string_view pg_text);

// The encoders' fast path: a COPY text row none of whose values needs rewriting (no
// backslash: no NULL, nothing escaped; the caller checks the rest) is appended as it is,
// with the field-separating TABs turned into `delimiter`, plus the LF. Columns must have no
// float (NaN is spelled nan); false, appending nothing, if the row holds `also_refused` or
// (with `no_empty`) an empty value.
bool append_row_verbatim(std::string_view copy_row, char delimiter, std::string_view also_refused,
                         bool no_empty, std::string& out);

}  // namespace cu::format
