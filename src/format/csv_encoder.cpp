#include "format/csv_encoder.h"

namespace cu::format {

CsvEncoder::CsvEncoder(const DelimitedOptions& options, std::vector<OutputColumn> columns)
    : options_(options), delimiter_(options.effective_delimiter()), columns_(std::move(columns)) {
  for (unsigned char c : {'\n', '\r', '"'}) {
    needs_quotes_[c] = true;
  }
  needs_quotes_[static_cast<unsigned char>(delimiter_)] = true;
  verbatim_ok_ = options_.null_as.empty() && !columns_.empty();
  for (const auto& c : columns_) {
    if (c.value_class == ValueClass::kFloat) {
      verbatim_ok_ = false;
    }
  }
}

void CsvEncoder::put_value(std::string_view value, std::string& out) const {
  bool quote = value.empty() || (!options_.null_as.empty() && value == options_.null_as);
  if (!quote) {
    for (unsigned char c : value) {
      if (needs_quotes_[c]) {
        quote = true;
        break;
      }
    }
  }
  if (!quote) {
    out.append(value);
    return;
  }
  out += '"';
  for (size_t pos = 0;;) {
    size_t q = value.find('"', pos);
    if (q == std::string_view::npos) {
      out.append(value.substr(pos));
      break;
    }
    out.append(value.substr(pos, q + 1 - pos));
    out += '"';
    pos = q + 1;
  }
  out += '"';
}

void CsvEncoder::encode_header(std::string& out) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) {
      out += delimiter_;
    }
    put_value(columns_[i].name, out);
  }
  out += '\n';
}

void CsvEncoder::encode_row(std::string_view copy_row, std::string& out) {
  // Quotes and the delimiter need quoting, and an empty value is written "" (not NULL).
  const char refused[] = {'"', delimiter_};
  if (verbatim_ok_ &&
      append_row_verbatim(copy_row, delimiter_, std::string_view(refused, 2), true, out)) {
    return;
  }
  fields_.reset(copy_row);
  std::string_view value;
  bool is_null;
  size_t i = 0;
  while (fields_.next(value, is_null)) {
    if (i) {
      out += delimiter_;
    }
    if (is_null) {
      out.append(options_.null_as);
    } else {
      ValueClass cls = i < columns_.size() ? columns_[i].value_class : ValueClass::kCharacter;
      put_value(redshift_value(cls, value), out);
    }
    ++i;
  }
  out += '\n';
}

}  // namespace cu::format
