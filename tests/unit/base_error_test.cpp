#include <gtest/gtest.h>

#include "base/error.h"
#include "base/redact.h"

namespace {

TEST(Error, OneLineWithStepResourceCodeRequestIdAndHint) {
  cu::Error e(cu::ErrorKind::kAccess, "assume role", "arn:aws:iam::222222222222:role/SM-Read-Role",
              "not authorized");
  e.with_aws("AccessDenied", "req-123").with_hint("check the role's trust policy");
  EXPECT_STREQ(e.what(),
               "assume role arn:aws:iam::222222222222:role/SM-Read-Role: not authorized "
               "[AccessDenied] (request id req-123); hint: check the role's trust policy");
  EXPECT_EQ(e.exit_code(), 3);
}

TEST(Redact, RegisteredSecretsNeverAppearInMessages) {
  cu::register_secret("s3cr3t-Passw0rd");
  cu::Error e(cu::ErrorKind::kSource, "connect", "db:5432",
              "server said: password s3cr3t-Passw0rd is wrong");
  EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("***"), std::string::npos);
}

// Input quoted in an error cannot drive the terminal it is printed on.
TEST(Error, ControlBytesFromInputAreEscaped) {
  cu::Error e(cu::ErrorKind::kUsage, "configure", "to", "bad path '\x1b]0;pwned\x07x'");
  EXPECT_STREQ(e.what(), "configure to: bad path '\\x1b]0;pwned\\x07x'");
}

TEST(Redact, ShortValuesAreNotRegistered) {
  cu::register_secret("ab");
  EXPECT_EQ(cu::redact("ab cd"), "ab cd");
}

}  // namespace
