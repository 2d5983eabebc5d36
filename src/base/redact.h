#pragma once
// Secret scrubbing: every secret value the process learns (database passwords, AWS secret
// keys, session tokens) is registered here as soon as it is read, and redact() replaces any
// occurrence of one in a string by "***". Errors and log lines pass through redact() before
// they are printed, so a secret that slips into a message (say, a server echoing a
// connection string) still never reaches the user's terminal or a log.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cu {

// Registers a secret value, and the forms it takes when rendered: quoted in SQL (' doubled,
// once, and twice as inside UNLOAD ('…')) and escaped in JSON (\" and \\). Values shorter
// than 4 characters are ignored (they would redact ordinary text); thread-safe.
void register_secret(std::string_view value);

// Returns `text` with every registered secret replaced by "***".
std::string redact(std::string_view text);

// Bounds the registry in long-lived servers. Secrets registered on this thread while a
// SecretScope is alive (the innermost one, when scopes nest) are forgotten when it ends,
// unless they were also registered outside any scope; other threads' registrations are
// not affected. The gateway opens one per client session and one per statement, so a
// gateway serving many UNLOADs, each with its own session keys, keeps only the secrets of
// the statements that are running (each redact() walks the whole registry). Secrets
// registered on a thread with no scope (the command line, the Lambda runtime) stay for
// the life of the process, as before. A scope must end on the thread that opened it.
class SecretScope {
 public:
  SecretScope();
  ~SecretScope();
  SecretScope(const SecretScope&) = delete;
  SecretScope& operator=(const SecretScope&) = delete;

 private:
  friend void register_secret(std::string_view value);
  SecretScope* outer_;
  std::vector<std::string> forms_;  // one entry per registration of each form
};

// How many distinct forms the registry holds now (diagnostics and tests).
std::size_t registered_secret_forms();

}  // namespace cu
