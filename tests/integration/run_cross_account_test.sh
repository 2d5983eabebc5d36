#!/usr/bin/env bash
# The job end to end across accounts, in client mode (issue 4, Tests): the pattern's two
# accounts in the stack's moto_server (scripts/lib/pattern_setup.py, per-run names), the
# PROD secret redshift_creds pointing at the stack's PostgreSQL, and `crossunload run` as
# the DEV Lambda's role: assume PROD SM-Read-Role with the external id, read the secret,
# connect, stream every TICKIT table into the DEV bucket in text and in CSV.
# Checked against independent sources: the objects (listed and downloaded with boto3)
# read back by DuckDB equal PostgreSQL's own COPY of the table; the --report JSON field by
# field against the listing and PostgreSQL's count; the identities against the ARNs AWS
# gives assumed roles. Then every stdout, stderr, report and the argv of every process
# sampled while the jobs ran are scanned for the database password, the IAM users' secret
# keys and every secret key and session token moto handed out for this run's roles: none
# may appear. The test itself keeps secrets in the environment and 0600 files only.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/pattern_world.sh"

sfx="-xa$$$RANDOM" # shares moto with other tests: every name of this run carries it
# The secret points at the PostgreSQL itself (no gateway: client mode); the password goes
# through the environment (CU_PG_PASSWORD), not the command line.
cu_pattern_world "$sfx"
bucket=$CU_PAT_BUCKET
session=xacct-test
lambda_session="arn:aws:sts::111111111111:assumed-role/CrossAccount-SM-Read-Role$sfx/crossunload-lambda"

runs="$CU_STACK_DIR/runs" # everything the jobs printed, for the secret scan
mkdir -p "$runs"
argv_log="$runs/argv-samples"

# job NAME ARGS...: the DEV Lambda's job in client mode; its report in $runs/NAME.json.
# While it runs, the argv of every process is sampled into $argv_log.
job() {
  local name=$1
  shift
  env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=lambda "$CROSSUNLOAD" run --mode client \
    --region "$CU_PAT_REGION" --secret-id "$CU_PAT_SECRET_ID" \
    --secret-role-arn "$CU_PAT_SM_READ_ROLE" --external-id "$CU_PAT_EXTERNAL_ID" \
    --role-session-name "$session" --report "$runs/$name.json" --allow-pii email,phone "$@" \
    >"$runs/$name.out" 2>"$runs/$name.err" &
  local pid=$! rc=0
  while kill -0 "$pid" 2>/dev/null; do
    ps -eo args >>"$argv_log" 2>/dev/null || true
    { tr '\0' ' ' <"/proc/$pid/cmdline" >>"$argv_log"; } 2>/dev/null || true
    echo >>"$argv_log"
    sleep 0.05
  done
  wait "$pid" || rc=$?
  [[ $rc == 0 ]] || cu_fail "$name: crossunload run exited $rc: $(cat "$runs/$name.err")"
}

# check_report NAME PREFIX COUNT LISTING: the report of job NAME, field by field.
check_report() {
  local name=$1 prefix=$2 count=$3 listing=$4 r="$runs/$1.json"
  cu_assert_eq "$(jq -r .status "$r")" "ok" "$name: status"
  cu_assert_eq "$(jq -r .mode "$r")" "client" "$name: mode"
  cu_assert_eq "$(jq -r .source "$r")" "$CU_PG_HOST:$CU_PG_PORT/$CU_PG_DATABASE" "$name: source"
  jq -r .server "$r" | grep -q '^PostgreSQL 15' || cu_fail "$name: server is $(jq -r .server "$r")"
  cu_assert_eq "$(jq -r .destination "$r")" "$prefix" "$name: destination"
  cu_assert_eq "$(jq -r .rows "$r")" "$count" "$name: rows = PostgreSQL's count"
  local data_listing total
  data_listing=$(grep -vP 'manifest\t' "$listing" || true)
  total=$(awk -F'\t' '{s += $2} END {print s + 0}' <<<"$data_listing")
  cu_assert_eq "$(jq -r .bytes "$r")" "$total" "$name: bytes = the objects' sizes (ListObjectsV2)"
  cu_assert_eq "$(jq -r '.files[] | "\(.url)\t\(.bytes)"' "$r" | sort)" "$data_listing" \
    "$name: files (url, bytes) = the objects listed"
  cu_assert_eq "$(jq '[.files[] | select(.rows == null)] | length' "$r")" "0" "$name: files without rows"
  cu_assert_eq "$(jq '[.files[].rows] | add // 0' "$r")" "$count" "$name: rows of the files add up"
  cu_assert_eq "$(jq -r .unload_sql "$r")" "null" "$name: unload_sql (client mode)"
  cu_assert_eq "$(jq -r 'has("error")' "$r")" "false" "$name: error field"
  cu_assert_eq "$(jq -r '[.steps[].name] | join(",")' "$r")" "assume role,read secret,connect,unload" \
    "$name: steps"
  cu_assert_eq "$(jq '[.steps[] | select((.ms | type) != "number" or .ms < 0)] | length' "$r")" "0" \
    "$name: steps without a duration"
  step() { jq -r --arg n "$1" ".steps[] | select(.name == \$n) | .$2" "$r"; }
  # Our own identity is the Lambda's role (profile lambda: role_arn + source_profile +
  # role_session_name crossunload-lambda). The ARN AWS gives a role session:
  # arn:aws:sts::<account>:assumed-role/<role name>/<session name>.
  cu_assert_eq "$(step "assume role" resource)" "$CU_PAT_SM_READ_ROLE" "$name: assume role resource"
  cu_assert_eq "$(step "assume role" identity)" "$lambda_session" "$name: assume role identity (the caller)"
  cu_assert_eq "$(step "read secret" identity)" \
    "arn:aws:sts::222222222222:assumed-role/SM-Read-Role$sfx/$session" "$name: read secret identity"
  cu_assert_eq "$(step "read secret" resource)" "$CU_PAT_SECRET_ID" "$name: read secret resource"
  cu_assert_eq "$(step connect identity)" "$CU_PG_USER" "$name: connect identity (the secret's username)"
  cu_assert_eq "$(step connect resource)" "$CU_PG_HOST:$CU_PG_PORT/$CU_PG_DATABASE" "$name: connect resource"
  cu_assert_eq "$(step unload resource)" "$prefix" "$name: unload resource"
  # Client mode writes the objects as our own identity unless write_role_arn is given.
  if [[ $name != *-write-role ]]; then
    cu_assert_eq "$(step unload identity)" "$lambda_session" "$name: unload identity (the writer)"
  fi
}

# check_rows NAME QUERY DIR READER_OPTS...: rows of every object under DIR = PostgreSQL's.
# Through files: duckdb.mjs output in $(…) may be cut at 64 KiB.
check_rows() {
  local name=$1 q=$2 dir=$3
  shift 3
  local files
  mapfile -t files < <(find "$dir" -type f ! -name '*manifest' | sort)
  ((${#files[@]} > 0)) || cu_fail "$name: nothing downloaded"
  cu_file_rows "$@" --sort "${files[@]}" >"$runs/$name.got" || cu_fail "$name: DuckDB cannot read the objects"
  local pgopts=()
  [[ " $* " == *" --empty-as-null "* ]] && pgopts=(--empty-as-null)
  cu_pg_rows "$q" --sort "${pgopts[@]}" >"$runs/$name.want"
  [[ -s "$runs/$name.want" ]] || cu_fail "$name: PostgreSQL returned nothing"
  if ! cmp -s "$runs/$name.want" "$runs/$name.got"; then
    diff "$runs/$name.want" "$runs/$name.got" | head -20 >&2 || true
    cu_fail "$name: rows differ ($(wc -l <"$runs/$name.want") wanted, $(wc -l <"$runs/$name.got") read back)"
  fi
}

njobs=0
for table in category date event listing sales users venue; do
  q="select * from $table"
  count=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from $table")
  for fmt in text csv; do
    name="$table-$fmt"
    key="tickit$sfx/$table/$fmt/${table}_"
    prefix="s3://$bucket/$key"
    # Text with ESCAPE, as AWS recommends: without it a '|' in venue names splits fields.
    opts=(--escape)
    [[ $fmt == csv ]] && opts=(--format csv)
    job "$name" --query "$q" --to "$prefix" "${opts[@]}"
    njobs=$((njobs + 1))
    moto_s3 objects "$bucket" "$key" >"$runs/$name.listing" || cu_fail "$name: cannot list"
    check_report "$name" "$prefix" "$count" "$runs/$name.listing"
    cu_assert_eq "$(jq -r .manifest "$runs/$name.json")" "null" "$name: manifest (none asked)"
    dl="$CU_STACK_DIR/dl/$name"
    moto_s3 download "$bucket" "$key" "$dl" || cu_fail "$name: cannot download"
    if [[ $fmt == csv ]]; then
      check_rows "$name" "$q" "$dl" --format csv
    else
      # Redshift's default text cannot tell NULL from '': both sides map '' to NULL.
      check_rows "$name" "$q" "$dl" --format text --text-escape --empty-as-null
    fi
    cu_assert_eq "$(moto_s3 uploads "$bucket" "$key")" "0" "$name: multipart uploads left open"
  done
done
cu_note "7 TICKIT tables, text and CSV, PROD secret -> DEV bucket: rows and reports match"

# With a manifest (and the debug log, which is scanned too): the report names it, it is
# in the bucket, and it lists exactly the data objects.
name=venue-manifest
key="tickit$sfx/manifest/venue_"
prefix="s3://$bucket/$key"
job "$name" --query "select * from venue" --to "$prefix" --format csv --manifest -v
njobs=$((njobs + 1))
moto_s3 objects "$bucket" "$key" >"$runs/$name.listing" || cu_fail "$name: cannot list"
check_report "$name" "$prefix" "$(cu_psql "$CU_PG_DATABASE" -Atc 'select count(*) from venue')" \
  "$runs/$name.listing"
cu_assert_eq "$(jq -r .manifest "$runs/$name.json")" "${prefix}manifest" "$name: manifest URL"
cut -f1 "$runs/$name.listing" | grep -qxF "${prefix}manifest" || cu_fail "$name: no manifest object"
moto_s3 download "$bucket" "$key" "$CU_STACK_DIR/dl/$name" || cu_fail "$name: cannot download"
cu_assert_eq "$(jq -r '.entries[].url' "$CU_STACK_DIR/dl/$name/${key}manifest" | sort)" \
  "$(grep -vP 'manifest\t' "$runs/$name.listing" | cut -f1)" "$name: manifest entries = the data objects"
cu_note "manifest: named in the report, lists exactly the objects"

# With write_role_arn: the objects are written as DEV S3-Write-Role, assumed by the
# Lambda's role with the same session name; the report's unload step names that session.
name=category-write-role
key="tickit$sfx/write-role/category_"
job "$name" --query "select * from category" --to "s3://$bucket/$key" --format csv \
  --write-role-arn "$CU_PAT_DEV_WRITE_ROLE"
njobs=$((njobs + 1))
cu_assert_eq "$(jq -r '.steps[] | select(.name == "unload") | .identity' "$runs/$name.json")" \
  "arn:aws:sts::111111111111:assumed-role/S3-Write-Role$sfx/$session" "$name: unload identity"
moto_s3 download "$bucket" "$key" "$CU_STACK_DIR/dl/$name" || cu_fail "$name: cannot download"
check_rows "$name" "select * from category" "$CU_STACK_DIR/dl/$name" --format csv
cu_note "write_role_arn: the unload step names the S3-Write-Role session, rows match"

# The secret scan. What crossunload held: the database password (from the secret), the
# Lambda runner's key (profile), and the keys and tokens of every role session moto gave
# out for this run's roles (the Lambda role and SM-Read-Role, once per job).
secrets="$CU_STACK_DIR/secrets"
cu_pattern_secrets "$sfx" "$secrets"
nsessions=$(moto_s3 session-secrets -- "$sfx" | wc -l)
((nsessions >= 4 * njobs)) ||
  cu_fail "moto handed out $nsessions session secrets for $njobs jobs; want a key and a token for 2 roles each"
grep -qF -- "--secret-id $CU_PAT_SECRET_ID" "$argv_log" ||
  cu_fail "the argv sampler never saw crossunload running (the scan would prove nothing)"
if found=$(grep -rlF -f "$secrets" "$runs"); then
  # Which lines, with the secrets masked (another test's process may be the culprit).
  python3 - "$secrets" $found <<'PY' >&2 || true
import sys
secrets = [s for s in open(sys.argv[1]).read().splitlines() if s]
for path in sys.argv[2:]:
    for line in open(path, errors="replace"):
        if any(s in line for s in secrets):
            for s in secrets:
                line = line.replace(s, "***")
            print(f"{path.rsplit('/', 1)[-1]}: {line.rstrip()[:300]}")
            break
PY
  cu_fail "a secret appears in: $(echo "$found" | xargs -n1 basename | paste -sd' ')"
fi
cu_note "no secret in $(find "$runs" -type f | wc -l) outputs/reports or $(wc -l <"$argv_log") lines of argv samples ($(wc -l <"$secrets") secrets checked)"
