#!/usr/bin/env bash
# A client we did not write: psycopg2 (the AWS pattern's sample Lambda uses it) runs an
# UNLOAD with a role chain through `crossunload gateway`, as the Lambda would against
# Redshift, and reads the INFO notice, the status message and pg_last_unload_count().
# The file must hold PostgreSQL's own COPY text of the same query (psql straight to the
# server), pipe-delimited as Redshift's default text format.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null ||
  cu_fail "python3-psycopg2 is missing (scripts/install-deps installs it)"

dir=$(cu_tmpdir)
"$CROSSUNLOAD" gateway --listen 127.0.0.1:0 --upstream "host=$CU_PG_HOST port=$CU_PG_PORT" \
  --local-root "$dir" >"$dir/gateway.out" 2>"$dir/gateway.log" &
gw_pid=$!
trap 'kill $gw_pid 2>/dev/null || true; rm -rf "$CU_TMP"' EXIT
for _ in $(seq 100); do
  port=$(grep -o "127\.0\.0\.1:[0-9]*" "$dir/gateway.out" 2>/dev/null | head -1 | cut -d: -f2 || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || cu_fail "the gateway did not start: $(cat "$dir/gateway.log")"

# The password reaches psycopg2 through the environment, never the command line.
got=$(GW_PORT=$port GW_TO="$dir/category_" /usr/bin/python3 - <<'PY'
import os, psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=int(os.environ["GW_PORT"]),
                        dbname=os.environ["CU_PG_DATABASE"], user=os.environ["CU_PG_USER"],
                        password=os.environ["CU_PG_PASSWORD"], sslmode="prefer")
conn.autocommit = True
cur = conn.cursor()
cur.execute("select version()")
version = cur.fetchone()[0]  # spec 8.2: "Redshift " after the last comma
print("redshift" if version.rsplit(",", 1)[-1].strip().startswith("Redshift ") else "postgres")
cur.execute("""UNLOAD ('select * from category order by catid')
               TO %s
               IAM_ROLE 'arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role,arn:aws:iam::111111111111:role/S3-Write-Role'
               ALLOWOVERWRITE PARALLEL OFF""", (os.environ["GW_TO"],))
print(cur.statusmessage)
print(cur.description)
for n in conn.notices:
    print(n.rstrip("\n"))
cur.execute("select pg_last_unload_count()")
print(cur.fetchone()[0])
conn.close()
PY
) || cu_fail "psycopg2 client failed: $got"

n=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from category")
cu_assert_eq "$got" "redshift
UNLOAD
None
INFO:  UNLOAD completed, $n record(s) unloaded successfully.
$n" "psycopg2's view of the UNLOAD"
want=$(cu_psql "$CU_PG_DATABASE" -c "copy (select * from category order by catid) to stdout with (delimiter '|')")
cu_assert_eq "$(cat "$dir/category_000")" "$want" "unloaded file"
grep -q "gateway unload client=127.0.0.1:[0-9]* user=$CU_PG_USER database=$CU_PG_DATABASE rows=$n " \
  "$dir/gateway.log" || cu_fail "no UNLOAD log line: $(cat "$dir/gateway.log")"
kill -TERM $gw_pid
wait $gw_pid || cu_fail "gateway exited with $? after SIGTERM: $(cat "$dir/gateway.log")"
cu_note "ok: psycopg2 UNLOAD through the gateway, $n rows"
