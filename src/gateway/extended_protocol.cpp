#include "gateway/extended_protocol.h"

namespace cu::gateway {

namespace w = pg::wire;

ClientStep ProtocolState::forward(const w::Message& m, std::optional<Await> await) {
  if (m.type == w::fe::kSync) {
    local_skipping_ = false;
    on_gateway_sync();
  } else if (await && !upstream_skipping_) {
    pending_.push_back(*await);
  }
  return {ClientStep::Do::kForward, {}};
}

ClientStep ProtocolState::on_client(const w::Message& m) {
  if (local_skipping_ && m.type != w::fe::kSync) {
    return {ClientStep::Do::kDrop, {}};  // as the backend would
  }
  auto local = [this](LocalStatement st) {
    local_ = st;
    return ClientStep{ClientStep::Do::kLocal, std::move(st)};
  };
  switch (m.type) {
    case w::fe::kQuery: {
      // A simple Query replaces the unnamed statement and portal.
      statements_.erase("");
      portals_.erase("");
      auto sql = w::parse_query(m);
      StatementKind kind = ready_ ? classify(sql) : StatementKind::kPassThrough;
      if (kind == StatementKind::kPassThrough) {
        return forward(m, Await::kReady);
      }
      return local({kind, std::string(sql)});
    }
    case w::fe::kParse: {
      auto p = w::parse_parse(m);
      StatementKind kind = ready_ ? classify(p.query) : StatementKind::kPassThrough;
      if (kind == StatementKind::kPassThrough) {
        statements_.erase(std::string(p.statement));
        return forward(m, Await::kParse);
      }
      return local({kind, std::string(p.query)});
    }
    case w::fe::kBind: {
      auto b = w::parse_bind(m);
      auto it = statements_.find(std::string(b.statement));
      if (it == statements_.end()) {
        portals_.erase(std::string(b.portal));
        return forward(m, Await::kBind);
      }
      LocalStatement st = it->second;
      st.format = b.result_format(0);
      return local(std::move(st));
    }
    case w::fe::kDescribe: {
      auto d = w::parse_describe(m);
      auto& table = d.what == 'S' ? statements_ : portals_;
      auto it = table.find(std::string(d.name));
      return it == table.end() ? forward(m, Await::kDescribe) : local(it->second);
    }
    case w::fe::kExecute: {
      auto it = portals_.find(std::string(w::parse_execute(m).portal));
      return it == portals_.end() ? forward(m, Await::kExecute) : local(it->second);
    }
    case w::fe::kClose: {
      auto c = w::parse_close(m);
      auto& table = c.what == 'S' ? statements_ : portals_;
      auto it = table.find(std::string(c.name));
      return it == table.end() ? forward(m, Await::kClose) : local(it->second);
    }
    case w::fe::kSync:
    case w::fe::kFunctionCall:
      return forward(m, Await::kReady);
    default:  // Terminate, CopyData/CopyDone/CopyFail, Flush, password and SASL messages
      return forward(m, std::nullopt);
  }
}

ProtocolState::Local ProtocolState::resolve(const w::Message& m) {
  if (local_skipping_ || upstream_skipping_) {
    return Local::kDrop;  // inside a failed extended batch: ignored, like upstream
  }
  switch (m.type) {
    case w::fe::kQuery:
      // In a failed transaction even these must fail as PostgreSQL fails them.
      if (tx_status_ == 'E' && local_.kind != StatementKind::kUnload) {
        forward(m, Await::kReady);
        return Local::kForward;
      }
      break;
    case w::fe::kParse:
      statements_[std::string(w::parse_parse(m).statement)] = local_;
      break;
    case w::fe::kBind:
      portals_[std::string(w::parse_bind(m).portal)] = local_;  // with the bound format
      break;
    case w::fe::kClose: {
      auto c = w::parse_close(m);
      (c.what == 'S' ? statements_ : portals_).erase(std::string(c.name));
      break;
    }
    default:  // Describe, Execute: nothing changes
      break;
  }
  return Local::kAnswer;
}

void ProtocolState::pop_if(Await a) {
  if (!pending_.empty() && pending_.front() == a) {
    pending_.pop_front();
  }
}

void ProtocolState::on_upstream(const w::Message& m) {
  switch (m.type) {
    case w::be::kReadyForQuery:
      tx_status_ = w::parse_ready_for_query(m);
      ready_ = true;
      while (!pending_.empty()) {
        Await a = pending_.front();
        pending_.pop_front();
        if (a == Await::kReady) {
          break;
        }
      }
      break;
    case w::be::kErrorResponse:
      // In the extended protocol the backend now skips everything up to the next Sync.
      if (!pending_.empty() && pending_.front() != Await::kReady) {
        while (!pending_.empty() && pending_.front() != Await::kReady) {
          pending_.pop_front();
        }
        if (pending_.empty()) {
          upstream_skipping_ = true;
        }
      }
      break;
    case w::be::kParseComplete:
      pop_if(Await::kParse);
      break;
    case w::be::kBindComplete:
      pop_if(Await::kBind);
      break;
    case w::be::kCloseComplete:
      pop_if(Await::kClose);
      break;
    case w::be::kRowDescription:
    case w::be::kNoData:
      pop_if(Await::kDescribe);
      break;
    case w::be::kCommandComplete:
    case w::be::kEmptyQueryResponse:
    case w::be::kPortalSuspended:
      pop_if(Await::kExecute);
      break;
    default:
      break;
  }
}

void ProtocolState::on_gateway_sync() {
  pending_.push_back(Await::kReady);
  upstream_skipping_ = false;
}

void ProtocolState::on_local_failure(bool extended, bool upstream_failed) {
  if (extended) {
    local_skipping_ = true;
    if (upstream_failed) {
      upstream_skipping_ = true;
    }
  }
}

}  // namespace cu::gateway
