#include "gateway/session.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "gateway/extended_protocol.h"
#include "gateway/scram.h"
#include "gateway/statement_kind.h"
#include "gateway/unload_executor.h"
#include "pg/wire_protocol.h"

namespace cu::gateway {
namespace {

namespace w = pg::wire;
using Clock = std::chrono::steady_clock;

// What the upstream still owes us for a message we forwarded: the message that completes
// it. Tracking this is what lets the gateway answer a statement itself at the right point
// of the stream — only once everything forwarded before it has been answered.
// PostgreSQL's MAX_STARTUP_PACKET_LENGTH, and its cap on an authentication message
// (PG_MAX_AUTH_TOKEN_LENGTH plus the SASL framing).
constexpr size_t kMaxStartupPacket = 10000;
constexpr size_t kMaxAuthMessage = 65535 + 1024;
constexpr std::string_view kFailName = "cu_gateway_fail";

// The peer went away; the session ends quietly.
struct PeerGone {
  const char* who;
};

std::string sqlstate_for(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kUsage:
      return "42601";
    case ErrorKind::kAccess:
      return "42501";
    case ErrorKind::kDestination:
      return "58030";
    default:
      return "XX000";
  }
}

// Redshift's INFO text after a successful UNLOAD (docs/redshift-unload.md#s7.1).
std::string unload_notice(std::uint64_t rows) {
  return w::notice_response(
      "INFO", "00000", fmt::format("UNLOAD completed, {} record(s) unloaded successfully.", rows));
}

// `E'…'` literal: valid whatever standard_conforming_strings says.
std::string e_literal(std::string_view s) {
  std::string out = "E'";
  for (char c : s) {
    if (c == '\'' || c == '\\') {
      out.push_back(c);
    }
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

class Session;

// The client's upstream session as lent to an UnloadExecutor (unload_executor.h).
class UpstreamChannel : public UpstreamSession {
 public:
  explicit UpstreamChannel(Session& s) : s_(s) {}
  std::vector<w::Column> describe(std::string_view select) override;
  std::uint64_t copy_out(std::string_view copy_sql,
                         const std::function<void(std::string_view)>& on_chunk) override;

  const std::optional<w::ErrorFields>& upstream_error() const { return error_; }

 private:
  [[noreturn]] void fail(const w::Message& m);
  void check_usable() const;
  Session& s_;
  std::optional<w::ErrorFields> error_;
};

class Session {
 public:
  Session(Fd client, const SessionContext& ctx)
      : client_(std::move(client)),
        ctx_(ctx),
        started_(Clock::now()),
        handshake_deadline_(started_ + ctx.auth_timeout) {
    info_.client_address = peer_address(client_.fd());
  }

  void run() {
    std::string end = "client closed";
    bool logged_session = false;
    try {
      if (startup()) {
        logged_session = true;
        relay();
        end = terminated_ ? "client terminated" : end;
      }
    } catch (const PeerGone& g) {
      end = fmt::format("{} closed", g.who);
    } catch (const Error& e) {
      end = fmt::format("error: {}", e.what());
    } catch (const std::exception& e) {
      end = fmt::format("internal error: {}", redact(e.what()));
    }
    if (!logged_session && end != "client closed") {
      // Timeouts, TLS failures, malformed packets: worth a line, plain disconnects are not.
      log::warn("gateway session client={} user={} ended during the handshake after {:.3f}s: {}",
                info_.client_address, info_.user,
                std::chrono::duration<double>(Clock::now() - started_).count(), end);
    }
    if (logged_session) {
      double secs = std::chrono::duration<double>(Clock::now() - started_).count();
      log::info(
          "gateway session client={} user={} database={} duration={:.3f}s statements={} "
          "unloads={} end=\"{}\"",
          info_.client_address, info_.user, info_.database, secs, statements_seen_, unloads_run_,
          end);
    }
  }

  // ---- used by UpstreamChannel ----
  void send_upstream(std::string_view bytes) {
    if (!upstream_ || !upstream_->write(bytes)) {
      throw PeerGone{"upstream"};
    }
  }
  // The next upstream message, reading as needed. Asynchronous messages (notices,
  // parameter changes, notifications) go straight on to the client and are not returned.
  w::Message next_upstream_for_executor() {
    for (;;) {
      auto m = uin_.next();
      if (!m) {
        read_upstream_chunk();
        continue;
      }
      if (m->type == w::be::kNoticeResponse || m->type == w::be::kParameterStatus ||
          m->type == w::be::kNotificationResponse) {
        note_parameter(*m);
        to_client_.append(m->raw);
        continue;
      }
      return *m;
    }
  }

 private:
  // ---- startup phase ----

  bool startup() {
    for (;;) {
      std::optional<w::Message> m;
      while (!(m = cin_.next()) || m->raw.size() > kMaxStartupPacket) {
        // PostgreSQL's limit: a client must not make the gateway buffer a huge packet
        // before it has said who it is.
        if (m || cin_.buffered() > kMaxStartupPacket) {
          refuse("08P01", "invalid length of startup packet");
          log::warn("gateway session client={}: refused: startup packet longer than {} bytes",
                    info_.client_address, kMaxStartupPacket);
          return false;
        }
        if (!read_client_chunk(/*handshake=*/true)) {
          return false;
        }
      }
      auto p = w::parse_startup(*m);
      switch (p.kind) {
        case w::StartupKind::kSsl:
          if (cin_.buffered() != 0) {
            // Bytes sent before our answer cannot be trusted once TLS starts.
            refuse("08P01", "unexpected data after SSLRequest");
            return false;
          }
          if (!ctx_.tls) {
            write_client("N");
            continue;
          }
          write_client("S");
          client_.start_tls_server(*ctx_.tls, handshake_deadline_);
          continue;
        case w::StartupKind::kGssEnc:
          write_client("N");
          continue;
        case w::StartupKind::kCancel:
          forward_cancel(m->raw);
          return false;
        case w::StartupKind::kUnknown:
          refuse("0A000",
                 fmt::format("unsupported frontend protocol {}.{}", p.code >> 16, p.code & 0xFFFF));
          return false;
        case w::StartupKind::kStartup:
          break;
      }
      info_.user = p.parameter("user");
      info_.database = p.parameter("database");
      if (info_.database.empty()) {
        info_.database = info_.user;
      }
      info_.application_name = p.parameter("application_name");
      std::string startup_packet(m->raw);  // views into cin_ end with the next read
      cin_.expect_typed();
      std::optional<scram::ServerExchange> verified;
      if (ctx_.passwords) {
        verified = authenticate_client();
        if (!verified) {
          return false;
        }
      }
      try {
        upstream_.emplace(connect_to(ctx_.upstream));
        start_upstream_tls();
      } catch (const Error& e) {
        log::warn("gateway session client={} user={}: {}", info_.client_address, info_.user,
                  e.what());
        refuse("08006", fmt::format("the gateway could not connect to the upstream server {}",
                                    ctx_.upstream.display()));
        return false;
      }
      send_upstream(startup_packet);
      if (!upstream_handshake(verified ? &*verified : nullptr)) {
        return false;
      }
      executor_ = ctx_.executors ? ctx_.executors() : refusing_executor();
      return true;
    }
  }

  // ---- authentication ----

  // The next client message of the handshake (a password or SASL response).
  w::Message handshake_client_message() {
    for (;;) {
      if (auto m = cin_.next()) {
        return *m;
      }
      if (cin_.buffered() > kMaxAuthMessage) {
        refuse("08P01", "authentication message too long");
        throw PeerGone{"client (authentication message too long)"};
      }
      if (!read_client_chunk(/*handshake=*/true)) {
        throw PeerGone{"client"};
      }
    }
  }

  // SCRAM-SHA-256 with the client against the password file. The exchange (or nullopt when
  // the client was refused, with a FATAL error already sent).
  std::optional<scram::ServerExchange> authenticate_client() {
    const scram::Verifier* v = ctx_.passwords->find(info_.user);
    auto exchange = v ? scram::ServerExchange(*v) : scram::ServerExchange::unknown_user(info_.user);
    try {
      write_client(authentication_sasl({scram::kMechanism}));
      auto first = parse_sasl_initial_response(handshake_client_message());
      if (first.mechanism != scram::kMechanism) {
        throw scram::ProtocolError{"client selected an invalid SASL authentication mechanism"};
      }
      write_client(authentication_sasl_continue(exchange.first(first.data)));
      w::Message final_message = handshake_client_message();
      if (final_message.type != w::fe::kPassword) {
        throw scram::ProtocolError{"expected a SASL response"};
      }
      if (exchange.final(final_message.body)) {
        return exchange;
      }
    } catch (const scram::ProtocolError& e) {
      refuse("08P01", e.message);
      log::warn("gateway session client={} user={}: authentication refused: {}",
                info_.client_address, info_.user, e.message);
      return std::nullopt;
    }
    refuse("28P01", fmt::format("password authentication failed for user \"{}\"", info_.user));
    log::warn("gateway session client={} user={}: password authentication failed{}",
              info_.client_address, info_.user, v ? "" : " (no such user in the password file)");
    return std::nullopt;
  }

  // Refuses the client during authentication (28000) and says why in the log.
  bool refuse_authentication(std::string_view message, std::string_view hint) {
    client_.write(w::error_response("FATAL", "28000", message, {}, hint));
    log::warn("gateway session client={} user={}: refused: {}", info_.client_address, info_.user,
              message);
    return false;
  }

  // The upstream's side of the handshake, up to its first ReadyForQuery. Without a password
  // file the authentication requests are relayed between upstream and client, and the
  // client is refused unless the upstream asked it for a password (trust, peer or an
  // address rule for the gateway would otherwise let anyone in). With one (`verified`: the
  // client proved its password to the gateway) the gateway answers the upstream itself.
  bool upstream_handshake(const scram::ServerExchange* verified) {
    bool asked_for_password = false;
    std::optional<scram::ClientExchange> scram_up;
    for (;;) {
      w::Message m = handshake_upstream_message();
      if (m.type == w::be::kErrorResponse) {
        write_client(m.raw);  // wrong password, no such database, too many connections…
        return false;
      }
      if (m.type == w::be::kReadyForQuery) {
        protocol_.on_upstream(m);
        write_client(m.raw);
        return true;
      }
      if (m.type != w::be::kAuthentication) {
        note_parameter(m);  // ParameterStatus, BackendKeyData, NoticeResponse, …
        write_client(m.raw);
        continue;
      }
      uint32_t code = 0;
      std::string_view data;
      try {
        code = authentication_code(m);
        data = authentication_data(m);
      } catch (const scram::ProtocolError& e) {
        return refuse_authentication(e.message, {});
      }
      if (verified) {
        if (code == auth::kOk) {
          write_client(authentication_sasl_final(verified->server_final()) + std::string(m.raw));
          continue;
        }
        try {
          if (code == auth::kSasl && !scram_up) {
            auto mechanisms = sasl_mechanisms(m);
            if (std::find(mechanisms.begin(), mechanisms.end(), scram::kMechanism) !=
                mechanisms.end()) {
              scram_up.emplace(verified->client_key(), verified->verifier());
              send_upstream(sasl_initial_response(scram::kMechanism, scram_up->first()));
              continue;
            }
          } else if (code == auth::kSaslContinue && scram_up) {
            send_upstream(sasl_response(scram_up->final(data)));
            continue;
          } else if (code == auth::kSaslFinal && scram_up) {
            if (scram_up->verify(data)) {
              continue;
            }
            return refuse_authentication("the upstream server's SCRAM signature is wrong", {});
          }
        } catch (const scram::ProtocolError& e) {
          return refuse_authentication(
              fmt::format("the gateway could not log in to the upstream as \"{}\": {}", info_.user,
                          e.message),
              "the password file's verifier must be the upstream's own (pg_authid.rolpassword)");
        }
        return refuse_authentication(
            fmt::format("the upstream asks the gateway for a password of \"{}\" in a way it "
                        "cannot answer (authentication request {})",
                        info_.user, code),
            "with --password-file the upstream must use scram-sha-256 with the same verifier, "
            "or trust the gateway's address");
      }
      switch (code) {
        case auth::kOk:
          if (!asked_for_password) {
            return refuse_authentication(
                "the upstream did not authenticate this client; start the gateway with "
                "--password-file",
                "the upstream let the client in without asking for a password (trust or peer "
                "for the gateway's address); the gateway never hands out such a session");
          }
          write_client(m.raw);
          continue;
        case auth::kCleartextPassword:
        case auth::kMd5Password:
        case auth::kSasl:
          asked_for_password = true;
          break;
        case auth::kSaslContinue:
          break;
        case auth::kSaslFinal:
          write_client(m.raw);  // the client answers nothing to this one
          continue;
        default:
          return refuse_authentication(
              fmt::format("the upstream asks for an authentication method the gateway does not "
                          "relay (request {})",
                          code),
              "use password, md5 or scram-sha-256 for the gateway's address in pg_hba.conf");
      }
      if (code == auth::kSasl) {
        // Channel binding (SCRAM-SHA-256-PLUS, offered over TLS) binds the exchange to one
        // TLS connection; the client's ends at the gateway, so it can never verify at the
        // upstream (and libpq refuses a -PLUS offer on a plain connection). Offer the rest.
        std::vector<std::string> offered = sasl_mechanisms(m);
        std::vector<std::string_view> relayed;
        for (const std::string& mech : offered) {
          if (!mech.ends_with("-PLUS")) {
            relayed.emplace_back(mech);
          }
        }
        if (relayed.empty()) {
          return refuse_authentication(
              "the upstream offers only SCRAM with channel binding, which cannot cross the "
              "gateway",
              "do not require channel binding for the gateway's connections");
        }
        write_client(authentication_sasl(relayed));
      } else {
        write_client(m.raw);
      }
      w::Message reply = handshake_client_message();
      if (reply.type != w::fe::kPassword) {
        refuse("08P01", "expected a password response");
        return false;
      }
      send_upstream(reply.raw);
    }
  }

  // TLS to the upstream as its sslmode asks (net.h): SSLRequest, then the handshake on 'S';
  // on 'N' plain for prefer, else no session. The answer is read as one byte: nothing the
  // upstream sends before the handshake is taken as part of it. Throws cu::Error(kSource).
  void start_upstream_tls() {
    using Mode = Upstream::SslMode;
    if (ctx_.upstream.sslmode == Mode::kDisable) {
      return;
    }
    send_upstream(w::ssl_request());
    wait_readable(upstream_->fd(), "upstream (startup timeout)");
    char answer = 0;
    if (upstream_->read(&answer, 1) != 1) {
      throw Error(ErrorKind::kSource, "TLS request to the upstream", ctx_.upstream.display(),
                  "the upstream closed the connection");
    }
    if (answer == 'S') {
      upstream_->start_tls_client(*ctx_.upstream_tls, ctx_.upstream, handshake_deadline_);
      return;
    }
    if (answer != 'N') {
      throw Error(ErrorKind::kSource, "TLS request to the upstream", ctx_.upstream.display(),
                  fmt::format("unexpected answer to SSLRequest (byte {})",
                              static_cast<int>(static_cast<unsigned char>(answer))));
    }
    if (ctx_.upstream.sslmode != Mode::kPrefer) {
      throw Error(ErrorKind::kSource, "TLS request to the upstream", ctx_.upstream.display(),
                  "the upstream server does not accept TLS")
          .with_hint(fmt::format("--upstream asks for sslmode={}; turn ssl on in the upstream's "
                                 "postgresql.conf, or use sslmode=prefer or disable",
                                 to_string(ctx_.upstream.sslmode)));
    }
  }

  // The next upstream message of the handshake.
  w::Message handshake_upstream_message() {
    for (;;) {
      if (auto m = uin_.next()) {
        return *m;
      }
      if (!upstream_->has_pending()) {
        wait_readable(upstream_->fd(), "upstream (startup timeout)");
      }
      read_upstream_chunk();
    }
  }

  // Like PostgreSQL's authentication_timeout: a peer that says nothing during the
  // handshake must not hold a session thread forever. One deadline for the whole handshake,
  // not one per read: a client that trickles a byte at a time gets no more time than one
  // that says nothing. `on_timeout` names the silent peer in the session's log line.
  void wait_readable(int fd, const char* on_timeout) {
    pollfd p{fd, POLLIN, 0};
    for (;;) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(handshake_deadline_ - Clock::now());
      if (left.count() <= 0) {
        throw PeerGone{on_timeout};
      }
      int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n == 0) {
        throw PeerGone{on_timeout};
      }
      return;
    }
  }

  void refuse(std::string_view sqlstate, std::string_view message) {
    client_.write(w::error_response("FATAL", sqlstate, message));
  }

  // CancelRequest names the upstream's own backend key (the gateway passes BackendKeyData
  // through unchanged), so it goes to the upstream as it came.
  void forward_cancel(std::string_view raw) {
    try {
      Fd fd = connect_to(ctx_.upstream);
      write_all(fd.get(), raw);
      log::debug("gateway cancel request from {} forwarded", info_.client_address);
    } catch (const Error& e) {
      log::warn("gateway cancel request from {} not forwarded: {}", info_.client_address, e.what());
    }
  }

  // ---- relay phase ----

  void relay() {
    while (!terminated_) {
      pollfd fds[2] = {{client_.fd(), POLLIN, 0}, {upstream_->fd(), POLLIN, 0}};
      // Bytes TLS has already decrypted are not seen by poll(): then only look, not wait.
      bool client_ready = client_.has_pending();
      bool upstream_ready = upstream_->has_pending();
      int n = ::poll(fds, 2, client_ready || upstream_ready ? 0 : -1);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw Error(ErrorKind::kOther, "poll", info_.client_address, std::strerror(errno));
      }
      client_ready = client_ready || fds[0].revents != 0;
      upstream_ready = upstream_ready || fds[1].revents != 0;
      if (client_ready) {
        if (!read_client_chunk()) {
          return;
        }
        while (auto m = cin_.next()) {
          on_client_message(*m);
          if (terminated_) {
            break;
          }
        }
        flush_upstream();
        flush_client();
      }
      if (upstream_ready && !terminated_) {
        read_upstream_chunk();
        process_upstream();
        flush_client();
      }
    }
    flush_upstream();
  }

  bool read_client_chunk(bool handshake = false) {
    if (handshake && !client_.has_pending()) {
      wait_readable(client_.fd(), "client (startup timeout)");
    }
    size_t n = client_.read(rbuf_, sizeof rbuf_);
    if (n == 0) {
      return false;
    }
    cin_.feed(std::string_view(rbuf_, n));
    return true;
  }

  void read_upstream_chunk() {
    size_t n = upstream_->read(rbuf_, sizeof rbuf_);
    if (n == 0) {
      flush_client();
      throw PeerGone{"upstream"};
    }
    uin_.feed(std::string_view(rbuf_, n));
  }

  void process_upstream() {
    while (auto m = uin_.next()) {
      on_upstream_message(*m);
    }
  }

  void write_client(std::string_view bytes) {
    if (!client_.write(bytes)) {
      throw PeerGone{"client"};
    }
  }
  void flush_client() {
    if (to_client_.empty()) {
      return;
    }
    write_client(to_client_);
    to_client_.clear();
  }
  void flush_upstream() {
    if (to_up_.empty()) {
      return;
    }
    send_upstream(to_up_);
    to_up_.clear();
  }

  void note_parameter(const w::Message& m) {
    if (m.type != w::be::kParameterStatus) {
      return;
    }
    auto [name, value] = w::parse_parameter_status(m);
    if (name == "server_version") {
      info_.upstream_server_version = std::string(value);
    }
  }

  void on_upstream_message(const w::Message& m) {
    protocol_.on_upstream(m);
    note_parameter(m);
    to_client_.append(m.raw);
  }

  // Waits until the upstream has answered everything forwarded so far, relaying the
  // answers to the client (a Flush goes along when no Sync closes what is pending).
  void drain() {
    if (protocol_.needs_flush()) {
      to_up_ += w::flush();
    }
    flush_upstream();
    while (protocol_.awaiting()) {
      read_upstream_chunk();
      process_upstream();
      flush_client();
    }
  }

  // Every client message goes through the protocol state (extended_protocol.h), which says
  // whether to relay it, drop it, or answer it here once the upstream has caught up.
  void on_client_message(const w::Message& m) {
    ClientStep step = protocol_.on_client(m);
    if (step.what == ClientStep::Do::kDrop) {
      return;
    }
    if (m.type == w::fe::kQuery || m.type == w::fe::kExecute) {
      ++statements_seen_;
    }
    if (step.what == ClientStep::Do::kForward) {
      to_up_.append(m.raw);
      if (m.type == w::fe::kTerminate) {
        terminated_ = true;
      }
      return;
    }
    drain();
    switch (protocol_.resolve(m)) {
      case ProtocolState::Local::kDrop:
        return;
      case ProtocolState::Local::kForward:
        to_up_.append(m.raw);
        return;
      case ProtocolState::Local::kAnswer:
        answer_locally(m, step.statement);
        return;
    }
  }

  void answer_locally(const w::Message& m, const LocalStatement& st) {
    switch (m.type) {
      case w::fe::kQuery:
        execute_local(st.kind, st.text, /*extended=*/false);
        if (st.kind == StatementKind::kUnload) {
          // The upstream's answer to this Sync carries the true transaction status after
          // the UNLOAD (failed if its COPY failed inside a transaction block).
          to_up_ += w::sync();
          protocol_.on_gateway_sync();
          flush_client();
          flush_upstream();
        } else {
          to_client_ += w::ready_for_query(protocol_.transaction_status());
        }
        return;
      case w::fe::kParse:
        to_client_ += w::parse_complete();
        return;
      case w::fe::kBind:
        to_client_ += w::bind_complete();
        return;
      case w::fe::kDescribe:
        if (w::parse_describe(m).what == 'S') {
          to_client_ += w::parameter_description({});
        }
        to_client_ += row_description_for(st.kind, st.format);
        return;
      case w::fe::kExecute:
        execute_local(st.kind, st.text, /*extended=*/true, st.format);
        return;
      case w::fe::kClose:
        to_client_ += w::close_complete();
        return;
      default:
        return;
    }
  }

  std::string row_description_for(StatementKind kind, int16_t format = 0) const {
    w::Column c;
    c.format = format;
    switch (kind) {
      case StatementKind::kVersion:
        c.name = "version";
        c.type_oid = w::kOidText;
        c.type_len = -1;
        return w::row_description({c});
      case StatementKind::kLastUnloadCount:
        c.name = "pg_last_unload_count";
        c.type_oid = w::kOidInt8;
        c.type_len = 8;
        return w::row_description({c});
      default:
        return w::no_data();
    }
  }

  // Runs a statement the gateway answers itself and appends the reply (without
  // ReadyForQuery). For the simple protocol the RowDescription is part of the reply.
  void execute_local(StatementKind kind, const std::string& sql, bool extended,
                     int16_t format = 0) {
    if (kind == StatementKind::kUnload) {
      run_unload(sql, extended);
      return;
    }
    if (!extended) {
      to_client_ += row_description_for(kind);
    }
    std::string value;
    if (kind == StatementKind::kVersion) {
      value = version_text(info_.upstream_server_version);  // text's binary form: the bytes
    } else if (format == 1) {
      auto v = static_cast<std::uint64_t>(last_unload_count_);  // int8 send: big-endian
      for (int i = 7; i >= 0; --i) {
        value.push_back(static_cast<char>(v >> (8 * i)));
      }
    } else {
      value = std::to_string(last_unload_count_);
    }
    to_client_ += w::data_row({std::string_view(value)});
    to_client_ += w::command_complete("SELECT 1");
  }

  void run_unload(const std::string& sql, bool extended) {
    // The statement's CREDENTIALS and the session keys its role chain obtains are hidden
    // from every log line and reply while it runs, and forgotten once it has answered.
    SecretScope statement_secrets;
    ++unloads_run_;
    auto t0 = Clock::now();
    UpstreamChannel channel(*this);
    std::string error_text;
    std::string reply;
    bool keep_count = false;
    try {
      std::uint64_t rows = executor_->execute(sql, info_, channel);
      last_unload_count_ = static_cast<std::int64_t>(rows);
      to_client_ += unload_notice(rows);
      to_client_ += w::command_complete("UNLOAD");
      log::info("gateway unload client={} user={} database={} rows={} duration={:.3f}s",
                info_.client_address, info_.user, info_.database, rows,
                std::chrono::duration<double>(Clock::now() - t0).count());
      return;
    } catch (const PeerGone&) {
      throw;
    } catch (const Error& e) {
      error_text = e.what();
      if (channel.upstream_error()) {
        w::ErrorFields f;
        for (const auto& [code, value] : channel.upstream_error()->fields) {
          // Position and internal query refer to the COPY text, not the client's statement.
          if (code != 'P' && code != 'p' && code != 'q') {
            f.fields.emplace_back(code, value);
          }
        }
        reply = w::error_response(f);
      } else {
        std::string detail =
            e.resource().empty() ? e.step() : fmt::format("{} {}", e.step(), e.resource());
        reply = w::error_response("ERROR", sqlstate_for(e), redact(e.message()), redact(detail),
                                  redact(e.hint()));
        keep_count = e.kind() == ErrorKind::kUsage || e.kind() == ErrorKind::kAccess;
      }
    } catch (const std::exception& e) {
      error_text = redact(e.what());
      reply = w::error_response("ERROR", "XX000", fmt::format("internal error: {}", error_text));
    }
    if (!keep_count) {
      last_unload_count_ = 0;  // docs/redshift-unload.md#s7.2: failed during the unload
    }
    log::warn("gateway unload client={} user={} database={} failed after {:.3f}s: {}",
              info_.client_address, info_.user, info_.database,
              std::chrono::duration<double>(Clock::now() - t0).count(), error_text);
    bool upstream_failed = channel.upstream_error().has_value();
    // On Redshift an error aborts the transaction it happens in; make the upstream agree
    // when the failure was ours (S3, syntax, …) rather than PostgreSQL's.
    if (!upstream_failed && (extended || protocol_.transaction_status() == 'T')) {
      fail_upstream_transaction(reply);
      upstream_failed = true;
    }
    to_client_ += reply;
    protocol_.on_local_failure(extended, upstream_failed);
  }

  // Raises an error on the upstream session (inside the client's transaction or the
  // extended protocol's implicit one) and swallows the upstream's ErrorResponse.
  void fail_upstream_transaction(const std::string& error_reply) {
    w::Framer f;
    f.feed(error_reply);
    auto m = f.next();
    auto fields = w::parse_error_fields(*m);
    std::string sql = fmt::format(
        "DO $cu_gateway$ BEGIN RAISE EXCEPTION USING ERRCODE = {}, MESSAGE = {}; END "
        "$cu_gateway$",
        e_literal(fields.get('C')), e_literal("UNLOAD failed: " + fields.get('M')));
    send_upstream(w::close('S', kFailName) + w::parse(kFailName, sql) + w::bind("", kFailName) +
                  w::execute("") + w::flush());
    for (;;) {
      auto r = next_upstream_for_executor();
      if (r.type == w::be::kErrorResponse) {
        break;
      }
    }
  }

  Stream client_;
  std::optional<Stream> upstream_;  // set once the client has been let in
  const SessionContext& ctx_;
  SessionInfo info_;
  Clock::time_point started_, handshake_deadline_;
  w::Framer cin_{w::Framer::Mode::kStartup};
  w::Framer uin_{w::Framer::Mode::kTyped};
  std::string to_up_, to_client_;
  ProtocolState protocol_;
  bool terminated_ = false;
  std::unique_ptr<UnloadExecutor> executor_;
  std::int64_t last_unload_count_ = 0;
  std::uint64_t statements_seen_ = 0, unloads_run_ = 0;
  char rbuf_[65536];

  friend class UpstreamChannel;
};

void UpstreamChannel::check_usable() const {
  if (error_) {
    throw Error(ErrorKind::kSource, "unload", "upstream",
                "the upstream transaction has already failed: " + error_->get('M'));
  }
}

void UpstreamChannel::fail(const w::Message& m) {
  error_ = w::parse_error_fields(m);
  throw Error(ErrorKind::kSource, "unload", "upstream", error_->get('M'))
      .with_hint(error_->get('H'));
}

// The executor's statements use a named statement and portal, closed before and after,
// so that the client's own unnamed statement on the upstream is left as it was. (A close
// skipped because of an error is made up by the close in front of the next use.)
constexpr std::string_view kName = "cu_gateway_unload";

std::vector<w::Column> UpstreamChannel::describe(std::string_view select) {
  check_usable();
  s_.send_upstream(w::close('S', kName) + w::parse(kName, select) + w::describe('S', kName) +
                   w::close('S', kName) + w::flush());
  std::vector<w::Column> columns;
  int closes = 0;
  while (closes < 2) {
    auto m = s_.next_upstream_for_executor();
    switch (m.type) {
      case w::be::kErrorResponse:
        fail(m);
      case w::be::kRowDescription:
        columns = w::parse_row_description(m);
        break;
      case w::be::kCloseComplete:
        ++closes;
        break;
      default:  // ParseComplete, ParameterDescription, NoData
        break;
    }
  }
  return columns;
}

std::uint64_t UpstreamChannel::copy_out(std::string_view copy_sql,
                                        const std::function<void(std::string_view)>& on_chunk) {
  check_usable();
  s_.send_upstream(w::close('S', kName) + w::parse(kName, copy_sql) + w::bind(kName, kName) +
                   w::execute(kName) + w::close('P', kName) + w::close('S', kName) + w::flush());
  bool copying = false;
  std::exception_ptr stopped;
  std::optional<std::string> tag;
  int closes = 0;
  while (closes < 3) {
    auto m = s_.next_upstream_for_executor();
    switch (m.type) {
      case w::be::kErrorResponse:
        fail(m);
      case w::be::kCopyOutResponse:
        copying = true;
        break;
      case w::be::kCopyData:
        if (!stopped) {
          try {
            on_chunk(m.body);
          } catch (...) {
            stopped = std::current_exception();  // drain the rest, then rethrow
          }
        }
        break;
      case w::be::kCommandComplete:
        tag = std::string(w::parse_command_complete(m));
        break;
      case w::be::kEmptyQueryResponse:
        tag = "";
        break;
      case w::be::kCloseComplete:
        ++closes;
        break;
      default:  // ParseComplete, BindComplete, CopyDone, DataRow of a misused SELECT
        break;
    }
  }
  if (stopped) {
    std::rethrow_exception(stopped);
  }
  if (!copying || !tag || tag->substr(0, 5) != "COPY ") {
    throw Error(ErrorKind::kOther, "unload", "upstream",
                fmt::format("expected COPY … TO STDOUT, the statement completed as \"{}\"",
                            tag.value_or("")));
  }
  std::uint64_t rows = 0;
  std::string_view digits(*tag);
  digits.remove_prefix(5);
  std::from_chars(digits.data(), digits.data() + digits.size(), rows);
  return rows;
}

}  // namespace

void run_session(Fd client, const SessionContext& context) {
  Session s(std::move(client), context);
  s.run();
}

}  // namespace cu::gateway
