// Transport failures as the retry loop sees them: which libcurl errors are worth another
// attempt, and what the user is told when one is not. The curl codes are the numbers
// libcurl documents in libcurl-errors(3), not the constants the code under test uses.
#include <gtest/gtest.h>

#include <string>

#include "aws/error.h"
#include "aws/http.h"
#include "aws/retry.h"

namespace cu::aws {
namespace {

// libcurl-errors(3).
constexpr int kCouldntResolveHost = 6;
constexpr int kCouldntConnect = 7;
constexpr int kOperationTimedout = 28;
constexpr int kSslConnectError = 35;
constexpr int kGotNothing = 52;
constexpr int kSendError = 55;
constexpr int kRecvError = 56;
constexpr int kSslCertproblem = 58;
constexpr int kPeerFailedVerification = 60;  // CURLE_SSL_CACERT is the same code since 7.62
constexpr int kSslCacertBadfile = 77;
constexpr int kSslIssuerError = 83;

TEST(AwsTransportTest, TlsTrustFailuresArePermanent) {
  for (int code : {kPeerFailedVerification, kSslCacertBadfile, kSslCertproblem, kSslIssuerError}) {
    EXPECT_EQ(classify_transport_failure(code), TransportFailure::kTlsTrust) << code;
    TransportError e(code, "POST 127.0.0.1:1: SSL certificate problem", "the hint");
    EXPECT_TRUE(e.permanent()) << code;
    EXPECT_TRUE(e.may_have_reached_server()) << code;
    AttemptOutcome o{0, "", true, e.may_have_reached_server(), e.permanent()};
    EXPECT_FALSE(is_retryable(o, /*idempotent=*/true)) << code;
    EXPECT_FALSE(is_retryable(o, /*idempotent=*/false)) << code;
  }
}

TEST(AwsTransportTest, RefusedAndTimedOutStayRetryable) {
  for (int code : {kCouldntConnect, kCouldntResolveHost}) {
    EXPECT_EQ(classify_transport_failure(code), TransportFailure::kNoConnection) << code;
    TransportError e(code, "refused");
    EXPECT_FALSE(e.permanent());
    AttemptOutcome o{0, "", true, e.may_have_reached_server(), e.permanent()};
    EXPECT_TRUE(is_retryable(o, /*idempotent=*/false)) << code;  // never reached the server
  }
  // A handshake cut short (35) is a network problem, not a trust decision.
  for (int code : {kOperationTimedout, kSslConnectError, kGotNothing, kSendError, kRecvError}) {
    EXPECT_EQ(classify_transport_failure(code), TransportFailure::kMayHaveReachedServer) << code;
    TransportError e(code, "reset");
    EXPECT_FALSE(e.permanent());
    AttemptOutcome o{0, "", true, e.may_have_reached_server(), e.permanent()};
    EXPECT_TRUE(is_retryable(o, /*idempotent=*/true)) << code;
    EXPECT_FALSE(is_retryable(o, /*idempotent=*/false)) << code;  // may have acted
  }
}

TEST(AwsTransportTest, TransportHintReplacesTryAgainLater) {
  AwsErrorInfo info;
  info.service = "sts";
  info.operation = "GetCallerIdentity";
  info.message = "POST 127.0.0.1:1: SSL certificate problem: self-signed certificate";
  auto transient = to_error(info, "who am i", "sts", ErrorKind::kOther);
  EXPECT_NE(std::string(transient.what()).find("try again later"), std::string::npos)
      << transient.what();

  info.hint = "the CA bundle /x.pem (from AWS_CA_BUNDLE) does not trust the server's certificate";
  auto tls = to_error(info, "who am i", "sts", ErrorKind::kUsage);
  std::string what = tls.what();
  EXPECT_EQ(what.find("try again later"), std::string::npos) << what;
  EXPECT_NE(what.find("hint: the CA bundle /x.pem (from AWS_CA_BUNDLE)"), std::string::npos)
      << what;
  EXPECT_EQ(tls.exit_code(), 2);
}

}  // namespace
}  // namespace cu::aws
