#!/usr/bin/env bash
# Every failure of `crossunload run` listed in issue 2 item 7: the documented exit code, one
# error line naming the step and the resource, no file (not even a temporary one) and no
# created folder left behind, and the database password absent from everything printed.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

base=$(cu_tmpdir)
# One file per run (PARALLEL OFF) and the JSON report on stdout, where a failed run's report
# must say "failed".
run_flags=(--no-parallel --report -)
resource="$CU_PG_HOST:$CU_PG_PORT/tickit"
wrong_pw="Wr0ng-pa55word-$$"
no_pgpass="$base/empty-pgpass" # libpq warns about /dev/null; an empty 0600 file is silent
install -m 600 /dev/null "$no_pgpass"
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# expect NAME EXIT_CODE "STEP RESOURCE" [ENV=VALUE...] -- crossunload run ARGS...
# Runs with --to $base/NAME/x_ appended; checks code, message, leftovers and secrets.
expect() {
  local name=$1 code=$2 where=$3
  shift 3
  local envs=()
  while [[ $1 != -- ]]; do
    envs+=("$1")
    shift
  done
  shift
  local dest="$base/$name/sub/x_"
  set +e
  env "${envs[@]}" "$CROSSUNLOAD" run "${run_flags[@]}" "$@" --to "$dest" >"$base/$name.out" 2>"$base/$name.err"
  local rc=$?
  set -e
  local all
  all=$(cat "$base/$name.out" "$base/$name.err")
  [[ $rc == "$code" ]] || cu_fail "$name: exit code $rc, want $code; output: $all"
  local errors
  errors=$(grep -c '^crossunload: error: ' "$base/$name.err" || true)
  [[ $errors == 1 ]] || cu_fail "$name: want one error line, got: $all"
  # Besides the one error line only our own log lines (progress, warnings) may appear.
  grep -qv '^crossunload: ' "$base/$name.err" && cu_fail "$name: stray output: $all"
  grep -qF "crossunload: error: $where" "$base/$name.err" ||
    cu_fail "$name: message does not name \"$where\": $all"
  [[ ! -s "$base/$name.out" ]] || grep -q '"failed"' "$base/$name.out" ||
    cu_fail "$name: printed a success report although it failed: $all"
  [[ $all != *"$CU_PG_PASSWORD"* ]] || cu_fail "$name: the database password was printed"
  [[ $all != *"$wrong_pw"* ]] || cu_fail "$name: the password of the URL was printed"
  [[ ! -e "$base/$name" ]] || cu_fail "$name: left $(find "$base/$name")"
  cu_note "$name: exit $rc, $(grep -v '^crossunload: warn' "$base/$name.err" | head -n 1)"
}

q="select * from sales"
# CLI11's complaint as our one error line, pointing at the subcommand's help.
expect unknown-option 2 "command line: " -- --source "$CU_PG_CONNINFO" --query "$q" --bogus
grep -qF -- "--bogus; hint: see 'crossunload run --help'" "$base/unknown-option.err" ||
  cu_fail "unknown option not named or no hint to --help: $(cat "$base/unknown-option.err")"

expect bad-url 2 "parse source --source" -- \
  --source "postgresql://$CU_PG_USER:$wrong_pw@$CU_PG_HOST:notaport/tickit" --query "$q"
expect bad-conninfo 2 "parse source --source" -- --source "host=$CU_PG_HOST dbname" --query "$q"

expect unreachable 4 "connect $CU_PG_HOST:$free_port/tickit" -- \
  --source "host=$CU_PG_HOST port=$free_port dbname=tickit user=$CU_PG_USER" --query "$q"

# Wrong password, three ways: in a URL, in PGPASSWORD, and none at all (no pgpass file).
expect wrong-password-url 3 "connect $resource" "PGPASSFILE=$no_pgpass" -- \
  --source "postgresql://$CU_PG_USER:$wrong_pw@$CU_PG_HOST:$CU_PG_PORT/tickit" --query "$q"
expect wrong-password-env 3 "connect $resource" "PGPASSFILE=$no_pgpass" "PGPASSWORD=$wrong_pw" -- \
  --source "$CU_PG_CONNINFO" --query "$q"
expect no-password 3 "connect $resource" "PGPASSFILE=$no_pgpass" -- --source "$CU_PG_CONNINFO" --query "$q"

expect sql-error 4 "query $resource" -- --source "$CU_PG_CONNINFO" --query "select * from no_such_table"
# An error after rows were already written to the temporary file (division by zero at the
# 150,000th sale): the partial file is removed.
expect sql-error-mid-stream 4 "unload $resource" -- --source "$CU_PG_CONNINFO" \
  --query "select salesid, 1 / (salesid - 150000) as boom, saletime from sales"

expect not-a-select 2 "validate UNLOAD" -- --source "$CU_PG_CONNINFO" --query "delete from sales"
expect not-a-select-hidden 2 "validate UNLOAD" -- --source "$CU_PG_CONNINFO" \
  --query "/* select */ (drop table sales)"
expect two-statements 2 "validate UNLOAD SELECT" -- --source "$CU_PG_CONNINFO" \
  --query "select 1; drop table sales"
# PostgreSQL runs a data-modifying WITH even inside COPY; Redshift has none: refused.
expect modifying-with 2 "validate UNLOAD SELECT" -- --source "$CU_PG_CONNINFO" \
  --query "with d as (delete from sales returning *) select * from d"
cu_assert_eq "$(cu_psql tickit -Atc 'select count(*) from sales')" "172456" "sales rows after the refused statements"

# A folder that cannot be written: its parent is a regular file (fails even for root).
mkdir -p "$base/unwritable"
touch "$base/unwritable/file"
set +e
"$CROSSUNLOAD" run "${run_flags[@]}" --source "$CU_PG_CONNINFO" --query "$q" --to "$base/unwritable/file/sub/x_" \
  >"$base/unwritable.out" 2>"$base/unwritable.err"
rc=$?
set -e
cu_assert_eq "$rc" "5" "exit code for an unwritable folder"
grep -qF "crossunload: error: write $base/unwritable/file" "$base/unwritable.err" ||
  cu_fail "unwritable: message does not name the path: $(cat "$base/unwritable.err")"
[[ $(cat "$base/unwritable.out" "$base/unwritable.err") != *"$CU_PG_PASSWORD"* ]] ||
  cu_fail "unwritable: the database password was printed"
cu_assert_eq "$(find "$base/unwritable" | sort)" "$base/unwritable
$base/unwritable/file" "what is left in the unwritable folder"
cu_note "unwritable: exit 5, $(cat "$base/unwritable.err")"

# --dry-run with the personal-data guard off touches nothing, not even the database: it
# succeeds against a closed port. (With the guard on, a dry run checks a sample in the
# database: pii_guard_test.sh.)
set +e
"$CROSSUNLOAD" run "${run_flags[@]}" --source "postgresql://$CU_PG_USER:$wrong_pw@$CU_PG_HOST:$free_port/tickit" \
  --query "$q" --to "$base/dry/x_" --format csv --header --dry-run --pii off >"$base/dry.out" 2>"$base/dry.err"
rc=$?
set -e
cu_assert_eq "$rc" "0" "exit code of --dry-run"
grep -qF "$CU_PG_HOST:$free_port/tickit" "$base/dry.out" || cu_fail "dry run: no source: $(cat "$base/dry.out")"
grep -qF "$base/dry/x_" "$base/dry.out" || cu_fail "dry run: no destination: $(cat "$base/dry.out")"
[[ $(cat "$base/dry.out" "$base/dry.err") != *"$wrong_pw"* ]] || cu_fail "dry run printed the password"
[[ ! -e "$base/dry" ]] || cu_fail "dry run created $base/dry"
cu_note "dry run: nothing touched"

# A --report nobody can write is refused before anything runs (exit 2): a scheduler reading
# it would otherwise see no report, or an old one, for a run that exited 0.
set +e
"$CROSSUNLOAD" run --no-parallel --report "$base/no-such-folder/report.json" \
  --source "$CU_PG_CONNINFO" --query "select 1 as one" --to "$base/badreport/x_" \
  >"$base/badreport.out" 2>"$base/badreport.err"
rc=$?
set -e
cu_assert_eq "$rc" "2" "exit code with an unwritable --report: $(cat "$base/badreport.err")"
grep -qF "crossunload: error: write report $base/no-such-folder/report.json: cannot write the report file: No such file or directory" \
  "$base/badreport.err" || cu_fail "unwritable report: $(cat "$base/badreport.err")"
[[ ! -e "$base/badreport" ]] || cu_fail "unwritable report: the run wrote $(ls -R "$base/badreport")"
cu_note "unwritable report: exit 2 before the run"
