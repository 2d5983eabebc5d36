#include "pg/wire_protocol.h"

#include <fmt/format.h>

#include "base/error.h"

namespace cu::pg::wire {
namespace {

[[noreturn]] void malformed(std::string_view what, std::string_view why) {
  throw Error(ErrorKind::kSource, fmt::format("parse {}", what), "", std::string(why))
      .with_hint("the peer does not speak PostgreSQL protocol 3.0 as expected");
}

uint32_t get_u32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

uint16_t get_u16(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint16_t>(static_cast<unsigned char>(s[at + i])); };
  return static_cast<uint16_t>((b(0) << 8) | b(1));
}

// Sequential reader over a message body; every read is bounds-checked.
class Reader {
 public:
  Reader(std::string_view body, std::string_view what) : s_(body), what_(what) {}

  uint32_t u32() {
    need(4);
    uint32_t v = get_u32(s_, pos_);
    pos_ += 4;
    return v;
  }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  int16_t i16() {
    need(2);
    auto v = static_cast<int16_t>(get_u16(s_, pos_));
    pos_ += 2;
    return v;
  }
  char byte() {
    need(1);
    return s_[pos_++];
  }
  std::string_view cstr() {
    size_t end = s_.find('\0', pos_);
    if (end == std::string_view::npos) {
      malformed(what_, "string without terminating NUL");
    }
    auto v = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return v;
  }
  std::string_view bytes(size_t n) {
    need(n);
    auto v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  bool done() const { return pos_ >= s_.size(); }

 private:
  void need(size_t n) {
    if (s_.size() - pos_ < n) {
      malformed(what_, "message shorter than its fields");
    }
  }
  std::string_view s_;
  std::string_view what_;
  size_t pos_ = 0;
};

void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
void put_cstr(std::string& out, std::string_view s) {
  out.append(s);
  out.push_back('\0');
}

// Builds a typed message: writes the type and a length placeholder, then patches the length.
class Builder {
 public:
  explicit Builder(char type) {
    if (type != 0) {
      out_.push_back(type);
    }
    start_ = out_.size();
    put_u32(out_, 0);
  }
  Builder& u32(uint32_t v) {
    put_u32(out_, v);
    return *this;
  }
  Builder& i16(int16_t v) {
    put_u16(out_, static_cast<uint16_t>(v));
    return *this;
  }
  Builder& byte(char c) {
    out_.push_back(c);
    return *this;
  }
  Builder& cstr(std::string_view s) {
    put_cstr(out_, s);
    return *this;
  }
  Builder& bytes(std::string_view s) {
    out_.append(s);
    return *this;
  }
  std::string done() {
    uint32_t len = static_cast<uint32_t>(out_.size() - start_);
    for (int i = 0; i < 4; ++i) {
      out_[start_ + i] = static_cast<char>(len >> (24 - 8 * i));
    }
    return std::move(out_);
  }

 private:
  std::string out_;
  size_t start_ = 0;
};

std::string notice_or_error(char type, std::string_view severity, std::string_view sqlstate,
                            std::string_view message, std::string_view detail,
                            std::string_view hint) {
  Builder b(type);
  b.byte('S').cstr(severity).byte('V').cstr(severity).byte('C').cstr(sqlstate);
  b.byte('M').cstr(message);
  if (!detail.empty()) {
    b.byte('D').cstr(detail);
  }
  if (!hint.empty()) {
    b.byte('H').cstr(hint);
  }
  b.byte('\0');
  return b.done();
}

}  // namespace

// ---- Framer ----

void Framer::feed(std::string_view bytes) {
  // Compact once the consumed prefix dominates, so a long session does not grow the buffer.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

std::optional<Message> Framer::next() {
  std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
  size_t header = mode_ == Mode::kTyped ? 5 : 4;
  if (avail.size() < header) {
    return std::nullopt;
  }
  uint32_t len = get_u32(avail, header - 4);
  if (len < 4 || len > kMaxMessageLength) {
    malformed("message", fmt::format("invalid message length {}", len));
  }
  size_t total = header - 4 + static_cast<size_t>(len);
  if (avail.size() < total) {
    return std::nullopt;
  }
  Message m;
  m.type = mode_ == Mode::kTyped ? avail[0] : '\0';
  m.raw = avail.substr(0, total);
  m.body = avail.substr(header, total - header);
  pos_ += total;
  return m;
}

std::string Framer::take_buffered() {
  std::string rest = buf_.substr(pos_);
  buf_.clear();
  pos_ = 0;
  return rest;
}

// ---- Parsers ----

std::string StartupPacket::parameter(std::string_view name) const {
  for (const auto& [k, v] : parameters) {
    if (k == name) {
      return v;
    }
  }
  return {};
}

StartupPacket parse_startup(const Message& m) {
  Reader r(m.body, "startup packet");
  StartupPacket p;
  p.code = r.u32();
  switch (p.code) {
    case kSslRequestCode:
      p.kind = StartupKind::kSsl;
      break;
    case kGssEncRequestCode:
      p.kind = StartupKind::kGssEnc;
      break;
    case kCancelRequestCode:
      p.kind = StartupKind::kCancel;
      p.cancel_pid = r.u32();
      p.cancel_key = r.u32();
      break;
    default:
      if ((p.code >> 16) != 3) {
        p.kind = StartupKind::kUnknown;
        break;
      }
      p.kind = StartupKind::kStartup;
      while (!r.done()) {
        auto name = r.cstr();
        if (name.empty()) {
          break;  // the terminating NUL of the list
        }
        auto value = r.cstr();
        p.parameters.emplace_back(std::string(name), std::string(value));
      }
  }
  return p;
}

std::string_view parse_query(const Message& m) {
  Reader r(m.body, "Query");
  return r.cstr();
}

Parse parse_parse(const Message& m) {
  Reader r(m.body, "Parse");
  Parse p;
  p.statement = r.cstr();
  p.query = r.cstr();
  int16_t n = r.i16();
  for (int i = 0; i < n; ++i) {
    p.parameter_types.push_back(r.u32());
  }
  return p;
}

Bind parse_bind(const Message& m) {
  Reader r(m.body, "Bind");
  Bind b;
  b.portal = r.cstr();
  b.statement = r.cstr();
  int16_t nformats = r.i16();
  for (int i = 0; i < nformats; ++i) {
    r.i16();
  }
  int16_t nparams = r.i16();
  for (int i = 0; i < nparams; ++i) {
    int32_t len = r.i32();
    if (len > 0) {
      r.bytes(static_cast<size_t>(len));
    }
  }
  int16_t nresults = r.i16();
  for (int i = 0; i < nresults; ++i) {
    b.result_formats.push_back(r.i16());
  }
  return b;
}

int16_t Bind::result_format(size_t i) const {
  if (result_formats.empty()) {
    return 0;
  }
  if (result_formats.size() == 1) {
    return result_formats[0];
  }
  return i < result_formats.size() ? result_formats[i] : 0;
}

Describe parse_describe(const Message& m) {
  Reader r(m.body, "Describe");
  Describe d;
  d.what = r.byte();
  if (d.what != 'S' && d.what != 'P') {
    malformed("Describe", "target must be 'S' or 'P'");
  }
  d.name = r.cstr();
  return d;
}

Execute parse_execute(const Message& m) {
  Reader r(m.body, "Execute");
  Execute e;
  e.portal = r.cstr();
  e.max_rows = r.i32();
  return e;
}

BackendKeyData parse_backend_key_data(const Message& m) {
  Reader r(m.body, "BackendKeyData");
  BackendKeyData k;
  k.pid = r.u32();
  k.key = r.u32();
  return k;
}

char parse_ready_for_query(const Message& m) {
  Reader r(m.body, "ReadyForQuery");
  char s = r.byte();
  if (s != 'I' && s != 'T' && s != 'E') {
    malformed("ReadyForQuery", "unknown transaction status");
  }
  return s;
}

std::string_view parse_command_complete(const Message& m) {
  Reader r(m.body, "CommandComplete");
  return r.cstr();
}

std::pair<std::string_view, std::string_view> parse_parameter_status(const Message& m) {
  Reader r(m.body, "ParameterStatus");
  auto name = r.cstr();
  auto value = r.cstr();
  return {name, value};
}

std::string ErrorFields::get(char code) const {
  for (const auto& [c, v] : fields) {
    if (c == code) {
      return v;
    }
  }
  return {};
}

ErrorFields parse_error_fields(const Message& m) {
  Reader r(m.body, "ErrorResponse");
  ErrorFields f;
  while (!r.done()) {
    char code = r.byte();
    if (code == '\0') {
      break;
    }
    f.fields.emplace_back(code, std::string(r.cstr()));
  }
  return f;
}

std::vector<Column> parse_row_description(const Message& m) {
  Reader r(m.body, "RowDescription");
  int16_t n = r.i16();
  if (n < 0) {
    malformed("RowDescription", "negative column count");
  }
  std::vector<Column> cols(static_cast<size_t>(n));
  for (auto& c : cols) {
    c.name = std::string(r.cstr());
    c.table_oid = r.u32();
    c.attnum = r.i16();
    c.type_oid = r.u32();
    c.type_len = r.i16();
    c.type_mod = r.i32();
    c.format = r.i16();
  }
  return cols;
}

std::vector<std::optional<std::string_view>> parse_data_row(const Message& m) {
  Reader r(m.body, "DataRow");
  int16_t n = r.i16();
  if (n < 0) {
    malformed("DataRow", "negative column count");
  }
  std::vector<std::optional<std::string_view>> values;
  values.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    int32_t len = r.i32();
    if (len == -1) {
      values.emplace_back(std::nullopt);
    } else if (len < 0) {
      malformed("DataRow", "negative value length");
    } else {
      values.emplace_back(r.bytes(static_cast<size_t>(len)));
    }
  }
  return values;
}

CopyResponse parse_copy_response(const Message& m) {
  Reader r(m.body, "CopyResponse");
  CopyResponse c;
  c.overall_format = static_cast<int8_t>(r.byte());
  int16_t n = r.i16();
  for (int i = 0; i < n; ++i) {
    c.column_formats.push_back(r.i16());
  }
  return c;
}

// ---- Builders: frontend ----

std::string startup_message(const std::vector<std::pair<std::string, std::string>>& params) {
  Builder b(0);
  b.u32(kProtocolVersion3);
  for (const auto& [k, v] : params) {
    b.cstr(k).cstr(v);
  }
  b.byte('\0');
  return b.done();
}

std::string ssl_request() { return Builder(0).u32(kSslRequestCode).done(); }

std::string cancel_request(uint32_t pid, uint32_t key) {
  return Builder(0).u32(kCancelRequestCode).u32(pid).u32(key).done();
}

std::string query(std::string_view sql) { return Builder(fe::kQuery).cstr(sql).done(); }

std::string parse(std::string_view statement, std::string_view sql,
                  const std::vector<uint32_t>& parameter_types) {
  Builder b(fe::kParse);
  b.cstr(statement).cstr(sql).i16(static_cast<int16_t>(parameter_types.size()));
  for (auto t : parameter_types) {
    b.u32(t);
  }
  return b.done();
}

std::string bind(std::string_view portal, std::string_view statement, int16_t result_format) {
  Builder b(fe::kBind);
  b.cstr(portal).cstr(statement);
  b.i16(0);  // parameter format codes
  b.i16(0);  // parameter values
  b.i16(1).i16(result_format);
  return b.done();
}

std::string describe(char what, std::string_view name) {
  return Builder(fe::kDescribe).byte(what).cstr(name).done();
}

std::string execute(std::string_view portal, int32_t max_rows) {
  return Builder(fe::kExecute).cstr(portal).u32(static_cast<uint32_t>(max_rows)).done();
}

std::string close(char what, std::string_view name) {
  return Builder(fe::kClose).byte(what).cstr(name).done();
}

std::string sync() { return Builder(fe::kSync).done(); }
std::string flush() { return Builder(fe::kFlush).done(); }
std::string terminate() { return Builder(fe::kTerminate).done(); }

// ---- Builders: backend ----

std::string authentication_ok() { return Builder(be::kAuthentication).u32(0).done(); }

std::string parameter_status(std::string_view name, std::string_view value) {
  return Builder(be::kParameterStatus).cstr(name).cstr(value).done();
}

std::string backend_key_data(uint32_t pid, uint32_t key) {
  return Builder(be::kBackendKeyData).u32(pid).u32(key).done();
}

std::string ready_for_query(char status) { return Builder(be::kReadyForQuery).byte(status).done(); }

std::string row_description(const std::vector<Column>& columns) {
  Builder b(be::kRowDescription);
  b.i16(static_cast<int16_t>(columns.size()));
  for (const auto& c : columns) {
    b.cstr(c.name).u32(c.table_oid).i16(c.attnum).u32(c.type_oid).i16(c.type_len);
    b.u32(static_cast<uint32_t>(c.type_mod)).i16(c.format);
  }
  return b.done();
}

std::string data_row(const std::vector<std::optional<std::string_view>>& values) {
  Builder b(be::kDataRow);
  b.i16(static_cast<int16_t>(values.size()));
  for (const auto& v : values) {
    if (!v) {
      b.u32(0xFFFFFFFFu);
    } else {
      b.u32(static_cast<uint32_t>(v->size())).bytes(*v);
    }
  }
  return b.done();
}

std::string command_complete(std::string_view tag) {
  return Builder(be::kCommandComplete).cstr(tag).done();
}

std::string empty_query_response() { return Builder(be::kEmptyQueryResponse).done(); }

std::string error_response(std::string_view severity, std::string_view sqlstate,
                           std::string_view message, std::string_view detail,
                           std::string_view hint) {
  return notice_or_error(be::kErrorResponse, severity, sqlstate, message, detail, hint);
}

std::string notice_response(std::string_view severity, std::string_view sqlstate,
                            std::string_view message, std::string_view detail,
                            std::string_view hint) {
  return notice_or_error(be::kNoticeResponse, severity, sqlstate, message, detail, hint);
}

std::string error_response(const ErrorFields& fields) {
  Builder b(be::kErrorResponse);
  for (const auto& [c, v] : fields.fields) {
    b.byte(c).cstr(v);
  }
  b.byte('\0');
  return b.done();
}

std::string parse_complete() { return Builder(be::kParseComplete).done(); }
std::string bind_complete() { return Builder(be::kBindComplete).done(); }
std::string close_complete() { return Builder(be::kCloseComplete).done(); }
std::string no_data() { return Builder(be::kNoData).done(); }

std::string parameter_description(const std::vector<uint32_t>& types) {
  Builder b(be::kParameterDescription);
  b.i16(static_cast<int16_t>(types.size()));
  for (auto t : types) {
    b.u32(t);
  }
  return b.done();
}

std::string copy_data(std::string_view payload) {
  return Builder(be::kCopyData).bytes(payload).done();
}

std::string copy_done() { return Builder(be::kCopyDone).done(); }

}  // namespace cu::pg::wire
