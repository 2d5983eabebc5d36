// parse_upstream: the address forms --upstream accepts, and its TLS settings as libpq's
// sslmode and sslrootcert name them.
#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "gateway/net.h"

namespace {

using cu::Error;
using cu::ErrorKind;
using cu::gateway::parse_upstream;
using Mode = cu::gateway::Upstream::SslMode;

ErrorKind kind_of(const std::string& text) {
  try {
    parse_upstream(text);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::kOther;  // accepted: not what the caller expects
}

TEST(ParseUpstream, AddressForms) {
  auto a = parse_upstream("db.internal:6432");
  EXPECT_EQ(a.host, "db.internal");
  EXPECT_EQ(a.port, "6432");
  auto b = parse_upstream("[::1]:5433");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.display(), "[::1]:5433");
  auto c = parse_upstream("host=10.0.0.5 port=5439 user=ignored password=ignored");
  EXPECT_EQ(c.display(), "10.0.0.5:5439");
  EXPECT_EQ(kind_of("/var/run/postgresql"), ErrorKind::kUsage);
  EXPECT_EQ(kind_of("port=5432"), ErrorKind::kUsage);  // no host: a Unix socket
}

TEST(ParseUpstream, TlsDefaultsToPreferAsLibpq) {
  EXPECT_EQ(parse_upstream("127.0.0.1:5432").sslmode, Mode::kPrefer);
  EXPECT_EQ(parse_upstream("host=127.0.0.1").sslmode, Mode::kPrefer);
  EXPECT_EQ(parse_upstream("host=127.0.0.1").sslrootcert, "");
}

TEST(ParseUpstream, TlsSettingsAreRead) {
  EXPECT_EQ(parse_upstream("host=h sslmode=disable").sslmode, Mode::kDisable);
  EXPECT_EQ(parse_upstream("host=h sslmode=require").sslmode, Mode::kRequire);
  EXPECT_EQ(parse_upstream("host=h sslmode=verify-ca").sslmode, Mode::kVerifyCa);
  auto u = parse_upstream("postgresql://h:5439/db?sslmode=verify-full&sslrootcert=/etc/ca.pem");
  EXPECT_EQ(u.sslmode, Mode::kVerifyFull);
  EXPECT_EQ(u.sslrootcert, "/etc/ca.pem");
  EXPECT_EQ(u.port, "5439");
  EXPECT_EQ(cu::gateway::to_string(Mode::kVerifyFull), "verify-full");
}

TEST(ParseUpstream, TlsSettingsItCannotHonourAreRefused) {
  // allow would first try plain and fall back to TLS; client certificates and CRLs are not
  // implemented. Each is refused rather than ignored.
  for (const char* bad : {"host=h sslmode=allow", "host=h sslmode=Require", "host=h sslcert=/c.pem",
                          "host=h sslkey=/k.pem", "host=h sslcrl=/crl"}) {
    EXPECT_EQ(kind_of(bad), ErrorKind::kUsage) << bad;
  }
}

}  // namespace
