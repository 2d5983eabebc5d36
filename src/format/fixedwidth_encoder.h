#pragma once
// Redshift's UNLOAD … FIXEDWIDTH 'col:width,…' (docs/redshift-unload.md#s1.3, #s5.1, #s5.5): no
// delimiter; each value left-aligned and right-padded with spaces to its column's width; records
// ended by LF. A value longer than its width fails the unload — never truncated. NULL is written as
// spaces, or as the NULL AS string padded to the width; a NULL AS string wider than the
// column gives an all-space field in a non-character column and fails in a character
// column. Widths count bytes (docs/formats.md says why). With ESCAPE, character values
// get a backslash before LF, CR and backslash, and the escaped bytes must fit the width.
// Use through format::make_delimited_encoder (encoder.h) with DelimitedFormat::kFixedWidth.
//
//   auto widths = format::resolve_fixed_widths(*spec.fixedwidth,
//                                              result_names, output_columns);

#include <cstdint>
#include <string>
#include <vector>

#include "format/encoder.h"
#include "format/text_copy_row.h"
#include "unload/unload_spec.h"

namespace cu::format {

class FixedWidthEncoder final : public RowEncoder {
 public:
  FixedWidthEncoder(const DelimitedOptions& options, std::vector<OutputColumn> columns);
  void encode_header(std::string& out) override;  // FIXEDWIDTH has no header: writes nothing
  // Throws cu::Error(kUsage, "unload", <column>, …) for a value wider than its column.
  void encode_row(std::string_view copy_row, std::string& out) override;

 private:
  [[noreturn]] void too_wide(size_t column, size_t bytes, const char* what) const;

  DelimitedOptions options_;
  std::vector<OutputColumn> columns_;
  std::string escaped_null_;  // NULL AS as written in an escaped character column
  std::string scratch_;
  CopyTextFields fields_;
  uint64_t rows_ = 0;
};

// The width of each output column from a FIXEDWIDTH specification. An entry names a
// column (`venueid:3`) or gives its 0-based index in the query's result (`0:3`);
// `result_columns` are the result's names, `output_columns` the result indexes written to
// the files (in file order; PARTITION BY may leave some out — their entries are ignored).
// Throws cu::Error(kUsage, "validate options", "FIXEDWIDTH", …) when an entry names no
// result column, a column is given two widths, or a written column has none.
std::vector<uint32_t> resolve_fixed_widths(const std::vector<unload::FixedWidthColumn>& spec,
                                           const std::vector<std::string>& result_columns,
                                           const std::vector<size_t>& output_columns);

}  // namespace cu::format
