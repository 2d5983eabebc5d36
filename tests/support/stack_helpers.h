#pragma once
// Helpers shared by the C++ integration tests that run against the local stack
// (scripts/test, docs/development.md): the stack's environment, shell quoting, running a
// command, and PostgreSQL's own answer to a query as canonical rows (tests/support/
// duckdb.mjs), the expected side of every read-back comparison.
//
//   std::string want = cu::test::pg_rows("select * from sales");
//   std::string got = cu::test::sh(cu::test::env("CU_DUCKDB") + " rows --sort " +
//                                  cu::test::q(path));
//
// A missing variable throws with a message saying to run through scripts/test: a test
// without its environment fails, it never skips.

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace cu::test {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the integration tests through scripts/test "
                             "(or scripts/with-stack), which starts PostgreSQL with the TICKIT "
                             "sample, moto_server and DuckDB's reader");
  }
  return v;
}

// `s` as one single-quoted bash word.
inline std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `cmd` with bash -o pipefail; returns stdout and stderr together; throws with both
// when it exits non-zero.
inline std::string sh(const std::string& cmd) {
  std::FILE* p = popen(("bash -o pipefail -c " + q(cmd) + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) throw std::runtime_error("command failed: " + cmd + "\n" + out);
  return out;
}

// psql on the stack's database, no psqlrc: `psql(" -At -c " + q("select 1"))`.
inline std::string psql(const std::string& args) {
  return sh(env("CU_PG_BIN") + "/psql " + q(env("CU_PG_CONNINFO")) + " -X" + args);
}

// PostgreSQL's answer to `query` as canonical sorted rows (duckdb.mjs `rows`); `extra`
// adds reader options such as --empty-as-null.
inline std::string pg_rows(const std::string& query, const std::string& extra = "") {
  return sh(env("CU_PG_BIN") + "/psql " + q(env("CU_PG_CONNINFO")) + " -X -c " +
            q("copy (" + query + ") to stdout with (format csv)") + " | " + env("CU_DUCKDB") +
            " rows --format csv --sort " + extra + " -");
}

}  // namespace cu::test
