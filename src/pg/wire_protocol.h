#pragma once
// The PostgreSQL frontend/backend protocol, version 3, as pure data: named message types,
// a framer that cuts complete messages out of arbitrary byte chunks, parsers for the
// messages a proxy needs to look inside, and builders for the messages it answers itself.
// No sockets here: the gateway (src/gateway/) feeds bytes in and writes bytes out.
//
//   cu::pg::wire::Framer in(cu::pg::wire::Framer::Mode::kStartup);
//   in.feed(bytes_from_socket);
//   while (auto m = in.next()) {
//     if (m->type == cu::pg::wire::kQuery) { auto q = cu::pg::wire::parse_query(*m); … }
//   }
//   out += cu::pg::wire::command_complete("UNLOAD");
//
// Reference: PostgreSQL documentation, chapter "Frontend/Backend Protocol" (55.7 Message
// Formats). Integers are big-endian; strings are NUL-terminated.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pg/types.h"

namespace cu::pg::wire {

// Message type bytes. Frontend and backend reuse some letters ('D', 'C', 'E', 'S', 'H'),
// so each side has its own names.
namespace fe {
inline constexpr char kQuery = 'Q';
inline constexpr char kParse = 'P';
inline constexpr char kBind = 'B';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kSync = 'S';
inline constexpr char kFlush = 'H';
inline constexpr char kClose = 'C';
inline constexpr char kTerminate = 'X';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kFunctionCall = 'F';
inline constexpr char kPassword = 'p';  // also SASLInitialResponse, SASLResponse, GSSResponse
}  // namespace fe

namespace be {
inline constexpr char kAuthentication = 'R';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
inline constexpr char kDataRow = 'D';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kParseComplete = '1';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kParameterDescription = 't';
inline constexpr char kNoData = 'n';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kCopyBothResponse = 'W';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kNotificationResponse = 'A';
inline constexpr char kFunctionCallResponse = 'V';
inline constexpr char kNegotiateProtocolVersion = 'v';
}  // namespace be

// Codes in the first word of an untyped startup-phase packet.
inline constexpr uint32_t kProtocolVersion3 = 196608;  // 3.0
inline constexpr uint32_t kSslRequestCode = 80877103;
inline constexpr uint32_t kGssEncRequestCode = 80877104;
inline constexpr uint32_t kCancelRequestCode = 80877102;

// Messages larger than this are refused: PostgreSQL itself caps a field at 1 GB.
inline constexpr uint32_t kMaxMessageLength = (1u << 30) + 1024;

// One complete message. `type` is 0 for the untyped startup-phase packets; `body` excludes
// the type byte and the length word; `raw` is the whole message as it was on the wire (so a
// proxy forwards it byte for byte).
struct Message {
  char type = 0;
  std::string_view body;
  std::string_view raw;
};

// Cuts messages out of a byte stream. In kStartup mode the next message is an untyped
// packet (length, then payload); call expect_typed() after the StartupMessage, or stay in
// startup mode after SSLRequest/GSSENCRequest, which are followed by another untyped packet.
// Views returned by next() stay valid until the next call to feed() or next().
class Framer {
 public:
  enum class Mode { kStartup, kTyped };
  explicit Framer(Mode mode = Mode::kTyped) : mode_(mode) {}

  void feed(std::string_view bytes);
  // The next complete message, or nullopt when more bytes are needed. Throws cu::Error
  // (kSource, "read message") on a length the protocol does not allow.
  std::optional<Message> next();

  void expect_startup() { mode_ = Mode::kStartup; }
  void expect_typed() { mode_ = Mode::kTyped; }
  Mode mode() const { return mode_; }
  // Bytes received but not yet returned as messages.
  size_t buffered() const { return buf_.size() - pos_; }
  // Takes the buffered bytes out (used when the stream switches to TLS: nothing may be
  // buffered in clear text at that point).
  std::string take_buffered();

 private:
  Mode mode_;
  std::string buf_;
  size_t pos_ = 0;
};

// ---- Parsers. Each throws cu::Error(kSource, "parse <message>") on a malformed body. ----

enum class StartupKind { kStartup, kSsl, kGssEnc, kCancel, kUnknown };

struct StartupPacket {
  StartupKind kind = StartupKind::kUnknown;
  uint32_t code = 0;                                            // protocol version or request code
  std::vector<std::pair<std::string, std::string>> parameters;  // kStartup only
  uint32_t cancel_pid = 0, cancel_key = 0;                      // kCancel only
  std::string parameter(std::string_view name) const;
};
StartupPacket parse_startup(const Message& m);

std::string_view parse_query(const Message& m);

struct Parse {
  std::string_view statement, query;
  std::vector<uint32_t> parameter_types;
};
Parse parse_parse(const Message& m);

struct Bind {
  std::string_view portal, statement;
  // Result column format codes as sent: none = all text, one = for every column, else
  // one per column (0 text, 1 binary).
  std::vector<int16_t> result_formats;
  // The format of result column `i` under those rules.
  int16_t result_format(size_t i) const;
};
Bind parse_bind(const Message& m);

struct Describe {
  char what = 'S';  // 'S' statement or 'P' portal
  std::string_view name;
};
Describe parse_describe(const Message& m);
using Close = Describe;  // same layout: 'S'/'P' then a name
inline Close parse_close(const Message& m) { return parse_describe(m); }

struct Execute {
  std::string_view portal;
  int32_t max_rows = 0;
};
Execute parse_execute(const Message& m);

struct BackendKeyData {
  uint32_t pid = 0, key = 0;
};
BackendKeyData parse_backend_key_data(const Message& m);

// 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
char parse_ready_for_query(const Message& m);

std::string_view parse_command_complete(const Message& m);

std::pair<std::string_view, std::string_view> parse_parameter_status(const Message& m);

// Fields of an ErrorResponse or NoticeResponse, keyed by the one-letter field codes
// ('S' severity, 'V' non-localized severity, 'C' SQLSTATE, 'M' message, 'D' detail, 'H'
// hint, 'P' position, …) in the order they came.
struct ErrorFields {
  std::vector<std::pair<char, std::string>> fields;
  std::string get(char code) const;
};
ErrorFields parse_error_fields(const Message& m);

struct Column {
  std::string name;
  uint32_t table_oid = 0;
  int16_t attnum = 0;
  uint32_t type_oid = 0;
  int16_t type_len = 0;
  int32_t type_mod = -1;
  int16_t format = 0;  // 0 text, 1 binary
};
std::vector<Column> parse_row_description(const Message& m);

// A DataRow's values; nullopt for SQL NULL.
std::vector<std::optional<std::string_view>> parse_data_row(const Message& m);

struct CopyResponse {
  int8_t overall_format = 0;  // 0 text, 1 binary
  std::vector<int16_t> column_formats;
};
CopyResponse parse_copy_response(const Message& m);

// ---- Builders: each returns one complete message (type byte, length, body). ----

// Frontend.
std::string startup_message(const std::vector<std::pair<std::string, std::string>>& params);
std::string ssl_request();
std::string cancel_request(uint32_t pid, uint32_t key);
std::string query(std::string_view sql);
std::string parse(std::string_view statement, std::string_view sql,
                  const std::vector<uint32_t>& parameter_types = {});
// Bind with no parameters and all results in `result_format` (0 text, 1 binary).
std::string bind(std::string_view portal, std::string_view statement, int16_t result_format = 0);
std::string describe(char what, std::string_view name);
std::string execute(std::string_view portal, int32_t max_rows = 0);
std::string close(char what, std::string_view name);
std::string sync();
std::string flush();
std::string terminate();

// Backend.
std::string authentication_ok();
std::string parameter_status(std::string_view name, std::string_view value);
std::string backend_key_data(uint32_t pid, uint32_t key);
std::string ready_for_query(char status);
std::string row_description(const std::vector<Column>& columns);
std::string data_row(const std::vector<std::optional<std::string_view>>& values);
std::string command_complete(std::string_view tag);
std::string empty_query_response();
// ErrorResponse / NoticeResponse from severity, SQLSTATE, message and optional
// detail and hint ('S' and 'V' are both set to `severity`).
std::string error_response(std::string_view severity, std::string_view sqlstate,
                           std::string_view message, std::string_view detail = {},
                           std::string_view hint = {});
std::string notice_response(std::string_view severity, std::string_view sqlstate,
                            std::string_view message, std::string_view detail = {},
                            std::string_view hint = {});
std::string error_response(const ErrorFields& fields);
std::string parse_complete();
std::string bind_complete();
std::string close_complete();
std::string no_data();
std::string parameter_description(const std::vector<uint32_t>& types);
std::string copy_data(std::string_view payload);
std::string copy_done();

// Type OIDs the gateway uses in its own replies (the catalogue: pg/types.h).
inline constexpr uint32_t kOidInt8 = oid::kInt8;
inline constexpr uint32_t kOidText = oid::kText;

}  // namespace cu::pg::wire
