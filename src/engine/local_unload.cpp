#include "engine/local_unload.h"

#include <fmt/format.h>

#include <chrono>

#include "base/error.h"
#include "base/log.h"
#include "pg/copy_text_reader.h"
#include "pg/interrupt.h"
#include "pg/query_check.h"
#include "sink/local_folder.h"
#include "unload/naming.h"
#include "unload/validate.h"

namespace cu::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Client mode writes one serial stream: PARALLEL OFF names (spec §4.2).
unload::UnloadSpec effective_spec(const LocalUnloadJob& job) {
  unload::UnloadSpec s = job.spec;
  if (!s.parallel) s.parallel = false;
  return s;
}

[[noreturn]] void unsupported(const std::string& what) {
  throw Error(ErrorKind::kUsage, "validate options", what,
              what + " is not supported when unloading to a local folder yet");
}

std::string file_name(const unload::UnloadSpec& s, unsigned part) {
  return unload::object_name(unload::parse_destination(s.destination).prefix, 0, part,
                             unload::ObjectNaming::of(s));
}

constexpr size_t kFlushBytes = 1 << 20;

// Describes the query, then streams its rows through the encoder into the folder's
// (still hidden) files: prefix + 000, 001, … as MAXFILESIZE demands.
void stream_into_folder(pg::Connection& conn, const std::string& select,
                        const unload::UnloadSpec& s, const format::DelimitedOptions& options,
                        sink::LocalFolder& folder, UnloadReport& report) {
  auto t = Clock::now();
  std::vector<format::OutputColumn> columns;
  for (const auto& c : conn.describe(select)) {
    columns.push_back({c.name, value_class_of(c.type_oid)});
  }
  report.describe_seconds = seconds_since(t);
  auto encoder = format::make_delimited_encoder(options, columns);

  t = Clock::now();
  const uint64_t max_bytes = s.max_file_size.value_or(UINT64_MAX);
  std::string buffer;
  buffer.reserve(kFlushBytes + (64 << 10));
  sink::LocalFile* file = nullptr;
  FileReport current;
  uint64_t file_bytes = 0;  // bytes of the current file, written or still in `buffer`

  auto open_next = [&] {
    if (file) {
      file->write(buffer);
      buffer.clear();
      current.bytes = file->bytes();
      report.files.push_back(current);
    }
    std::string name = file_name(s, static_cast<unsigned>(report.files.size()));
    file = &folder.create(name);
    current = FileReport{name, 0, 0};
    if (options.header) encoder->encode_header(buffer);
    file_bytes = buffer.size();
  };
  open_next();

  // Rows are encoded before the file is chosen: a row that would push the current file
  // past MAXFILESIZE moves, whole, to the next one (a file always holds at least one row).
  pg::CopyTextReader reader(conn, select);
  std::string_view row;
  while (reader.next(row)) {
    if (pg::CancelOnSignal::interrupted()) break;  // the caller reports it; nothing published
    size_t before = buffer.size();
    encoder->encode_row(row, buffer);
    size_t row_bytes = buffer.size() - before;
    if (current.rows > 0 && file_bytes + row_bytes > max_bytes) {
      std::string moved = buffer.substr(before);
      buffer.resize(before);
      open_next();
      buffer += moved;
    }
    file_bytes += row_bytes;
    ++current.rows;
    if (buffer.size() >= kFlushBytes) {
      file->write(buffer);
      buffer.clear();
    }
  }
  file->write(buffer);
  current.bytes = file->bytes();
  report.files.push_back(current);
  report.unload_seconds = seconds_since(t);
}

}  // namespace

format::ValueClass value_class_of(uint32_t oid) {
  using VC = format::ValueClass;
  switch (oid) {
    case 20:
    case 21:
    case 23:
    case 26:
    case 1700:
      return VC::kNumber;  // int8/2/4, oid, numeric
    case 700:
    case 701:
      return VC::kFloat;  // float4, float8
    case 16:
      return VC::kBoolean;
    case 1082:
    case 1083:
    case 1114:
    case 1184:
    case 1266:
      return VC::kDateTime;
    case 17:
      return VC::kBinary;  // bytea
    default:
      return VC::kCharacter;
  }
}

format::DelimitedOptions check_local_job(const LocalUnloadJob& job) {
  unload::UnloadSpec s = effective_spec(job);
  if (unload::parse_destination(s.destination).s3) unsupported("an s3:// destination");
  if (s.format == unload::Format::kJson) unsupported("FORMAT JSON");
  if (s.format == unload::Format::kParquet) unsupported("FORMAT PARQUET");
  if (s.compression != unload::Compression::kNone) unsupported("compression");
  if (s.fixedwidth) unsupported("FIXEDWIDTH");
  if (s.partition_by) unsupported("PARTITION BY");
  if (s.manifest != unload::Manifest::kNone) unsupported("MANIFEST");
  if (s.encrypted != unload::Encryption::kNone || s.kms_key_id || s.master_symmetric_key) {
    unsupported("ENCRYPTED");
  }
  if (s.clean_path) unsupported("CLEANPATH");
  if (*s.parallel) unsupported("PARALLEL ON");
  unload::validate(s, {.for_redshift = false});

  format::DelimitedOptions o;
  o.format = s.format == unload::Format::kCsv ? format::DelimitedFormat::kCsv
                                              : format::DelimitedFormat::kText;
  if (s.delimiter && !s.delimiter->empty()) o.delimiter = (*s.delimiter)[0];
  o.null_as = s.null_as.value_or("");
  o.header = s.header;
  o.escape = s.escape;
  o.addquotes = s.addquotes;
  format::validate(o);
  pg::checked_select(s.select);
  pg::parse_target(job.source);
  return o;
}

std::string describe_plan(const LocalUnloadJob& job) {
  format::DelimitedOptions o = check_local_job(job);
  unload::UnloadSpec s = effective_spec(job);
  pg::Target t = pg::parse_target(job.source);
  std::string plan;
  plan += fmt::format("source:      {} (user {}{})\n", t.describe(), t.user.empty() ? "?" : t.user,
                      t.password_in_conninfo ? ", password given in the URL/conninfo" : "");
  plan += fmt::format("query:       COPY (\n{}\n) TO STDOUT\n", pg::checked_select(s.select));
  plan += fmt::format("destination: {} (then {}… when MAXFILESIZE is reached)\n", file_name(s, 0),
                      file_name(s, 1));
  plan += fmt::format("overwrite:   {}\n", s.allow_overwrite
                                               ? "allowed (ALLOWOVERWRITE)"
                                               : "refused if files with this prefix exist");
  std::string delim =
      o.effective_delimiter() == '\t' ? "\\t" : std::string(1, o.effective_delimiter());
  plan +=
      fmt::format("format:      {} delimiter '{}' null-as '{}'{}{}{}{}\n",
                  unload::to_string(s.format), delim, o.null_as, o.header ? " HEADER" : "",
                  o.escape ? " ESCAPE" : "", o.addquotes ? " ADDQUOTES" : "",
                  s.max_file_size ? fmt::format(" MAXFILESIZE {} bytes", *s.max_file_size) : "");
  plan += "dry run:     nothing was connected to or written\n";
  return plan;
}

UnloadReport run_local_unload(const LocalUnloadJob& job) {
  auto start = Clock::now();
  format::DelimitedOptions options = check_local_job(job);
  unload::UnloadSpec s = effective_spec(job);
  std::string select = pg::checked_select(s.select);
  pg::Target target = pg::parse_target(job.source);

  UnloadReport report;
  report.source = target.describe();
  report.format = unload::to_string(s.format);

  sink::LocalFolder folder(unload::parse_destination(s.destination).prefix);
  folder.check_empty(s.allow_overwrite);

  auto t = Clock::now();
  pg::Connection conn(target);
  report.connect_seconds = seconds_since(t);
  report.server = conn.server().version;
  if (conn.server().kind != pg::ServerKind::kPostgres) {
    throw Error(ErrorKind::kUsage, "connect", target.describe(),
                "this is Amazon Redshift, which cannot stream COPY TO STDOUT; unloading it to a "
                "local folder is not supported")
        .with_hint("unload Redshift to S3 with server mode");
  }

  pg::CancelOnSignal cancel_on_signal(conn);
  try {
    stream_into_folder(conn, select, s, options, folder, report);
  } catch (const Error&) {
    if (!pg::CancelOnSignal::interrupted()) throw;
    throw Error(ErrorKind::kOther, "unload", target.describe(),
                "interrupted by a signal; the query was cancelled and no file was written");
  }
  if (pg::CancelOnSignal::interrupted()) {
    throw Error(ErrorKind::kOther, "unload", target.describe(),
                "interrupted by a signal before the files were published");
  }
  folder.publish();

  for (const auto& f : report.files) {
    report.rows += f.rows;
    report.bytes += f.bytes;
  }
  report.total_seconds = seconds_since(start);
  cu::log::info("unloaded {} rows into {} file(s), {} bytes, in {:.3f} s", report.rows,
                report.files.size(), report.bytes, report.total_seconds);
  return report;
}

nlohmann::json to_json(const UnloadReport& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    files.push_back({{"path", f.path}, {"bytes", f.bytes}, {"rows", f.rows}});
  }
  auto ms = [](double sec) { return static_cast<int64_t>(sec * 1000.0 + 0.5); };
  return {{"source", r.source},
          {"server", r.server},
          {"format", r.format},
          {"files", files},
          {"rows", r.rows},
          {"bytes", r.bytes},
          {"timings_ms",
           {{"connect", ms(r.connect_seconds)},
            {"describe", ms(r.describe_seconds)},
            {"unload", ms(r.unload_seconds)},
            {"total", ms(r.total_seconds)}}},
          {"rows_per_second",
           r.unload_seconds > 0 ? static_cast<int64_t>(r.rows / r.unload_seconds) : 0}};
}

}  // namespace cu::engine
