#include "format/text_encoder.h"

namespace cu::format {

TextEncoder::TextEncoder(const DelimitedOptions& options, std::vector<OutputColumn> columns)
    : options_(options), delimiter_(options.effective_delimiter()), columns_(std::move(columns)) {
  for (unsigned char c : {'\n', '\r', '\\'}) {
    special_[c] = true;
  }
  special_[static_cast<unsigned char>(delimiter_)] = true;
  if (options_.addquotes) {
    special_['"'] = true;
    special_['\''] = true;
  }
  // Redshift applies ESCAPE after substituting NULL AS, so NULL AS '\N' comes out as \\N
  // in a character column (observed by spectrify, issue #6; docs/formats.md).
  for (char c : options_.null_as) {
    if (special_[static_cast<unsigned char>(c)]) {
      escaped_null_ += '\\';
    }
    escaped_null_ += c;
  }
  verbatim_ok_ = !options_.addquotes && !columns_.empty();
  for (const auto& c : columns_) {
    if (c.value_class == ValueClass::kFloat) {
      verbatim_ok_ = false;
    }
  }
}

void TextEncoder::put_value(std::string_view value, bool escape, std::string& out) const {
  if (options_.addquotes) {
    out += '"';
  }
  if (!escape) {
    out.append(value);
  } else {
    const char* p = value.data();
    const char* end = p + value.size();
    const char* run = p;
    for (; p != end; ++p) {
      if (special_[static_cast<unsigned char>(*p)]) {
        out.append(run, p);
        out += '\\';
        run = p;  // the special byte itself starts the next run
      }
    }
    out.append(run, end);
  }
  if (options_.addquotes) {
    out += '"';
  }
}

void TextEncoder::encode_header(std::string& out) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) {
      out += delimiter_;
    }
    put_value(columns_[i].name, options_.escape, out);
  }
  out += '\n';
}

void TextEncoder::encode_row(std::string_view copy_row, std::string& out) {
  // Under ESCAPE a delimiter in a value needs a backslash: such rows take the long way.
  if (verbatim_ok_ &&
      append_row_verbatim(copy_row, delimiter_,
                          options_.escape ? std::string_view(&delimiter_, 1) : std::string_view(),
                          false, out)) {
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
    ValueClass cls = i < columns_.size() ? columns_[i].value_class : ValueClass::kCharacter;
    bool escape = options_.escape && cls == ValueClass::kCharacter;
    if (is_null) {
      out.append(escape ? escaped_null_ : options_.null_as);
    } else {
      put_value(redshift_value(cls, value), escape, out);
    }
    ++i;
  }
  out += '\n';
}

}  // namespace cu::format
