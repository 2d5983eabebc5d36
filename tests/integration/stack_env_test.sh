#!/usr/bin/env bash
# The local stack that scripts/test starts is what docs/development.md promises: a
# throwaway PostgreSQL on loopback that checks passwords (the conninfo carries none; libpq
# finds it in PGPASSFILE), moto_server answering on loopback, and the DuckDB reader
# reading PostgreSQL's own CSV back to the values the TICKIT generator wrote.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_DUCKDB

# Loopback only, and no secret in the conninfo (it is passed on command lines).
[[ "$CU_PG_HOST" == 127.0.0.1 ]] || cu_fail "CU_PG_HOST is $CU_PG_HOST, not 127.0.0.1"
[[ "$CU_MOTO_ENDPOINT" == http://127.0.0.1:* ]] || cu_fail "CU_MOTO_ENDPOINT is $CU_MOTO_ENDPOINT"
[[ "$CU_PG_CONNINFO" != *"$CU_PG_PASSWORD"* && "$CU_PG_CONNINFO" != *password* ]] ||
  cu_fail "CU_PG_CONNINFO carries the password"

# The password works from PGPASSFILE over TCP ...
got=$("$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" -c "select current_user || '@' || inet_server_addr()")
cu_assert_eq "$got" "$CU_PG_USER@127.0.0.1/32" "user and address of a conninfo connection"
# ... the same via PGPASSWORD ...
got=$(env -u PGPASSFILE PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" -c "select 1")
cu_assert_eq "$got" "1" "connection with PGPASSWORD"
# ... and a wrong one is refused by the server (password auth is on for TCP).
if out=$(env -u PGPASSFILE PGPASSWORD=not-the-password "$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" \
  -c "select 1" 2>&1); then
  cu_fail "a wrong password was accepted"
fi
[[ "$out" == *"password authentication failed"* ]] || cu_fail "unexpected error for a wrong password: $out"

# moto answers, and acts in the account of the request (no MOTO_ACCOUNT_ID pinned): the
# moto-only header selects the account of an unsigned GetCallerIdentity.
for acct in 111111111111 222222222222; do
  body=$(curl -sS --max-time 10 -H "x-moto-account-id: $acct" -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0" \
    -d 'Action=GetCallerIdentity&Version=2011-06-15' "$CU_MOTO_ENDPOINT/")
  [[ "$body" == *"<Account>$acct</Account>"* ]] ||
    cu_fail "moto GetCallerIdentity with account header $acct answered: $body"
done

# DuckDB reads PostgreSQL's CSV back to the generator's values, hard ones included.
got=$(cu_pg_rows "select venueid, venuename, venueseats is null from venue where venueid in (7, 13, 21, 34, 55, 89) order by venueid" | cut -c1-200)
want='["7","Pinewood Race|track","f"]
["13","Community, Ballpark, Arena","f"]
["21","Columbus \"Crew\" Stadium","f"]
["34","St. Mary'"'"'s Concert Hall","t"]
["55","The Back\\Slash Club","f"]
["89","Théâtre Saint-Denis","f"]'
cu_assert_eq "$got" "$want" "venue rows read back through duckdb.mjs"
got=$(cu_pg_rows "select userid, city from users where city is null or city = '' order by userid limit 3")
want='["1009",""]
["1013",null]
["2018",""]'
cu_assert_eq "$got" "$want" "NULL and empty string kept apart"
got=$(cu_pg_rows "select count(*) from sales")
cu_assert_eq "$got" '["172456"]' "sales count"
cu_note "stack environment OK"
