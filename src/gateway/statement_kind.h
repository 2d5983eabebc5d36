#pragma once
// Which statements the gateway answers itself instead of passing them to PostgreSQL:
// UNLOAD (executed by an UnloadExecutor over the client's own upstream session),
// `select version()` (so that clients detect a Redshift-compatible server, spec §8.2) and
// `select pg_last_unload_count()` (spec §7.2). Everything else goes upstream unchanged.
//
//   switch (cu::gateway::classify(sql)) { case StatementKind::kUnload: … }
//
// Matching is on the tokens of the one SQL lexer (unload/sql_lexer.h), so comments (`--`,
// nested `/* */`) and quotes mean here what they mean to the UNLOAD parser and the query
// checks; keywords in any case. For the two functions the whole statement must be exactly
// `select <function>()` (any spacing and case, an optional trailing `;`), as clients send
// it. A Redshift build number and the gateway's own identity make up the version text.

#include <string>
#include <string_view>

namespace cu::gateway {

enum class StatementKind { kPassThrough, kUnload, kVersion, kLastUnloadCount };

StatementKind classify(std::string_view sql);

// The text `select version()` returns through the gateway, e.g.
// "PostgreSQL 8.0.2 on x86_64-pc-linux-gnu, compiled by crossunload-gateway 0.1.0 over
// PostgreSQL 15.20, Redshift 1.0.0". `upstream_version` is the upstream's server_version.
std::string version_text(std::string_view upstream_version);

}  // namespace cu::gateway
