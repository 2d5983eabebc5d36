#pragma once
// Reads rows of PostgreSQL's COPY text format (what `COPY … TO STDOUT` sends by default):
// fields separated by TAB, the field `\N` for NULL, and backslash escapes for the bytes
// that would break the layout (\\ \b \f \n \r \t \v, plus octal \ooo and hex \xhh that
// COPY FROM also accepts). Values come back decoded: the bytes the database holds.
//
//   format::CopyTextFields fields;            // reuse across rows: its scratch stays warm
//   fields.reset(row);
//   std::string_view value; bool is_null;
//   while (fields.next(value, is_null)) …
//
// A field without a backslash is returned as a view into the row (no copy).

#include <string>
#include <string_view>

namespace cu::format {

// Appends the decoded bytes of one escaped COPY text field to `out`.
void decode_copy_escapes(std::string_view raw, std::string& out);

class CopyTextFields {
 public:
  void reset(std::string_view row) {
    rest_ = row;
    done_ = false;
  }

  // The next field; false after the last. `value` is valid until the next call.
  bool next(std::string_view& value, bool& is_null) {
    if (done_) {
      return false;
    }
    size_t tab = rest_.find('\t');
    std::string_view raw = rest_.substr(0, tab);
    if (tab == std::string_view::npos) {
      done_ = true;
    } else {
      rest_.remove_prefix(tab + 1);
    }
    is_null = raw.size() == 2 && raw[0] == '\\' && raw[1] == 'N';
    if (is_null || raw.find('\\') == std::string_view::npos) {
      value = is_null ? std::string_view() : raw;
      return true;
    }
    scratch_.clear();
    decode_copy_escapes(raw, scratch_);
    value = scratch_;
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = true;
  std::string scratch_;
};

}  // namespace cu::format
