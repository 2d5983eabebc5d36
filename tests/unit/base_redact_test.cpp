// The redactor hides a secret in every form it is rendered in, not only as typed: a mask
// salt with ' or " reached the report's unload_sql and `-v` output quoted for SQL or JSON.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "base/redact.h"

namespace {

TEST(Redact, EveryRenderedFormOfASecretIsHidden) {
  cu::register_secret(R"(Salt'With"Quotes)");
  // The forms written out by hand: as typed, in an SQL literal, in a literal inside
  // UNLOAD ('…'), and each of those as the body of a JSON string, once and nested.
  for (const char* form : {
           R"(Salt'With"Quotes)",
           R"(Salt''With"Quotes)",
           R"(Salt''''With"Quotes)",
           R"(Salt'With\"Quotes)",
           R"(Salt''With\"Quotes)",
           R"(Salt''''With\"Quotes)",
           R"(Salt'With\\\"Quotes)",
           R"(Salt''''With\\\"Quotes)",
       }) {
    EXPECT_EQ(cu::redact(std::string("md5('") + form + "' || x)"), "md5('***' || x)") << form;
  }
  cu::register_secret(R"(back\slash-secret)");
  EXPECT_EQ(cu::redact(R"({"msg":"pw back\\slash-secret"})"), R"({"msg":"pw ***"})");
  EXPECT_EQ(cu::redact("pw back\\slash-secret"), "pw ***");
  // Ordinary text stays.
  EXPECT_EQ(cu::redact("Salt'With Quotes"), "Salt'With Quotes");
}

TEST(Redact, AScopeForgetsItsSecretsWhenItEnds) {
  std::size_t before = cu::registered_secret_forms();
  {
    cu::SecretScope statement;
    cu::register_secret("statement-key-0001");
    cu::register_secret("statement'key-0002");  // 3 forms: as typed, in SQL, in UNLOAD's SQL
    EXPECT_EQ(cu::redact("k=statement-key-0001"), "k=***");
    EXPECT_EQ(cu::redact("k='statement''key-0002'"), "k='***'");
    EXPECT_EQ(cu::registered_secret_forms(), before + 1 + 3);
  }
  EXPECT_EQ(cu::registered_secret_forms(), before);
  EXPECT_EQ(cu::redact("k=statement-key-0001"), "k=statement-key-0001");
}

TEST(Redact, ASecretAlsoRegisteredOutsideAScopeStays) {
  cu::register_secret("process-wide-pass");
  {
    cu::SecretScope session;
    cu::register_secret("process-wide-pass");
    cu::register_secret("session-only-pass");
    {
      cu::SecretScope statement;
      cu::register_secret("statement-only-pass");
    }
    EXPECT_EQ(cu::redact("statement-only-pass"), "statement-only-pass");
    EXPECT_EQ(cu::redact("session-only-pass"), "***");
  }
  EXPECT_EQ(cu::redact("process-wide-pass session-only-pass"), "*** session-only-pass");
}

TEST(Redact, AScopeHoldsOnlyItsOwnThreadsRegistrations) {
  cu::SecretScope scope;
  std::thread([] { cu::register_secret("worker-thread-pass"); }).join();
  cu::register_secret("scoped-thread-pass");
  // While the scope is alive both are hidden on every thread.
  std::string seen;
  std::thread([&] { seen = cu::redact("worker-thread-pass scoped-thread-pass"); }).join();
  EXPECT_EQ(seen, "*** ***");
}

TEST(Redact, ManyScopedSecretsLeaveNothingBehind) {
  // A gateway running 20,000 UNLOADs, each with its own session keys, one statement scope
  // each: the registry ends as it started.
  std::size_t before = cu::registered_secret_forms();
  for (int i = 0; i < 20000; ++i) {
    cu::SecretScope statement;
    cu::register_secret("AKIA-secret-" + std::to_string(i));
  }
  EXPECT_EQ(cu::registered_secret_forms(), before);
}

}  // namespace
