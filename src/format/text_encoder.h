#pragma once
// Redshift's default UNLOAD text format (docs/redshift-unload.md#s5.1): values separated by
// DELIMITER ('|'), records ended by LF, NULL as the NULL AS string (empty by default). With ESCAPE,
// a backslash goes before LF, CR, the delimiter and backslash in character columns — and before '"'
// and '\'' when ADDQUOTES is on too; with ADDQUOTES every non-NULL value is wrapped in '"'. Nothing
// is escaped without ESCAPE, exactly as Redshift does. Use through format::make_delimited_encoder
// (encoder.h).

#include <array>

#include "format/encoder.h"
#include "format/text_copy_row.h"

namespace cu::format {

class TextEncoder final : public RowEncoder {
 public:
  TextEncoder(const DelimitedOptions& options, std::vector<OutputColumn> columns);
  void encode_header(std::string& out) override;
  void encode_row(std::string_view copy_row, std::string& out) override;

 private:
  void put_value(std::string_view value, bool escape, std::string& out) const;

  DelimitedOptions options_;
  char delimiter_;
  std::vector<OutputColumn> columns_;
  std::array<bool, 256> special_{};  // bytes ESCAPE puts a backslash before
  std::string escaped_null_;         // NULL AS as written in an escaped character column
  CopyTextFields fields_;
  // Rows without a backslash (no NULL, no escaped byte) are COPY's bytes with TAB turned
  // into the delimiter, unless ADDQUOTES or a float column (NaN → nan) needs a rewrite;
  // under ESCAPE the row must not hold the delimiter either.
  bool verbatim_ok_ = false;
};

}  // namespace cu::format
