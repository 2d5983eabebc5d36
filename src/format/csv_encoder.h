#pragma once
// Redshift's UNLOAD … CSV (docs/redshift-unload.md#s5.2): values separated by DELIMITER (','); a
// value is enclosed in '"' when it holds the delimiter, '"', LF or CR, and an embedded '"' is
// doubled; NULL is the NULL AS string (empty by default), never quoted. Choices where the
// spec is open (docs/formats.md): an empty string is written "" so it stays distinct from
// NULL (OPEN-14), and a value equal to the NULL AS string is quoted for the same reason.
// Use through format::make_delimited_encoder (encoder.h).

#include <array>

#include "format/encoder.h"
#include "format/text_copy_row.h"

namespace cu::format {

class CsvEncoder final : public RowEncoder {
 public:
  CsvEncoder(const DelimitedOptions& options, std::vector<OutputColumn> columns);
  void encode_header(std::string& out) override;
  void encode_row(std::string_view copy_row, std::string& out) override;

 private:
  void put_value(std::string_view value, std::string& out) const;

  DelimitedOptions options_;
  char delimiter_;
  std::vector<OutputColumn> columns_;
  std::array<bool, 256> needs_quotes_{};
  CopyTextFields fields_;
  // Rows without a backslash (no NULL, nothing escaped), a '"', the delimiter or an empty
  // value need no quoting: they are COPY's bytes with TAB turned into the delimiter. Not
  // with a NULL AS string (values equal to it are quoted) or float columns (NaN → nan).
  bool verbatim_ok_ = false;
};

}  // namespace cu::format
