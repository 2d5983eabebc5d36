#!/usr/bin/env bash
# Redshift's rules through the local Redshift (`crossunload gateway` over the stack's
# PostgreSQL, the pattern's accounts in moto), as a database login would meet them:
#
# 1. A data-modifying WITH in an UNLOAD's query (`with d as (delete … returning *) select *
#    from d`, INSERT or UPDATE inside WITH, a WITH leading to a DELETE) is refused, and the
#    rows are all still there. Redshift has no data-modifying WITH; PostgreSQL runs one even
#    inside the gateway's `COPY (…) TO STDOUT`, so before this was refused the DELETE ran.
# 2. A malformed CREDENTIALS, an unquoted or unterminated SECRET_ACCESS_KEY: neither the
#    client's error nor the gateway's log holds the key or its first four characters.
# 3. A job's query with Redshift's literal `'it\'s'` runs in server mode (the query check
#    used to read it as PostgreSQL does and refused it as unterminated), and the object holds
#    `it's`.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"

sfx="-rules$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret

table="cu_rules_$$"
cu_psql "$CU_PG_DATABASE" -c "create table $table (id int, v text);
  insert into $table values (1, 'a'), (2, 'b'), (3, 'c')"
stack_on_exit "cu_psql '$CU_PG_DATABASE' -c 'drop table if exists $table'"
rows() { cu_psql "$CU_PG_DATABASE" -Atc "select string_agg(id || v, ',' order by id) from $table"; }

# psql through the gateway, as the database user; the password from the environment.
gw_psql() {
  PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$CU_PAT_GATEWAY_PORT user=$CU_PG_USER dbname=$CU_PG_DATABASE" "$@"
}
chain="$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE"
to="s3://$CU_PAT_BUCKET/rules/x_"

# A plain UNLOAD of the table works (so a refusal below is about the query, not the setup).
gw_psql -c "unload ('select * from $table') to '$to' iam_role '$chain' allowoverwrite" \
  >"$CU_STACK_DIR/plain.out" 2>&1 ||
  cu_fail "a plain UNLOAD failed: $(cat "$CU_STACK_DIR/plain.out") $(cat "$CU_PAT_GATEWAY_LOG")"

# 1. Data-modifying WITH.
for q in "with d as (delete from $table returning *) select * from d" \
  "WITH d AS (UPDATE $table SET v = 'z' RETURNING *) SELECT * FROM d" \
  "with d as (insert into $table values (9, 'z') returning *) select * from d" \
  "with a as (select 1) delete from $table where id > 0 returning *"; do
  lit=${q//\'/\'\'}
  if out=$(gw_psql -c "unload ('$lit') to '$to' iam_role '$chain' allowoverwrite" 2>&1); then
    cu_fail "the gateway ran an UNLOAD whose query changes data: $q"
  fi
  [[ "$out" == *"the query changes data"* ]] || cu_fail "unexpected answer to \"$q\": $out"
  cu_assert_eq "$(rows)" "1a,2b,3c" "the table's rows after \"$q\""
done
cu_note "ok: data-modifying WITH refused, rows intact"

# 2. Secrets in errors. The key is made up: only its absence is checked.
key="wJalrXUtnFEMI/K7MDENG/bPxRfiCY$$EXAMPLEKEY"
head="unload ('select 1') to '$to' access_key_id 'AKIAIOSFODNN7EXAMPLE'"
cred="unload ('select 1') to '$to' credentials"
for stmt in "$head secret_access_key '$key" \
  "$head secret_access_key $key" \
  "$head '$key'" \
  "$cred 'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;$key'" \
  "$cred 'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;aws_secret_access_key:$key'" \
  "$cred 'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;aws_secret_access_key=$key"; do
  : >"$CU_STACK_DIR/client.err"
  if gw_psql -c "$stmt" >/dev/null 2>"$CU_STACK_DIR/client.err"; then
    cu_fail "the gateway accepted a malformed statement"
  fi
  grep -q "ERROR" "$CU_STACK_DIR/client.err" ||
    cu_fail "no error for a malformed statement: $(cat "$CU_STACK_DIR/client.err")"
  for f in "$CU_STACK_DIR/client.err" "$CU_PAT_GATEWAY_LOG"; do
    if grep -qF -- "${key:0:4}" "$f"; then
      cu_fail "the secret key (or its first characters) appears in $(basename "$f"): $(grep -F -- "${key:0:4}" "$f")"
    fi
  done
done
cu_note "ok: no secret in the client's errors or the gateway's log"

# 3. A Redshift literal in a job's query, server mode through the gateway.
report="$CU_STACK_DIR/report.json"
# --pii off: the guard's sample query is a plain SELECT, which the gateway relays to
# PostgreSQL as it is, and PostgreSQL reads 'it\'s' as unterminated (a real cluster reads
# it as Redshift does; docs/gateway.md, "What the gateway does not emulate"). UNLOAD's
# select is translated by the gateway, and that is what this case checks.
pattern_run_job "$report" --query "select 'it\\'s' as v, id from $table order by id" \
  --to "s3://$CU_PAT_BUCKET/literal/v_" --no-parallel --pii off \
  >"$CU_STACK_DIR/run.out" 2>"$CU_STACK_DIR/run.err" ||
  cu_fail "the job failed: $(cat "$CU_STACK_DIR/run.err") gateway: $(cat "$CU_PAT_GATEWAY_LOG")"
cu_assert_eq "$(jq -r .mode "$report")" "server" "report mode"
dl="$CU_STACK_DIR/literal"
mkdir -p "$dl"
AWS_PROFILE=lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/literal/" "$dl/" ||
  cu_fail "cannot download the object"
cu_assert_eq "$(cat "$dl"/v_*)" "it's|1
it's|2
it's|3" "the unloaded rows"
cu_note "ok: the Redshift literal 'it\\'s' unloads as it's"
