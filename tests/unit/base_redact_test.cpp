// The redactor hides a secret in every form it is rendered in, not only as typed: a mask
// salt with ' or " reached the report's unload_sql and `-v` output quoted for SQL or JSON.
#include <gtest/gtest.h>

#include <string>

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

}  // namespace
