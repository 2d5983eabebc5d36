#!/usr/bin/env bash
# The personal-data guard (docs/job.md, "Personal data"), on TICKIT users with a free-text
# column `notes` seeded with e-mail addresses and phone numbers of the table:
#   refuse   the default run exits 2 naming email, phone and notes (and no other column),
#            writes nothing, and no e-mail address or phone number of the table appears in
#            its output, error or report;
#   masked   email and phone masked: notes alone is refused; with --allow-pii notes the
#            run writes every row and the report lists notes as allowed;
#   warn     pii = warn writes and reports the three columns as warned;
#   controls 16-digit product codes failing Luhn, numeric ids, timestamps (as text and as
#            timestamptz) are not flagged; the same table with Luhn-valid numbers is;
#   stream   client mode into moto's S3 and into a folder: values turn into e-mail addresses
#            from row 150,000 of 200,000 (after megabytes of parts were uploaded): exit 2,
#            no object under the prefix, no upload left open, no file in the folder;
#   server   server mode through `crossunload gateway` (the pattern's cluster): the default
#            run is refused by the check on a sample in the database (step "pii check",
#            report "checked": a sample), nothing in the bucket; masked, it is written;
#   dry run  --dry-run runs the check: refused (exit 2) or the findings listed; no file.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"
moto_s3() { python3 "$CU_SOURCE_DIR/tests/support/moto_s3.py" "$@"; }

sfx="-pii$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret
bucket=$CU_PAT_BUCKET
out="$CU_STACK_DIR/runs"
mkdir -p "$out"

# crun NAME ARGS...: client mode from the stack's PostgreSQL; exit code in $rc.
crun() {
  local name=$1
  shift
  set +e
  AWS_PROFILE=lambda "$CROSSUNLOAD" run --region "$CU_PAT_REGION" --mode client \
    --source "$CU_PG_CONNINFO" --no-parallel --report "$out/$name.json" "$@" \
    >"$out/$name.out" 2>"$out/$name.err"
  rc=$?
  set -e
}
expect_rc() { [[ $rc == "$2" ]] || cu_fail "$1: exit $rc, want $2: $(cat "$out/$1.err")"; }
# The columns a refusal names, sorted, comma-separated.
refused_columns() { sed -n 's/^ *column \([a-z_]*\): .*refused.*/\1/p' "$out/$1.err" | sort | paste -sd, -; }
no_files() { [[ ! -e $1 ]] || [[ -z "$(find "$1" -type f)" ]] || cu_fail "files were written under $1: $(find "$1" -type f | head)"; }

q="select u.*, case when userid % 10 = 0 then 'reach me at ' || email || ' or ' || phone
  else 'no notes' end as notes from users u"
n=$(cu_psql tickit -Atc "select count(*) from users")
# Values that must never appear in any output: e-mail addresses and phones of the table.
cu_psql tickit -Atc "(select email from users where userid % 10 = 0 order by userid limit 50)
  union all (select phone from users where userid % 10 = 0 order by userid limit 50)" >"$out/values"
[[ $(wc -l <"$out/values") -ge 50 ]] || cu_fail "no sample values"
leaks() { grep -lF -f "$out/values" "$@" 2>/dev/null || true; }

# ---- refuse (the default) ----
crun refuse --query "$q" --to "$out/refuse/users_" --format csv
expect_rc refuse 2
cu_assert_eq "$(refused_columns refuse)" "email,notes,phone" "columns the default run refuses"
grep -qF -- "--mask email=hash" "$out/refuse.err" || cu_fail "no fix named: $(cat "$out/refuse.err")"
grep -qF -- "--allow-pii notes" "$out/refuse.err" || cu_fail "no fix named: $(cat "$out/refuse.err")"
# The share PostgreSQL counts: notes holding an address among the non-null notes.
IFS='|' read -r share checked < <(cu_psql tickit -Atc "select to_char(100.0 * count(*) filter
  (where notes like 'reach me at %') / count(notes), 'FM990.0'), count(notes) from ($q) s")
grep -qF "column notes: email in $share % of $checked checked values —" "$out/refuse.err" ||
  cu_fail "notes: detector and share: $(cat "$out/refuse.err")"
no_files "$out/refuse"
[[ -z $(leaks "$out/refuse.out" "$out/refuse.err" "$out/refuse.json") ]] ||
  cu_fail "a value of the table appears in $(leaks "$out/refuse.out" "$out/refuse.err" "$out/refuse.json")"
cu_assert_eq "$(jq -r '.status, .exit_code, .pii.policy, .pii.checked' "$out/refuse.json" | paste -sd' ' -)" \
  "failed 2 refuse every value" "report of the refused run"
cu_assert_eq "$(jq -r '[.pii.findings[] | "\(.column)=\(.detector)/\(.decision)"] | join(",")' "$out/refuse.json")" \
  "email=email/refused,phone=phone/refused,notes=email/refused" "findings in the report"
cu_note "refuse: email, phone and notes named with their fix, exit 2, nothing written, no value shown"

# ---- masked, then allowed ----
crun masked --query "$q" --to "$out/masked/users_" --format csv --mask email=hash --mask phone=null
expect_rc masked 2
cu_assert_eq "$(refused_columns masked)" "notes" "columns refused once email and phone are masked"
no_files "$out/masked"
crun allowed --query "$q" --to "$out/allowed/users_" --format csv --mask email=hash \
  --mask phone=null --allow-pii notes
expect_rc allowed 0
cu_assert_eq "$(cu_file_rows --format csv "$out/allowed/users_000" | wc -l | tr -d ' ')" "$n" "rows written"
cu_assert_eq "$(jq -r '[.pii.findings[] | "\(.column)/\(.decision)"] | join(",")' "$out/allowed.json")" \
  "notes/allowed" "findings of the allowed run"
cu_note "masked + --allow-pii notes: written ($n rows), notes reported as allowed"

# ---- warn ----
crun warn --query "$q" --to "$out/warn/users_" --format parquet --pii warn
expect_rc warn 0
[[ -n "$(find "$out/warn" -type f)" ]] || cu_fail "warn wrote nothing"
cu_assert_eq "$(jq -r '[.pii.findings[] | "\(.column)/\(.decision)"] | join(",")' "$out/warn.json")" \
  "email/warned,phone/warned,notes/warned" "findings of the warn run"
grep -qF "personal data: column notes" "$out/warn.err" || cu_fail "warn: no warning: $(cat "$out/warn.err")"
[[ -z $(leaks "$out/warn.err" "$out/warn.json") ]] || cu_fail "a value in the warn run's messages"
cu_note "warn: written (Parquet) and reported, three columns warned"

# ---- false-positive controls ----
t="pii_controls$$"
stack_on_exit "cu_psql tickit -c 'drop table if exists $t' >/dev/null 2>&1"
# Product codes of 16 digits that fail the Luhn check, and, for the second table, the same
# codes with their Luhn check digit: computed here, independently of crossunload.
python3 - >"$out/controls.csv" <<'PY'
import random
random.seed(7)
def luhn_digit(body):
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)
for i in range(1, 2001):
    body = random.choice("3456") + "".join(random.choice("0123456789") for _ in range(14))
    good = body + luhn_digit(body)
    bad = body + str((int(luhn_digit(body)) + 1) % 10)
    print(f"{i},{bad},{good},{10**12 + i * 7919},2024-01-{i % 28 + 1:02d} 10:{i % 60:02d}:30.123456+00")
PY
cu_psql tickit -c "create table $t (id int, product_code varchar(16), luhn_code varchar(16),
  ref_id bigint, created_text varchar(40), created timestamptz)" >/dev/null
cu_psql tickit -c "\\copy $t (id, product_code, luhn_code, ref_id, created_text) from '$out/controls.csv' csv" >/dev/null
cu_psql tickit -c "update $t set created = created_text::timestamptz" >/dev/null
crun controls --query "select id, product_code, ref_id, created_text, created,
  id::text as id_text, ref_id::text as ref_text from $t" --to "$out/controls/c_" --format csv
expect_rc controls 0
cu_assert_eq "$(jq -c '.pii.findings' "$out/controls.json")" "[]" "findings on the controls"
crun luhn --query "select id, luhn_code from $t" --to "$out/luhn/c_" --format csv
expect_rc luhn 2
cu_assert_eq "$(refused_columns luhn)" "luhn_code" "Luhn-valid numbers are flagged"
cu_note "controls: product codes failing Luhn, ids, timestamps not flagged; Luhn-valid ones are"

# ---- stream: a finding from row 150,000, nothing published ----
sq="select g as id, repeat('x', 100) as pad,
  case when g >= 150000 then 'user' || g || '@example.com' else 'item ' || g end as note
  from generate_series(1, 200000) g"
crun stream_s3 --query "$sq" --to "s3://$bucket/stream/x_" --max-file-size 5MB --manifest
expect_rc stream_s3 2
cu_assert_eq "$(refused_columns stream_s3)" "note" "the streamed run refuses note"
grep -qF "nothing of this run was published" "$out/stream_s3.err" ||
  cu_fail "stream: the error does not say nothing was published: $(cat "$out/stream_s3.err")"
cu_assert_eq "$(moto_s3 objects "$bucket" "stream/")" "" "objects under stream/ after the refusal"
cu_assert_eq "$(moto_s3 uploads "$bucket" "stream/")" "0" "uploads open under stream/"
crun stream_dir --query "$sq" --to "$out/stream/x_" --max-file-size 5MB
expect_rc stream_dir 2
[[ ! -e $out/stream ]] || [[ -z "$(ls -A "$out/stream")" ]] || cu_fail "the folder run left $(ls -A "$out/stream")"
cu_note "stream: refused after reading 200,000 rows (findings from row 150,000); nothing in S3 or the folder"

# ---- server mode through the gateway ----
set +e
pattern_run_job "$out/server.json" --query "$q" --to "s3://$bucket/server/users_" \
  >"$out/server.out" 2>"$out/server.err"
rc=$?
set -e
expect_rc server 2
cu_assert_eq "$(refused_columns server)" "email,notes,phone" "columns the server-mode run refuses"
cu_assert_eq "$(jq -r '.mode, .pii.checked' "$out/server.json" | paste -sd' ' -)" \
  "server a sample of 10000 rows in the database" "server mode's check"
jq -e '.error | startswith("pii check ")' "$out/server.json" >/dev/null ||
  cu_fail "not refused by the pii check step: $(jq -c .error "$out/server.json")"
cu_assert_eq "$(jq -r .unload_sql "$out/server.json")" "null" "no UNLOAD was sent"
cu_assert_eq "$(moto_s3 objects "$bucket" "server/")" "" "objects under server/"
[[ -z $(leaks "$out/server.out" "$out/server.err" "$out/server.json" "$CU_PAT_GATEWAY_LOG") ]] ||
  cu_fail "a value appears in the server run's output or the gateway's log"
set +e
pattern_run_job "$out/server2.json" --query "$q" --to "s3://$bucket/server2/users_" \
  --mask email=hash --mask phone=null --mask notes=redact >"$out/server2.out" 2>"$out/server2.err"
rc=$?
set -e
expect_rc server2 0
cu_assert_eq "$(jq -r .rows "$out/server2.json")" "$n" "rows of the masked server-mode run"
cu_note "server: refused by the sample check in the database (counts only); masked, written"

# ---- dry run ----
crun dry --query "$q" --to "$out/dry/users_" --dry-run
expect_rc dry 2
cu_assert_eq "$(refused_columns dry)" "email,notes,phone" "columns the dry run refuses"
crun dry2 --query "$q" --to "$out/dry/users_" --dry-run --pii warn
expect_rc dry2 0
grep -qF "personal-data check (a sample of 10000 rows in the database)" "$out/dry2.out" ||
  cu_fail "dry run: $(cat "$out/dry2.out")"
grep -qF "column notes: email in" "$out/dry2.out" || cu_fail "dry run findings: $(cat "$out/dry2.out")"
no_files "$out/dry"
cu_note "dry run: the check runs (refused: exit 2; warn: findings listed), nothing written"
