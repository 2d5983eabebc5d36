#!/usr/bin/env bash
# A database login must not be able to make the gateway write or delete files as its own OS
# user. An ordinary role (one PostgreSQL refuses `COPY … TO 'file'`) asks, through psql, for
# UNLOADs to local paths:
#   - a gateway started without --local-root refuses every local path (42501), so nothing is
#     written anywhere and CLEANPATH deletes nothing;
#   - with --local-root ROOT, a path inside ROOT (absolute or relative to it) is written, and
#     a path outside it, one with '..', or one through a symlink leading out of ROOT is
#     refused with nothing written or deleted outside.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/gateway_testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

dir=$(cu_tmpdir)
root="$dir/root"
outside="$dir/outside"
mkdir -p "$root" "$outside/victim"
echo "precious" >"$outside/victim/keep"
ln -s "$outside" "$root/link"

role="gw_plain_$$"
pw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
cu_psql postgres -c "create role $role login password '$pw'" >/dev/null
cleanup() {
  gw_cleanup
  cu_psql postgres -c "drop role if exists $role" >/dev/null 2>&1 || true
  rm -rf "$CU_TMP"
}
trap cleanup EXIT

# The role really is an ordinary one: PostgreSQL itself refuses it a server-side file.
if "$CU_PG_BIN/psql" -X "host=$CU_PG_HOST port=$CU_PG_PORT user=$role dbname=$CU_PG_DATABASE password=$pw" \
  -c "copy (select 1) to '$outside/by_copy'" >/dev/null 2>&1; then
  cu_fail "PostgreSQL let the ordinary role $role write a server file; the test's premise is wrong"
fi

upstream="host=$CU_PG_HOST port=$CU_PG_PORT"

# as_role SQL: psql through the gateway as the ordinary role (password from a 0600 file);
# prints stderr+stdout, returns psql's status.
as_role() {
  local pass="$dir/pgpass"
  (
    umask 077
    printf '127.0.0.1:%s:*:%s:%s\n' "$port" "$role" "$pw" >"$pass"
  )
  PGPASSFILE="$pass" "$CU_PG_BIN/psql" -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -At \
    -h 127.0.0.1 -p "$port" -U "$role" -d "$CU_PG_DATABASE" -c "$1" 2>&1
}

# refused SQL WHAT: the statement fails with 42501 and a message containing WHAT.
refused() {
  local out rc=0
  out=$(as_role "$1") || rc=$?
  [[ $rc -ne 0 ]] || cu_fail "the gateway accepted: $1 (psql said: $out)"
  [[ "$out" == *"ERROR:  42501: "*"$2"* ]] || cu_fail "unexpected refusal of: $1: $out"
}

# Exactly what the test put outside the root is there, unchanged.
no_files_outside() {
  local found
  found=$(cd "$outside" && find . -mindepth 1 | sort | tr '\n' ' ')
  cu_assert_eq "$found" "./victim ./victim/keep " "files outside the root"
  cu_assert_eq "$(cat "$outside/victim/keep")" "precious" "the file CLEANPATH must not delete"
}

# --- 1. No --local-root: every local path is refused, as on Redshift.
gw_start plain "$upstream"
refused "unload ('select ''planted''') to '$outside/x_'" \
  "UNLOAD to a local path is not enabled on this gateway"
refused "unload ('select 1') to '$outside/victim/' cleanpath" "not enabled"
refused "unload ('select 1') to 'relative_'" "not enabled"
no_files_outside
[[ -z "$(ls -A "$root" | grep -v '^link$' || true)" ]] || cu_fail "files appeared in the root: $(ls -A "$root")"
# The session stays usable after a refusal.
got=$(as_role "select 41 + 1") || cu_fail "query after a refusal failed: $got"
cu_assert_eq "$got" "42" "a query after the refusal"

# --- 2. --local-root ROOT: inside is written, outside is refused.
gw_start rooted "$upstream" --local-root "$root"
out=$(as_role "unload ('select ''inside''') to '$root/out/x_' parallel off") || cu_fail "UNLOAD inside the root failed: $out"
cu_assert_eq "$(cat "$root/out/x_000")" "inside" "file written inside the root"
out=$(as_role "unload ('select ''relative''') to 'rel/y_' parallel off") || cu_fail "relative UNLOAD failed: $out"
cu_assert_eq "$(cat "$root/rel/y_000")" "relative" "a relative TO lands under the root"
out=$(as_role "unload ('select ''again''') to '$root/out/x_' cleanpath parallel off") ||
  cu_fail "CLEANPATH inside the root failed: $out"
cu_assert_eq "$(cat "$root/out/x_000")" "again" "CLEANPATH inside the root"

refused "unload ('select ''planted''') to '$outside/x_'" "outside the gateway's local root"
refused "unload ('select ''planted''') to '$root/../outside/x_'" "'..'"
refused "unload ('select ''planted''') to '../outside/x_'" "'..'"
refused "unload ('select ''planted''') to '$root/link/x_'" "outside the gateway's local root"
refused "unload ('select ''planted''') to 'link/deeper/x_'" "outside the gateway's local root"
refused "unload ('select 1') to '$outside/victim/' cleanpath" "outside the gateway's local root"
refused "unload ('select 1') to 'link/victim/' cleanpath" "outside the gateway's local root"
# The root itself as a prefix would name files beside it, in its parent folder.
refused "unload ('select ''planted''') to '$root'" "outside the gateway's local root"
no_files_outside
[[ ! -e "$dir/root0000_part_00" && ! -e "$dir/root000" ]] || cu_fail "a file was written beside the root"

cu_note "ok: local-path UNLOAD refused without --local-root and confined to it with one"
