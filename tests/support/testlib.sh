# shellcheck shell=bash
# Helpers for the bash integration tests (tests/integration/*_test.sh). Source it first:
#
#   source "$(dirname "$0")/../support/testlib.sh"
#   cu_require_stack                      # fails (never skips) outside scripts/test
#   cu_psql tickit -Atc 'select 1'        # psql on the throwaway server, no password on argv
#   cu_pg_rows "select * from venue"      # PostgreSQL's answer as canonical rows (see below)
#   cu_file_rows --format csv --header f  # the same canonical form of a file we wrote
#   cu_assert_eq "$got" "$want" "what"    # prints both and fails when they differ
#   cu_tmpdir                             # a new folder inside $CU_TMP (removed at exit)
#   cu_private_moto [inf]                 # this test's own moto_server (IAM enforced: inf)
#   cu_example_job SFX >job.toml          # deploy/job.example.toml with suffixed AWS names
#   python3 - <<'PY'                      # tests/support is on PYTHONPATH:
#   from moto_client import moto_client   #   moto_client("s3", "111111111111", endpoint)
#
# Canonical rows are what tests/support/duckdb.mjs prints: one JSON array per row, every
# value a string or null. cu_pg_rows gets PostgreSQL's own text rendering through
# COPY ... CSV, so it is independent of crossunload's code.
set -euo pipefail

CU_SOURCE_DIR="${CU_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# Python run by a test finds the shared helpers: `from moto_client import moto_client`.
export PYTHONPATH="$CU_SOURCE_DIR/tests/support${PYTHONPATH:+:$PYTHONPATH}"
CU_TEST_NAME="$(basename "${0%.sh}")"

cu_fail() {
  echo "FAIL [$CU_TEST_NAME]: $*" >&2
  exit 1
}
cu_note() { echo "[$CU_TEST_NAME] $*"; }

# The environment scripts/test (scripts/lib/stack.sh) exports. Missing = failure.
cu_require_stack() {
  local v missing=()
  for v in CU_PG_CONNINFO CU_PG_HOST CU_PG_PORT CU_PG_USER CU_PG_BIN PGPASSFILE \
    CU_MOTO_ENDPOINT "$@"; do
    [[ -n "${!v:-}" ]] || missing+=("$v")
  done
  ((${#missing[@]} == 0)) || cu_fail "the local stack is not running (missing ${missing[*]}); \
run this test through scripts/test, or scripts/with-stack ctest --test-dir <build>"
  [[ -x "$CU_PG_BIN/psql" ]] || cu_fail "CU_PG_BIN=$CU_PG_BIN has no psql"
}

# psql against the throwaway server. Usage: cu_psql DATABASE [psql args...]
cu_psql() {
  local db=$1
  shift
  "$CU_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    "host=$CU_PG_HOST port=$CU_PG_PORT user=$CU_PG_USER dbname=$db" "$@"
}

cu_duckdb() { node "$CU_SOURCE_DIR/tests/support/duckdb.mjs" "$@"; }

# PostgreSQL's answer to QUERY as canonical rows. Usage: cu_pg_rows QUERY [duckdb.mjs
# rows options, e.g. --sort or --empty-as-null] ; database: CU_PG_DATABASE or tickit.
cu_pg_rows() {
  local q=$1
  shift
  cu_psql "${CU_PG_DATABASE:-tickit}" -c "copy ($q) to stdout with (format csv)" |
    cu_duckdb rows --format csv "$@" -
}

# Canonical rows of files we wrote. Usage: cu_file_rows [duckdb.mjs rows options] FILE...
cu_file_rows() { cu_duckdb rows "$@"; }

cu_assert_eq() {
  local got=$1 want=$2 what=${3:-value}
  [[ "$got" == "$want" ]] && return 0
  echo "--- want ($what)" >&2
  printf '%s\n' "$want" | head -20 >&2
  echo "--- got" >&2
  printf '%s\n' "$got" | head -20 >&2
  if command -v diff >/dev/null; then
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20 >&2 || true
  fi
  cu_fail "$what differs"
}

# Every test gets one temp folder (CU_TMP), removed at exit; cu_tmpdir makes folders in it.
CU_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cu-test.XXXXXX")
trap 'rm -rf "$CU_TMP"' EXIT
trap 'exit 130' INT # so that the EXIT trap runs when the test is interrupted
trap 'exit 143' TERM
cu_tmpdir() { mktemp -d "$CU_TMP/d.XXXXXX"; }

# A private moto_server for this test, for what is global to a server (IAM enforcement,
# CloudFormation stacks with Lambda functions, the keys moto issued): scripts/lib/stack.sh's
# stack_start_moto in a folder of CU_TMP. CU_MOTO_ENDPOINT then names it for the rest of
# the test; at exit it is stopped with whatever else was registered with stack_on_exit
# (e.g. the gateway of scripts/lib/pattern.sh). Usage: cu_private_moto [AUTH_COUNT]
# (CU_MOTO_AUTH_COUNT: `inf` starts with enforcement off, to be switched on later).
cu_private_moto() {
  export CU_STACK_DIR
  CU_STACK_DIR=$(cu_tmpdir) # set before sourcing: stack.sh then installs no traps of its own
  # shellcheck source=../../scripts/lib/stack.sh
  source "$CU_SOURCE_DIR/scripts/lib/stack.sh"
  trap 'stack_cleanup; rm -rf "$CU_TMP"' EXIT
  local shared=${CU_MOTO_ENDPOINT:-}
  CU_MOTO_AUTH_COUNT="${1:-}" stack_start_moto || cu_fail "cannot start a private moto_server (log above)"
  [[ $CU_MOTO_ENDPOINT != "$shared" ]] || cu_fail "the private moto_server is the shared one"
}

# deploy/job.example.toml with every name that lives in an AWS account suffixed by SFX (the
# roles, the stack, the function and its code bucket), so that tests sharing a moto_server
# do not meet; the Lambda role is named explicitly. Extra sed expressions may follow.
# Usage: cu_example_job SFX [-e EXPR ...] >job.toml
# (CU_EXAMPLE_JOB_FILE=deploy/job.data-api.example.toml: that example instead)
cu_example_job() {
  local sfx=$1
  shift
  sed -e "s/SM-Read-Role\"/SM-Read-Role-$sfx\"/" \
    -e "s/CrossAccount-S3-Write-Role\"/CrossAccount-S3-Write-Role-$sfx\"/" \
    -e "s/role\/S3-Write-Role\"/role\/S3-Write-Role-$sfx\"/" \
    -e "s/^stack_name = .*/stack_name = \"cu-$sfx\"/" \
    -e "s/^function_name = .*/function_name = \"crossunload-$sfx\"/" \
    -e "s/^code_s3_bucket = .*/code_s3_bucket = \"code-$sfx\"/" \
    "$@" "${CU_EXAMPLE_JOB_FILE:-$CU_SOURCE_DIR/deploy/job.example.toml}"
  echo "lambda_role_name = \"CrossAccount-SM-Read-Role-$sfx\""
}
