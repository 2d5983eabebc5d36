#!/usr/bin/env bash
# The README's commands work whatever the user's shell exports: PG* and AWS* variables left
# in the environment (a password, a host, a profile, keys, an endpoint of a real account)
# must not reach the throwaway PostgreSQL, moto or the job that the scripts start. Two runs
# with a hostile environment:
#   1. scripts/with-stack (a fresh PostgreSQL, no moto) running psql and `crossunload run`
#      against it, and printing what is left of PG*/AWS* in the command's environment;
#   2. scripts/demo against the running stack (as pattern_demo_test.sh does).
# Both must succeed, and none of the hostile values may be visible to the commands.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

hostile=(
  PGPASSWORD=not-the-password PGHOST=203.0.113.9 PGHOSTADDR=203.0.113.9 PGPORT=1
  PGUSER=nobody PGDATABASE=nowhere PGSSLMODE=require PGSERVICE=nosuchservice
  PGDATESTYLE=SQL,DMY PGTZ=Pacific/Chatham PGOPTIONS=-cstatement_timeout=1
  AWS_PROFILE=nonexistent AWS_ACCESS_KEY_ID=bogus AWS_SECRET_ACCESS_KEY=bogus
  AWS_SESSION_TOKEN=bogus AWS_REGION=mars-east-1 AWS_DEFAULT_REGION=mars-east-1
  AWS_CONFIG_FILE=/nonexistent/config AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials
  AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_STS=http://127.0.0.1:9
  AWS_ENDPOINT_URL_S3=http://127.0.0.1:9 AWS_ROLE_ARN=arn:aws:iam::999999999999:role/Nope
)

# 1. scripts/with-stack: its own PostgreSQL, psql and a client-mode run, in a clean environment.
out="$CU_TMP/with-stack.out"
dest="$(cu_tmpdir)"
# shellcheck disable=SC2016 # expanded by the inner shell, inside the stack
inner='set -e
env | grep -E "^(PG|AWS_)" | sort
"$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" -c "select '\''psql:'\'' || current_user || '\''@'\'' || current_database() || '\'' '\'' || (date '\''2024-03-01'\'')::text"
"$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --query "select catid, catname from category where catid <= 2 order by catid" \
  --to "$DEST/category_" --no-parallel'
env -u CU_PG_CONNINFO -u CU_PG_HOST -u CU_PG_PORT -u CU_PG_USER -u CU_PG_PASSWORD -u CU_PG_BIN \
  -u CU_PG_SOCKET_DIR -u CU_MOTO_ENDPOINT -u CU_STACK_DIR -u PGPASSFILE "${hostile[@]}" \
  DEST="$dest" CROSSUNLOAD="$CROSSUNLOAD" \
  "$CU_SOURCE_DIR/scripts/with-stack" --no-moto bash -c "$inner" >"$out" 2>&1 ||
  cu_fail "scripts/with-stack failed with PG*/AWS* set in the shell: $(tail -20 "$out")"
grep -qx 'psql:cu@tickit 2024-03-01' "$out" ||
  cu_fail "psql did not reach the stack's own database as its user: $(tail -20 "$out")"
leftover=$(grep -E '^(PG|AWS_)' "$out" | grep -v '^PGPASSFILE=' || true)
[[ -z "$leftover" ]] || cu_fail "PG*/AWS* variables reached the command inside with-stack: $leftover"
[[ -f "$dest/category_000" ]] || cu_fail "crossunload run wrote no $dest/category_000: $(tail -20 "$out")"
got=$(cat "$dest/category_000")
want=$(cu_psql "$CU_PG_DATABASE" -At -F '|' -c "select catid, catname from category where catid <= 2 order by catid")
cu_assert_eq "$got" "$want" "rows unloaded inside with-stack"

# 2. scripts/demo against the running stack, with the same hostile variables.
out="$CU_TMP/demo.out"
env "${hostile[@]}" CU_DEMO_SUFFIX="-hostile$$" "$CU_SOURCE_DIR/scripts/demo" >"$out" 2>&1 ||
  cu_fail "scripts/demo failed with PG*/AWS* set in the shell: $(tail -30 "$out")"
grep -q '"status": "ok"' "$out" || cu_fail "no ok report in the demo's output: $(tail -30 "$out")"
grep -q "tickit/category_0000_part_00" "$out" || cu_fail "the demo did not list the object"
cu_note "ok: with-stack and the demo ignore PG*/AWS* from the shell"
