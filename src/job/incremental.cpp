#include "job/incremental.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "aws/context.h"
#include "aws/s3.h"
#include "base/error.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "pg/types.h"
#include "unload/mask.h"
#include "unload/naming.h"
#include "unload/sql_text.h"

namespace cu::job {

namespace {

[[noreturn]] void bad(std::string_view resource, const std::string& message,
                      const std::string& hint) {
  throw Error(ErrorKind::kUsage, "configure", std::string(resource), message).with_hint(hint);
}

constexpr Keyword<WatermarkType> kTypeWords[] = {
    {WatermarkType::kSmallint, "smallint"},   {WatermarkType::kInteger, "integer"},
    {WatermarkType::kBigint, "bigint"},       {WatermarkType::kDate, "date"},
    {WatermarkType::kTimestamp, "timestamp"}, {WatermarkType::kTimestamptz, "timestamptz"},
};

bool is_integer(WatermarkType t) {
  return t == WatermarkType::kSmallint || t == WatermarkType::kInteger ||
         t == WatermarkType::kBigint;
}

// The shapes the database prints (DateStyle ISO, TimeZone UTC: the session's settings,
// pg/connection.h): 2026-12-03, 2026-12-03 10:15:00[.123456][+00[:30]], -42.
const std::regex& shape(WatermarkType t) {
  static const std::regex integer(R"(-?[0-9]{1,19})");
  static const std::regex date(R"([0-9]{4}-[0-9]{2}-[0-9]{2})");
  static const std::regex timestamp(
      R"([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)");
  static const std::regex timestamptz(
      R"([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}(:?[0-9]{2})?|Z)?)");
  switch (t) {
    case WatermarkType::kDate:
      return date;
    case WatermarkType::kTimestamp:
      return timestamp;
    case WatermarkType::kTimestamptz:
      return timestamptz;
    default:
      return integer;
  }
}

// One placeholder of the template: {from} {to} {from:FMT} {to:FMT}.
struct Placeholder {
  size_t pos = 0;
  size_t len = 0;
  bool is_to = false;
  std::optional<std::string> format;
};

std::vector<Placeholder> placeholders(std::string_view to) {
  std::vector<Placeholder> out;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] == '}') {
      bad("to", "'}' without its '{' in the destination template",
          "placeholders are {from}, {to}, {from:FMT} and {to:FMT}");
    }
    if (to[i] != '{') {
      continue;
    }
    size_t end = to.find('}', i);
    if (end == std::string_view::npos) {
      bad("to", "'{' without its '}' in the destination template",
          "placeholders are {from}, {to}, {from:FMT} and {to:FMT}");
    }
    std::string_view body = to.substr(i + 1, end - i - 1);
    std::string_view name = body.substr(0, body.find(':'));
    Placeholder p{.pos = i, .len = end - i + 1, .is_to = name == "to", .format = std::nullopt};
    if (name != "to" && name != "from") {
      bad("to", fmt::format("unknown placeholder {{{}}} in the destination template", name),
          "placeholders are {from}, {to}, {from:FMT} and {to:FMT} (FMT of %Y %m %d %H %M %S)");
    }
    if (body.find('{') != std::string_view::npos) {
      bad("to", "a placeholder holds a '{'", "placeholders are {from}, {to}, {from:FMT}, {to:FMT}");
    }
    if (name.size() < body.size()) {
      std::string f(body.substr(name.size() + 1));
      for (size_t k = 0; k < f.size(); ++k) {
        if (f[k] == '%') {
          char c = k + 1 < f.size() ? f[k + 1] : '\0';
          if (std::string_view("YmdHMS%").find(c) == std::string_view::npos || c == '\0') {
            bad("to", fmt::format("'%{}' in {{{}}} is not a known field", c, body),
                "fields: %Y %m %d %H %M %S, and %% for a percent sign");
          }
          ++k;
        }
      }
      p.format = std::move(f);
    }
    out.push_back(std::move(p));
    i = end;
  }
  return out;
}

// A bound as a path segment: 2026-12-03T10-15-00.5Z, 2026-12-03, 42.
std::string path_value(const Window& w, const std::optional<std::string>& v) {
  if (!v) {
    return "start";
  }
  if (is_integer(w.type) || w.type == WatermarkType::kDate) {
    return *v;
  }
  std::string out;
  for (size_t i = 0; i < v->size(); ++i) {
    char c = (*v)[i];
    if (i == 10 && (c == ' ' || c == 'T')) {
      out += 'T';
    } else if (c == ':' && i < 19) {
      out += '-';
    } else if (c == ':') {
      continue;  // an offset's colon: +05:30 -> +0530
    } else {
      out += c;
    }
  }
  if (out.ends_with("+00")) {
    out.replace(out.size() - 3, 3, "Z");
  }
  return out;
}

// FMT applied to a date or timestamp as the database prints it.
std::string formatted(const Window& w, const std::optional<std::string>& v,
                      const std::string& format) {
  if (is_integer(w.type)) {
    throw Error(ErrorKind::kUsage, "configure", "to",
                fmt::format("{{…:{}}} formats a date or timestamp, but {} is {}", format, w.column,
                            to_string(w.type)))
        .with_hint("use {from} and {to} for an integer column");
  }
  if (!v) {
    return "start";
  }
  const std::string& s = *v;
  auto field = [&](size_t pos, size_t n) {
    return pos + n <= s.size() ? s.substr(pos, n) : std::string(n, '0');
  };
  std::string out;
  for (size_t k = 0; k < format.size(); ++k) {
    if (format[k] != '%' || k + 1 >= format.size()) {
      out += format[k];
      continue;
    }
    switch (format[++k]) {
      case 'Y':
        out += field(0, 4);
        break;
      case 'm':
        out += field(5, 2);
        break;
      case 'd':
        out += field(8, 2);
        break;
      case 'H':
        out += field(11, 2);
        break;
      case 'M':
        out += field(14, 2);
        break;
      case 'S':
        out += field(17, 2);
        break;
      default:
        out += '%';
        break;
    }
  }
  return out;
}

nlohmann::json window_json(const Window& w) {
  return {{"from", w.from ? nlohmann::json(*w.from) : nlohmann::json(nullptr)}, {"to", w.to}};
}

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::time_point_cast<std::chrono::seconds>(
                                                  std::chrono::system_clock::now()));
}

}  // namespace

const char* to_string(WatermarkType t) { return keyword_of(kTypeWords, t).data(); }

std::optional<WatermarkType> watermark_type_named(std::string_view name) {
  for (const auto& k : kTypeWords) {
    if (k.word == name) {
      return k.value;
    }
  }
  return std::nullopt;
}

std::string check_incremental_column(std::string_view text) {
  std::vector<unload::sql::Token> tokens =
      unload::sql::tokenize(text, unload::sql::Dialect::kPostgres);
  const bool one_word = tokens.size() == 2 && tokens[0].kind == unload::sql::TokenKind::kWord &&
                        tokens[1].kind == unload::sql::TokenKind::kEnd &&
                        tokens[0].text.size() == text.size() &&
                        (std::isalpha(static_cast<unsigned char>(text[0])) != 0 || text[0] == '_');
  if (!one_word) {
    bad("incremental_column", "incremental_column must be one plain column name",
        "name a column of the query's result (letters, digits, _; no quotes, no expression); "
        "alias an expression in the query: select …, created::date as day");
  }
  return lower(text);
}

void check_state_location(std::string_view state) {
  if (trim(state).empty()) {
    bad("state", "state is empty", "give s3://bucket/key or a local file path");
  }
  if (state.starts_with("s3://")) {
    unload::Destination d = unload::parse_destination(state);
    if (d.prefix.empty() || d.prefix.back() == '/') {
      bad("state", "state must name an object (s3://bucket/key), not a bucket or a folder",
          "e.g. s3://bucket/state/sales.json");
    }
    return;
  }
  if (state.find("://") != std::string_view::npos) {
    bad("state", "state must be s3://bucket/key or a local file path",
        "e.g. s3://bucket/state/sales.json or /var/lib/crossunload/sales.json");
  }
  if (state.back() == '/') {
    bad("state", "state must name a file, not a folder", "e.g. state/sales.json");
  }
}

bool has_window_placeholder(std::string_view to) {
  return to.find('{') != std::string_view::npos || to.find('}') != std::string_view::npos;
}

void check_window_template(std::string_view to) {
  auto ps = placeholders(to);
  bool plain_to = std::any_of(
      ps.begin(), ps.end(), [](const Placeholder& p) { return p.is_to && !p.format.has_value(); });
  if (!plain_to) {
    bad("to", "an incremental destination must name the window's end with {to}",
        "each window gets its own prefix, and a repeated window finds its own; e.g. "
        "to = \"s3://bucket/sales/dt={to:%Y-%m-%d}/to={to}/\"");
  }
}

WatermarkType watermark_type(std::string_view type_name, std::string_view column) {
  // PostgreSQL's names (format_type, pg/types.h) and pg_type's, which the Data API reports.
  static constexpr Keyword<WatermarkType> kNames[] = {
      {WatermarkType::kSmallint, "smallint"},
      {WatermarkType::kSmallint, "int2"},
      {WatermarkType::kInteger, "integer"},
      {WatermarkType::kInteger, "int4"},
      {WatermarkType::kBigint, "bigint"},
      {WatermarkType::kBigint, "int8"},
      {WatermarkType::kDate, "date"},
      {WatermarkType::kTimestamp, "timestamp without time zone"},
      {WatermarkType::kTimestamp, "timestamp"},
      {WatermarkType::kTimestamptz, "timestamp with time zone"},
      {WatermarkType::kTimestamptz, "timestamptz"},
  };
  for (const auto& k : kNames) {
    if (k.word == type_name) {
      return k.value;
    }
  }
  throw Error(ErrorKind::kUsage, "incremental window", std::string(column),
              fmt::format("incremental_column {} is {}: a watermark is a timestamp, timestamptz, "
                          "date, smallint, integer or bigint",
                          column, type_name))
      .with_hint("cast it in the query (… as " + std::string(column) +
                 "), or choose a monotonic column of one of those types");
}

WatermarkType watermark_type(std::uint32_t type_oid, std::string_view column) {
  return watermark_type(pg::type_name(type_oid), column);
}

std::string window_literal(WatermarkType type, std::string_view value, std::string_view origin) {
  std::string v(trim(value));
  if (!std::regex_match(v, shape(type))) {
    throw Error(ErrorKind::kUsage, "incremental", std::string(origin),
                fmt::format("'{}' is not a {} value", v, to_string(type)))
        .with_hint(is_integer(type)               ? "an integer, e.g. 42"
                   : type == WatermarkType::kDate ? "a date, e.g. 2026-12-03"
                                                  : "a timestamp, e.g. 2026-12-03 10:15:00 (UTC)");
  }
  if (is_integer(type)) {
    return v;
  }
  const char* sql_type = type == WatermarkType::kDate        ? "date"
                         : type == WatermarkType::kTimestamp ? "timestamp"
                                                             : "timestamptz";
  return fmt::format("cast({} as {})", unload::quote_literal(v), sql_type);
}

std::string window_query(std::string_view select, const Window& w) {
  std::string c = unload::quote_identifier(w.column);
  std::string where = fmt::format("{} <= {}", c, window_literal(w.type, w.to, "window"));
  if (w.from) {
    where = fmt::format("{} > {} and {}", c, window_literal(w.type, *w.from, "window"), where);
  }
  return fmt::format("select * from ({}) as cu_window where {}", select, where);
}

std::string max_query(std::string_view select, std::string_view column, WatermarkType type,
                      const std::optional<std::string>& from) {
  std::string c = unload::quote_identifier(column);
  std::string sql = fmt::format("select max({}) from ({}) as cu_window", c, select);
  if (from) {
    sql += fmt::format(" where {} > {}", c, window_literal(type, *from, "state"));
  }
  return sql;
}

std::string render_window_prefix(std::string_view to, const Window& w) {
  std::string out;
  size_t at = 0;
  for (const Placeholder& p : placeholders(to)) {
    out += to.substr(at, p.pos - at);
    const std::optional<std::string> value = p.is_to ? std::optional(w.to) : w.from;
    out += p.format ? formatted(w, value, *p.format) : path_value(w, value);
    at = p.pos + p.len;
  }
  out += to.substr(at);
  return out;
}

std::string state_json(const State& s) {
  nlohmann::json j{{"column", s.column},
                   {"type", to_string(s.type)},
                   {"watermark", s.watermark ? nlohmann::json(*s.watermark) : nullptr},
                   {"window", s.window ? window_json(*s.window) : nullptr},
                   {"pending", s.pending ? window_json(*s.pending) : nullptr},
                   {"job", {{"to", s.to}}},
                   {"updated_at", utc_now()}};
  return j.dump(2) + "\n";
}

State parse_state(std::string_view text, std::string_view where) {
  auto broken = [&](const std::string& what) -> Error {
    return Error(ErrorKind::kUsage, "read state", std::string(where),
                 "the state is not crossunload's: " + what)
        .with_hint(
            "restore the state (it holds the watermark), or remove it to unload everything "
            "again (or from incremental_start)");
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    throw broken("not a JSON object");
  }
  auto str = [&](const char* key) -> std::optional<std::string> {
    if (!j.contains(key) || j[key].is_null()) {
      return std::nullopt;
    }
    if (!j[key].is_string()) {
      throw broken(fmt::format("'{}' is not a string", key));
    }
    return j[key].get<std::string>();
  };
  State s;
  auto column = str("column");
  auto type = str("type");
  if (!column || !type || !watermark_type_named(*type)) {
    throw broken("no column or type");
  }
  s.column = *column;
  s.type = *watermark_type_named(*type);
  s.watermark = str("watermark");
  if (s.watermark) {
    window_literal(s.type, *s.watermark, where);
  }
  auto window = [&](const char* key) -> std::optional<Window> {
    if (!j.contains(key) || j[key].is_null()) {
      return std::nullopt;
    }
    const auto& w = j[key];
    if (!w.is_object() || !w.contains("to") || !w["to"].is_string() ||
        (w.contains("from") && !w["from"].is_null() && !w["from"].is_string())) {
      throw broken(fmt::format("'{}' is not a window", key));
    }
    Window out{.column = s.column, .type = s.type, .from = std::nullopt, .to = w["to"]};
    if (w.contains("from") && w["from"].is_string()) {
      out.from = w["from"].get<std::string>();
      window_literal(s.type, *out.from, where);
    }
    window_literal(s.type, out.to, where);
    return out;
  };
  s.window = window("window");
  s.pending = window("pending");
  if (s.pending && s.pending->from != s.watermark) {
    throw broken("the pending window does not start at the watermark");
  }
  if (j.contains("job") && j["job"].is_object() && j["job"].contains("to") &&
      j["job"]["to"].is_string()) {
    s.to = j["job"]["to"];
  }
  return s;
}

StateStore::StateStore(std::string location, aws::AwsContext& aws,
                       aws::CredentialsProviderPtr writer)
    : location_(std::move(location)), aws_(aws), writer_(std::move(writer)) {}

std::optional<State> StateStore::read() {
  if (location_.starts_with("s3://")) {
    unload::Destination d = unload::parse_destination(location_);
    auto s3 = aws_.s3(writer_);
    if (!s3->head_object(d.bucket, d.prefix)) {
      return std::nullopt;
    }
    return parse_state(s3->get_object(d.bucket, d.prefix), location_);
  }
  std::ifstream in(location_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw Error(ErrorKind::kDestination, "read state", location_, std::strerror(errno))
        .with_hint("make the state file readable by this user");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_state(text.str(), location_);
}

void StateStore::write(const State& s) {
  const std::string text = state_json(s);
  if (location_.starts_with("s3://")) {
    unload::Destination d = unload::parse_destination(location_);
    aws_.s3(writer_)->put_object(d.bucket, d.prefix, text);
    return;
  }
  // A temporary file beside the state, flushed, then renamed over it: a reader (the next run)
  // sees the old state or the new one, never a part.
  std::filesystem::path path(location_);
  std::filesystem::path tmp =
      path.parent_path() / fmt::format(".{}.crossunload-{}", path.filename().string(), getpid());
  auto fail = [&](const std::string& what) -> Error {
    return Error(ErrorKind::kDestination, "save state", location_,
                 fmt::format("{}: {}", what, std::strerror(errno)))
        .with_hint("make the state's folder writable by this user");
  };
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      throw fail("cannot create " + tmp.string());
    }
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        errno = e;
        throw fail("cannot write " + tmp.string());
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      throw fail("cannot flush " + tmp.string());
    }
  }
  if (::rename(tmp.c_str(), location_.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    throw fail("cannot rename " + tmp.string());
  }
}

}  // namespace cu::job
