#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "base/redact.h"
#include "pg/conninfo.h"

namespace {

using cu::pg::build_conninfo;
using cu::pg::conninfo_value;
using cu::pg::parse_conninfo;
using cu::pg::register_conninfo_secrets;

TEST(Conninfo, ParsesKeywordsAndUrlsAlike) {
  auto kv = parse_conninfo("host=db port=5433 dbname='tick it' user=etl", "configure", "source");
  EXPECT_EQ(kv, (cu::pg::ConninfoOptions{
                    {"host", "db"}, {"port", "5433"}, {"dbname", "tick it"}, {"user", "etl"}}));
  auto url =
      parse_conninfo("postgresql://etl@db:5433/tick%20it?sslmode=disable", "configure", "source");
  EXPECT_EQ(url, (cu::pg::ConninfoOptions{{"host", "db"},
                                          {"port", "5433"},
                                          {"dbname", "tick it"},
                                          {"user", "etl"},
                                          {"sslmode", "disable"}}));
}

TEST(Conninfo, AMalformedStringIsAUsageErrorThatDoesNotEchoIt) {
  try {
    parse_conninfo("host=db password=Unclosed-Quote-Pw' nonsense", "configure", "source");
    FAIL() << "no error";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.kind(), cu::ErrorKind::kUsage);
    EXPECT_EQ(e.step(), "configure");
    EXPECT_EQ(e.resource(), "source");
    EXPECT_EQ(std::string(e.what()).find("Unclosed-Quote-Pw"), std::string::npos) << e.what();
  }
}

TEST(Conninfo, BuildQuotesEveryValueAndReadsBack) {
  EXPECT_EQ(conninfo_value(R"(it's a \ path)"), R"('it\'s a \\ path')");
  cu::pg::ConninfoOptions kv{{"host", "db"}, {"password", R"(p'w \x y)"}, {"dbname", ""}};
  std::string text = build_conninfo(kv);
  EXPECT_EQ(text, R"(dbname='' host='db' password='p\'w \\x y')");
  kv.erase("dbname");  // an empty value is the same as no value
  EXPECT_EQ(parse_conninfo(text, "s", "r"), kv);
}

// Every password is registered both as written and as libpq uses it. The two scrubbers this
// replaces each missed one form: the connection's registered `pass\ word` as "pass\" and a
// URL's "p%40ss" but not "p@ss"; the job's missed `?password=` in a URL altogether.
TEST(Conninfo, PasswordsAreRegisteredAsWrittenAndAsUsed) {
  register_conninfo_secrets(R"(host=db password=Unquoted\ Escaped-1 user=u)");
  EXPECT_EQ(cu::redact("Unquoted Escaped-1"), "***");
  register_conninfo_secrets(R"(host=db password = 'Quoted \'Pw-2' user=u)");
  EXPECT_EQ(cu::redact("Quoted 'Pw-2"), "***");
  EXPECT_EQ(cu::redact(R"(Quoted \'Pw-2)"), "***");
  register_conninfo_secrets("postgresql://etl:User%40Info-3@db:5432/tickit");
  EXPECT_EQ(cu::redact("User@Info-3 User%40Info-3"), "*** ***");
  register_conninfo_secrets("postgres://etl@db/tickit?sslmode=disable&password=Query%2FPw-4");
  EXPECT_EQ(cu::redact("Query/Pw-4 Query%2FPw-4"), "*** ***");
  // An '@' after the first '/' is not user info: nothing there is a password.
  register_conninfo_secrets("postgresql://db/tickit?user=a:NotAPassword@x");
  EXPECT_EQ(cu::redact("NotAPassword@x"), "NotAPassword@x");
  // Other keys are not secrets.
  register_conninfo_secrets("host=Not-A-Secret-Host user=Not-A-Secret-User");
  EXPECT_EQ(cu::redact("Not-A-Secret-Host"), "Not-A-Secret-Host");
}

// `crossunload doctor` had its own copy that did not count libpq's default host (a local
// socket, empty) or a socket folder as local, and so asked for TLS there.
TEST(Conninfo, LocalHosts) {
  for (const char* h :
       {"", "/var/run/postgresql", "/tmp", "localhost", "127.0.0.1", "127.1.2.3", "::1"}) {
    EXPECT_TRUE(cu::pg::is_local_host(h)) << h;
  }
  for (const char* h : {"db", "10.0.0.1", "128.0.0.1", "example.com", "localhost.example.com"}) {
    EXPECT_FALSE(cu::pg::is_local_host(h)) << h;
  }
}

TEST(Conninfo, ParsingRegistersThePasswordEvenWhenLibpqRejectsTheString) {
  EXPECT_THROW(parse_conninfo("password=Rejected-Pw-5 bogus", "s", "r"), cu::Error);
  EXPECT_EQ(cu::redact("Rejected-Pw-5"), "***");
  parse_conninfo("host=db password=Parsed-Pw-6", "s", "r");
  EXPECT_EQ(cu::redact("Parsed-Pw-6"), "***");
}

}  // namespace
