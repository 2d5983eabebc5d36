#include "format/text_encoder.h"

#include <cstring>

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

// The fast path of encode_row: most rows of most tables carry no NULL and no byte COPY
// escapes, so Redshift's text is COPY's text with another delimiter.
bool TextEncoder::append_verbatim(std::string_view copy_row, std::string& out) const {
  const char* row = copy_row.data();
  size_t n = copy_row.size();
  if (std::memchr(row, '\\', n) != nullptr) {
    return false;
  }
  if (options_.escape && delimiter_ != '\t' && std::memchr(row, delimiter_, n) != nullptr) {
    return false;
  }
  size_t old = out.size();
  out.append(copy_row);
  if (delimiter_ != '\t') {
    char* p = out.data() + old;
    const char d = delimiter_;
    for (size_t i = 0; i < n; ++i) {
      p[i] = p[i] == '\t' ? d : p[i];
    }
  }
  out += '\n';
  return true;
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
