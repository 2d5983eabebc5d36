#include "gateway/client_auth.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/error.h"

namespace cu::gateway {
namespace {

std::string be32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
  }
  return out;
}

// One typed message: type byte, length (itself included), body.
std::string message(char type, std::string_view body) {
  std::string out(1, type);
  out += be32(static_cast<uint32_t>(body.size() + 4));
  out += body;
  return out;
}

std::string authentication(uint32_t code, std::string_view data) {
  return message(pg::wire::be::kAuthentication, be32(code) + std::string(data));
}

}  // namespace

PasswordFile PasswordFile::load(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kUsage, "gateway --password-file", path, why);
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw bad(std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw bad("not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    throw bad(
        fmt::format("the file may be read by group or others (mode {:04o})", st.st_mode & 07777))
        .with_hint("it holds password verifiers: chmod 600 it");
  }
  std::ifstream in(path);
  if (!in) {
    throw bad(std::strerror(errno));
  }
  PasswordFile f;
  std::string line;
  int number = 0;
  constexpr std::string_view kMark = ":SCRAM-SHA-256$";
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    size_t at = line.find(kMark);
    auto v = at == std::string::npos || at == 0
                 ? std::nullopt
                 : scram::parse_verifier(std::string_view(line).substr(at + 1));
    if (!v) {
      throw bad(fmt::format("line {} is not user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:"
                            "<ServerKey>",
                            number))
          .with_hint(
              "take the verifiers from PostgreSQL: select rolname || ':' || rolpassword from "
              "pg_authid where rolpassword like 'SCRAM-SHA-256$%'");
    }
    f.users_[line.substr(0, at)] = std::move(*v);
  }
  if (f.users_.empty()) {
    throw bad("the file names no user");
  }
  return f;
}

const scram::Verifier* PasswordFile::find(std::string_view user) const {
  auto it = users_.find(user);
  return it == users_.end() ? nullptr : &it->second;
}

uint32_t authentication_code(const pg::wire::Message& m) {
  if (m.body.size() < 4) {
    throw scram::ProtocolError{"short Authentication message"};
  }
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v = (v << 8) | static_cast<unsigned char>(m.body[static_cast<size_t>(i)]);
  }
  return v;
}

std::string_view authentication_data(const pg::wire::Message& m) {
  authentication_code(m);
  return m.body.substr(4);
}

std::vector<std::string> sasl_mechanisms(const pg::wire::Message& m) {
  std::vector<std::string> out;
  std::string_view rest = authentication_data(m);
  while (!rest.empty()) {
    size_t nul = rest.find('\0');
    if (nul == 0 || nul == std::string_view::npos) {
      break;
    }
    out.emplace_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  return out;
}

std::string authentication_sasl(const std::vector<std::string_view>& mechanisms) {
  std::string data;
  for (std::string_view mech : mechanisms) {
    data += mech;
    data += '\0';
  }
  data += '\0';
  return authentication(auth::kSasl, data);
}

std::string authentication_sasl_continue(std::string_view data) {
  return authentication(auth::kSaslContinue, data);
}

std::string authentication_sasl_final(std::string_view data) {
  return authentication(auth::kSaslFinal, data);
}

SaslInitialResponse parse_sasl_initial_response(const pg::wire::Message& m) {
  std::string_view body = m.body;
  size_t nul = body.find('\0');
  if (m.type != pg::wire::fe::kPassword || nul == std::string_view::npos || body.size() < nul + 5) {
    throw scram::ProtocolError{"malformed SASLInitialResponse"};
  }
  SaslInitialResponse r;
  r.mechanism = body.substr(0, nul);
  uint32_t len = 0;
  for (size_t i = nul + 1; i < nul + 5; ++i) {
    len = (len << 8) | static_cast<unsigned char>(body[i]);
  }
  std::string_view data = body.substr(nul + 5);
  if (len == 0xFFFFFFFFu) {
    len = 0;
  }
  if (len != data.size()) {
    throw scram::ProtocolError{"malformed SASLInitialResponse"};
  }
  r.data = data;
  return r;
}

std::string sasl_initial_response(std::string_view mechanism, std::string_view data) {
  std::string body(mechanism);
  body += '\0';
  body += be32(static_cast<uint32_t>(data.size()));
  body += data;
  return message(pg::wire::fe::kPassword, body);
}

std::string sasl_response(std::string_view data) { return message(pg::wire::fe::kPassword, data); }

}  // namespace cu::gateway
