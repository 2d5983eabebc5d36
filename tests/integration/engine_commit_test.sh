#!/usr/bin/env bash
# The commit protocol, CLEANPATH and empty results (docs/formats.md "Commit", "Layout"),
# through `crossunload run` in client mode against the stack's PostgreSQL and a PRIVATE
# moto_server with IAM enforcement (enforcement is global to a server; test-stack.md):
#   half-way   a query failing half-way (`1/(id-150000)`, after ~16 MB in 5 MB files) into
#              S3 as a writer that may put, list and abort but NOT delete (checked: moto
#              refuses its DeleteObject): exit 4, nothing under the prefix, no upload open;
#              the same into a folder: nothing left, not even a hidden temporary file;
#   cleanpath  CLEANPATH with PARTITION BY replaces only the partition folders that get new
#              files; a CLEANPATH run that fails leaves the previous objects as they were;
#   home       `--to <a home-like folder>/ --clean-path` keeps .bashrc, .ssh/, docs/ and
#              removes only a file named as crossunload names its output; --dry-run lists it;
#   race       two runs to one prefix at once, as the writer that may not delete: one exits
#              0, the other 5, and only the first one's objects are there;
#   zero       zero rows write nothing (no file, no manifest), exit 0, report 0 rows; with
#              --empty-result schema one file with the schema (Parquet read by DuckDB: no
#              rows, the columns) and the manifest;
#   manifest   a folder manifest's urls are absolute paths of the files.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"
python3 -c 'import boto3' 2>/dev/null || cu_fail "python3 boto3 is missing (scripts/install-deps)"
command -v curl >/dev/null || cu_fail "curl is missing (scripts/install-deps installs it)"

export CU_STACK_DIR
CU_STACK_DIR=$(cu_tmpdir)
source "$CU_SOURCE_DIR/scripts/lib/stack.sh"
trap 'stack_cleanup; rm -rf "$CU_TMP"' EXIT
CU_MOTO_AUTH_COUNT=inf stack_start_moto 2>/dev/null || cu_fail "cannot start a private moto_server"
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"
moto_s3() { python3 "$CU_SOURCE_DIR/tests/support/moto_s3.py" "$@"; }
enforce() {
  curl -sf -X POST -H 'Content-Type: text/plain' --data "$1" "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null ||
    cu_fail "moto refused reset-auth $1"
}

sfx="-commit$$"
pattern_setup "$sfx" || cu_fail "cannot build the pattern's accounts in moto"
bucket=$CU_PAT_BUCKET
# The writer: put, list, read, abort its uploads; no s3:DeleteObject.
python3 - "$CU_MOTO_ENDPOINT" "$bucket" "$sfx" "$AWS_SHARED_CREDENTIALS_FILE" <<'PY' ||
import json, sys, boto3
endpoint, bucket, sfx, creds = sys.argv[1:]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.meta.events.register("before-sign.*.*",
    lambda request, **_: request.headers.__setitem__("x-moto-account-id", "111111111111"))
iam.create_user(UserName=f"writer{sfx}")
iam.put_user_policy(UserName=f"writer{sfx}", PolicyName="write-no-delete", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
     "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
     "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
k = iam.create_access_key(UserName=f"writer{sfx}")["AccessKey"]
with open(creds, "a") as f:
    f.write(f"\n[writer]\naws_access_key_id = {k['AccessKeyId']}\n"
            f"aws_secret_access_key = {k['SecretAccessKey']}\n")
PY
  cu_fail "cannot create the writer"

t="commit_t$$"
cu_psql "$CU_PG_DATABASE" -c "create table $t as
  select g as id, repeat('x', 100) as pad from generate_series(1, 300000) g" ||
  cu_fail "cannot create $t"
stack_on_exit "cu_psql '$CU_PG_DATABASE' -c 'drop table if exists $t' >/dev/null 2>&1"

runs="$CU_STACK_DIR/runs"
mkdir -p "$runs"
# Prefixes written under enforcement have no '/' (moto's signing gotcha under enforcement,
# as in run_access_denied_test.sh).
# run NAME ARGS...: `crossunload run` in client mode as the writer; its exit code in
# $runs/NAME.rc, its output in NAME.out / NAME.err, its report in NAME.json.
run() {
  local name=$1
  shift
  set +e
  env -u PGPASSWORD AWS_PROFILE=writer "$CROSSUNLOAD" run --region "$CU_PAT_REGION" \
    --mode client --source "$CU_PG_CONNINFO" --report "$runs/$name.json" "$@" \
    >"$runs/$name.out" 2>"$runs/$name.err"
  echo $? >"$runs/$name.rc"
  set -e
}
expect_rc() {
  local got
  got=$(cat "$runs/$1.rc")
  [[ $got == "$2" ]] || cu_fail "$1: exit $got, want $2: $(cat "$runs/$1.err")"
}
s3() { AWS_PROFILE=writer aws --endpoint-url "$CU_MOTO_ENDPOINT" --region "$CU_PAT_REGION" "$@"; }

# ---- half-way, S3, a writer that may not delete ----
enforce 0
if s3 s3api delete-object --bucket "$bucket" --key "half_probe" >/dev/null 2>"$runs/probe.err"; then
  cu_fail "moto let the writer delete: the test would prove nothing"
fi
grep -q AccessDenied "$runs/probe.err" || cu_fail "the writer's delete failed otherwise: $(cat "$runs/probe.err")"
run half_s3 --query "select id, pad, 1/(id-150000) as x from $t" --to "s3://$bucket/half_x_" \
  --no-parallel --max-file-size 5MB --manifest
expect_rc half_s3 4
grep -q "division by zero" "$runs/half_s3.err" || cu_fail "half_s3: not the query's error: $(cat "$runs/half_s3.err")"
grep -qF "nothing of this run was published" "$runs/half_s3.err" ||
  cu_fail "half_s3: the error does not say that nothing was published: $(cat "$runs/half_s3.err")"
enforce inf
cu_assert_eq "$(moto_s3 objects "$bucket" "half_")" "" "objects under half_ after the failed run"
cu_assert_eq "$(moto_s3 uploads "$bucket" "half_")" "0" "uploads open under half_"
cu_assert_eq "$(jq -r '"\(.status) \(.manifest)"' "$runs/half_s3.json")" "failed null" "half_s3 report"

# ---- half-way, folder ----
dir=$(cu_tmpdir)
run half_dir --query "select id, pad, 1/(id-150000) as x from $t" --to "$dir/half/x_" \
  --no-parallel --max-file-size 5MB --manifest
expect_rc half_dir 4
cu_assert_eq "$(find "$dir" -mindepth 1)" "" "what the failed folder run left (files, temporary files, folders)"
cu_note "half-way: exit 4, nothing visible and nothing open in S3 (no DeleteObject) and in a folder"

# ---- CLEANPATH with PARTITION BY (enforcement off: CLEANPATH deletes) ----
enforce inf
listing() { moto_s3 objects "$bucket" "part/"; }
content() { s3 s3 cp --quiet "s3://$bucket/$1" -; }
run part1 --query "select id, id % 3 as p from $t where id <= 30" --to "s3://$bucket/part/" \
  --partition-by p --format csv --manifest
expect_rc part1 0
s3 s3 cp --quiet - "s3://$bucket/part/p=1/0000_part_07" <<<"older file of p=1" || cu_fail "cannot put p=1/0000_part_07"
p0=$(content "part/p=0/0000_part_00")
p2=$(content "part/p=2/0000_part_00")
[[ -n $p0 && -n $p2 ]] || cu_fail "part1 did not write p=0 and p=2: $(listing)"
run part2 --query "select id * 100 as id, id % 3 as p from $t where id <= 30 and id % 3 = 1" \
  --to "s3://$bucket/part/" --partition-by p --format csv --manifest --clean-path
expect_rc part2 0
cu_assert_eq "$(listing | cut -f1)" "s3://$bucket/part/manifest
s3://$bucket/part/p=0/0000_part_00
s3://$bucket/part/p=1/0000_part_00
s3://$bucket/part/p=2/0000_part_00" "objects after CLEANPATH of p=1"
cu_assert_eq "$(content "part/p=0/0000_part_00")" "$p0" "p=0 after CLEANPATH of p=1"
cu_assert_eq "$(content "part/p=2/0000_part_00")" "$p2" "p=2 after CLEANPATH of p=1"
cu_assert_eq "$(content "part/p=1/0000_part_00" | sort -n | paste -sd,)" \
  "100,400,700,1000,1300,1600,1900,2200,2500,2800" "p=1 after CLEANPATH"
cu_assert_eq "$(content "part/manifest" | jq -r '.entries[].url')" "s3://$bucket/part/p=1/0000_part_00" \
  "the manifest after CLEANPATH of p=1"
before=$(listing)
run part3 --query "select id, id % 3 as p, 1/(id-20) as x from $t where id <= 30" \
  --to "s3://$bucket/part/" --partition-by p --format csv --manifest --clean-path
expect_rc part3 4
cu_assert_eq "$(listing)" "$before" "objects after a failed CLEANPATH run"
cu_assert_eq "$(content "part/p=0/0000_part_00")" "$p0" "p=0 after a failed CLEANPATH run"
cu_assert_eq "$(moto_s3 uploads "$bucket" "part/")" "0" "uploads open under part/"
cu_note "cleanpath: only the partition folders receiving files are cleaned, after the query succeeded"

# ---- --to a home-like folder --clean-path ----
home=$(cu_tmpdir)/home
mkdir -p "$home/.ssh" "$home/docs" "$home/old=1"
echo "key" >"$home/.ssh/id_rsa"
echo "alias ll='ls -l'" >"$home/.bashrc"
echo "notes" >"$home/docs/notes.txt"
echo "notes" >"$home/0001_part_00.txt.bak.d"
echo "an earlier unload" >"$home/0001_part_00"
echo "an earlier partition" >"$home/old=1/0000_part_00.gz"
set +e
# --pii off: this dry run contacts nothing (with the guard on it checks a sample first).
env -u PGPASSWORD "$CROSSUNLOAD" run --dry-run --source "$CU_PG_CONNINFO" --mode client \
  --query "select 1 as one" --to "$home/" --clean-path --pii off >"$runs/dry.out" 2>&1
rc=$?
set -e
[[ $rc == 0 ]] || cu_fail "dry run: exit $rc: $(cat "$runs/dry.out")"
grep -qF "clean path: delete 3 file(s)" "$runs/dry.out" || cu_fail "dry run: $(cat "$runs/dry.out")"
for f in "$home/0001_part_00" "$home/old=1/0000_part_00.gz" "$home/0001_part_00.txt.bak.d"; do
  grep -qF "$f" "$runs/dry.out" || cu_fail "the dry run does not list $f: $(cat "$runs/dry.out")"
done
if grep -qE '\.bashrc|id_rsa|notes' "$runs/dry.out"; then cu_fail "the dry run lists a file of the user: $(cat "$runs/dry.out")"; fi
[[ -f $home/0001_part_00 ]] || cu_fail "the dry run deleted a file"
run home --query "select 1 as one" --to "$home/" --clean-path
expect_rc home 0
cu_assert_eq "$(cd "$home" && find . -type f | sort)" "./.bashrc
./.ssh/id_rsa
./0000_part_00
./docs/notes.txt" "files in the home-like folder after --clean-path"
cu_assert_eq "$(cat "$home/.ssh/id_rsa")" "key" ".ssh/id_rsa after --clean-path"
cu_note "home: --clean-path removed only files named as crossunload's output; the dry run listed them"

# ---- two runs to one prefix at once, as the writer that may not delete ----
enforce 0
race_q() {
  echo "select g, '$1' as run, case when g = 1 then (select 1 from pg_sleep(2)) end as pause
    from generate_series(1, 20000) g"
}
# PARALLEL OFF: both runs name their one file race_x_000, so the conditional publish of that
# first file decides the race. (With PARALLEL ON the two runs may write different slice
# files; both data publishes then succeed and only the manifest decides: a known gap of the
# commit protocol, see docs/formats.md "Commit".)
run race_a --query "$(race_q A)" --to "s3://$bucket/race_x_" --manifest --format csv --no-parallel &
a=$!
run race_b --query "$(race_q B)" --to "s3://$bucket/race_x_" --manifest --format csv --no-parallel &
b=$!
wait $a $b
rcs="$(cat "$runs/race_a.rc") $(cat "$runs/race_b.rc")"
case $rcs in
  "0 5") winner=A loser=race_b ;;
  "5 0") winner=B loser=race_a ;;
  *) cu_fail "race: exits $rcs, want one 0 and one 5: A: $(cat "$runs/race_a.err") B: $(cat "$runs/race_b.err")" ;;
esac
grep -qF "nothing of this run was published" "$runs/$loser.err" ||
  cu_fail "race: the loser does not say that nothing was published: $(cat "$runs/$loser.err")"
enforce inf
got=$(cu_tmpdir)
moto_s3 download "$bucket" "race_" "$got"
cu_assert_eq "$(cat "$got"/race_x_0* | cut -d, -f2 | sort -u)" "$winner" "runs found in the objects"
cu_assert_eq "$(cat "$got"/race_x_0* | wc -l)" "20000" "rows in the objects"
cu_assert_eq "$(jq -r '.entries[].url' "$got/race_x_manifest" | sort)" \
  "$(moto_s3 objects "$bucket" "race_x_0" | cut -f1)" "the manifest lists the objects"
cu_assert_eq "$(moto_s3 uploads "$bucket" "race_")" "0" "uploads open under race_"
cu_note "race: one run exit 0, the other exit 5, only the first's objects"

# ---- zero rows ----
enforce 0
run zero_s3 --query "select * from $t where false" --to "s3://$bucket/zero_x_" --manifest
expect_rc zero_s3 0
cu_assert_eq "$(jq -c '[.status, .rows, .files, .manifest]' "$runs/zero_s3.json")" '["ok",0,[],null]' \
  "zero rows: the report"
run zero_schema --query "select id, pad from $t where false" --to "s3://$bucket/zero_x_" \
  --format parquet --manifest --empty-result schema
expect_rc zero_schema 0
enforce inf
cu_assert_eq "$(moto_s3 objects "$bucket" "zero_" | cut -f1)" "s3://$bucket/zero_x_0000_part_00.parquet
s3://$bucket/zero_x_manifest" "zero rows, --empty-result schema: the objects"
got=$(cu_tmpdir)
moto_s3 download "$bucket" "zero_" "$got"
cu_assert_eq "$(cu_duckdb sql "select count(*) from read_parquet('$got/zero_x_0000_part_00.parquet')")" '["0"]' \
  "rows in the schema file"
cu_assert_eq "$(cu_duckdb sql "select column_name, column_type from (describe select * from read_parquet('$got/zero_x_0000_part_00.parquet'))")" \
  '["id","INTEGER"]
["pad","VARCHAR"]' "columns of the schema file"
dir=$(cu_tmpdir)
run zero_dir --query "select * from $t where false" --to "$dir/x_" --format csv --header --manifest
expect_rc zero_dir 0
cu_assert_eq "$(find "$dir" -mindepth 1)" "" "zero rows into a folder"
run zero_dir_schema --query "select * from $t where false" --to "$dir/x_" --format csv --header \
  --empty-result schema --no-parallel
expect_rc zero_dir_schema 0
cu_assert_eq "$(cd "$dir" && ls -A)" "x_000" "zero rows into a folder, --empty-result schema"
cu_assert_eq "$(cat "$dir/x_000")" "id,pad" "the schema file's header"
cu_note "zero: nothing written (none); one schema file and the manifest (schema)"

# ---- a folder manifest's urls are absolute ----
dir=$(cu_tmpdir)
(cd "$dir" && run rel --query "select id from $t where id <= 10" --to "rel/x_" --manifest --no-parallel)
expect_rc rel 0
cu_assert_eq "$(jq -r '.entries[].url' "$dir/rel/x_manifest")" "$dir/rel/x_000" "the manifest's url"
cu_assert_eq "$(jq -r '.files[].url' "$runs/rel.json")" "$dir/rel/x_000" "the report's file url"
cu_note "ok: commit protocol, CLEANPATH and empty results"
