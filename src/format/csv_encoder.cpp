#include "format/csv_encoder.h"

#include <cstring>

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

// The fast path of encode_row (most rows of most tables need no quoting at all).
bool CsvEncoder::append_verbatim(std::string_view copy_row, std::string& out) const {
  const char* row = copy_row.data();
  size_t n = copy_row.size();
  if (n == 0 || row[0] == '\t' || row[n - 1] == '\t') {
    return false;  // an empty value
  }
  if (std::memchr(row, '\\', n) != nullptr || std::memchr(row, '"', n) != nullptr) {
    return false;
  }
  if (delimiter_ != '\t' && std::memchr(row, delimiter_, n) != nullptr) {
    return false;
  }
  size_t old = out.size();
  out.append(copy_row);
  char* p = out.data() + old;
  const char d = delimiter_;
  bool prev_tab = false;
  bool empty_value = false;
  for (size_t i = 0; i < n; ++i) {
    bool tab = p[i] == '\t';
    empty_value |= tab && prev_tab;
    prev_tab = tab;
    p[i] = tab ? d : p[i];
  }
  if (empty_value) {
    out.resize(old);
    return false;
  }
  out += '\n';
  return true;
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
  if (verbatim_ok_ && append_verbatim(copy_row, out)) {
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
