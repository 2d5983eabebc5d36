#pragma once
// Secret scrubbing: every secret value the process learns (database passwords, AWS secret
// keys, session tokens) is registered here as soon as it is read, and redact() replaces any
// occurrence of one in a string by "***". Errors and log lines pass through redact() before
// they are printed, so a secret that slips into a message (say, a server echoing a
// connection string) still never reaches the user's terminal or a log.

#include <string>
#include <string_view>

namespace cu {

// Registers a secret value, and the forms it takes when rendered: quoted in SQL (' doubled,
// once, and twice as inside UNLOAD ('…')) and escaped in JSON (\" and \\). Values shorter
// than 4 characters are ignored (they would redact ordinary text); thread-safe.
void register_secret(std::string_view value);

// Returns `text` with every registered secret replaced by "***".
std::string redact(std::string_view text);

}  // namespace cu
