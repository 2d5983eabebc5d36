#pragma once
// What a call throws, for tests that check an error's text and kind (GoogleTest):
//
//   std::optional<cu::Error> e = cu_test::thrown_by([&] { parse("unload"); });
//   ASSERT_TRUE(e);  EXPECT_EQ(e->exit_code(), 2);  EXPECT_EQ(e->step(), "parse UNLOAD");
//
//   cu::ErrorKind kind{};
//   EXPECT_EQ(cu_test::error_of([&] { chain.get(); }, &kind), "resolve credentials: …");
//
// Only cu::Error is caught: any other exception fails the test where it is thrown.

#include <functional>
#include <optional>
#include <string>

#include "base/error.h"

namespace cu_test {

// The cu::Error that `f` throws, or nullopt when it returns normally.
inline std::optional<cu::Error> thrown_by(const std::function<void()>& f) {
  try {
    f();
  } catch (const cu::Error& e) {
    return e;
  }
  return std::nullopt;
}

// what() of the cu::Error that `f` throws (its kind into *kind), or "<no error>".
inline std::string error_of(const std::function<void()>& f, cu::ErrorKind* kind = nullptr) {
  std::optional<cu::Error> e = thrown_by(f);
  if (!e) return "<no error>";
  if (kind != nullptr) *kind = e->kind();
  return e->what();
}

}  // namespace cu_test
