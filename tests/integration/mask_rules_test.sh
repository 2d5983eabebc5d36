#!/usr/bin/env bash
# The mask rules shift:N, digits:N and email, and mask_policy, in client mode on the
# stack's PostgreSQL (15: the digest is SHA-256), each against PostgreSQL's own answer to
# the rule written here by hand:
# - shift:30 on TICKIT's event times as timestamp, date and timestamptz equals the rule
#   written out in SQL; every value moves by whole days, at most 30 either way, equal values
#   move alike, NULL stays NULL, and the shifts spread over the whole range;
# - digits:4 on card and phone numbers gives the values typed out below;
# - email keeps the domain (counts by domain equal the source's), splits at the last '@',
#   hashes a value without '@' whole;
# - a mask_policy file masks TICKIT users' columns by name pattern, an explicit mask
#   overriding it; a policy that matches no column leaves the query as it is;
# - a mistake in each rule, a shift of a column that is no date, a bad policy: exit 2, the
#   message names the column (or the policy's rule), nothing written.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
# psql renders dates and times as crossunload's session does.
export PGTZ=UTC PGDATESTYLE='ISO, MDY'

out=$(cu_tmpdir)
salt="cu-rules-salt-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
(
  umask 077
  printf 'mask_salt = "%s"\n' "$salt" >"$out/job.toml"
)
run() { # run NAME QUERY [flags...]: unload QUERY to $out/NAME/x_ (CSV, one file)
  local name=$1 query=$2
  shift 2
  "$CROSSUNLOAD" run --config "$out/job.toml" --source "$CU_PG_CONNINFO" --query "$query" \
    --to "$out/$name/x_" --no-parallel --report "$out/$name.json" "$@" 2>"$out/$name.err"
}
sha() { printf '%s' "encode(sha256(convert_to('$salt' || $1, 'UTF8')), 'hex')"; }
compare() { # compare WHAT WANT_FILE GOT_FILE
  if ! cmp -s "$2" "$3"; then
    diff "$2" "$3" | head -10 >&2 || true
    cu_fail "$1: rows differ from PostgreSQL's answer"
  fi
}

# --- shift:30 -------------------------------------------------------------------------
# The shift of a value, as the rule defines it: the first 7 hex digits of the salted
# SHA-256 of the value's text, as a number, modulo 61, minus 30, in days.
days() { printf '%s' "((('x' || substr($(sha "$1::text"), 1, 7))::bit(28)::int % 61) - 30)"; }
q="select eventid, starttime as original, starttime as shifted,
  cast(starttime as date) as day, cast(starttime as date) as shifted_day,
  cast(starttime as timestamptz) as shifted_tz
  from (select eventid, starttime from event union all select -1, null) as e"
run shift "$q" --format csv --mask shifted=shift:30 --mask shifted_day=shift:30 \
  --mask shifted_tz=shift:30 || cu_fail "shift unload failed: $(cat "$out/shift.err")"
cu_pg_rows "select eventid, starttime, starttime + $(days starttime) * interval '1 day',
  starttime::date, starttime::date + $(days starttime::date),
  starttime::timestamptz + $(days starttime::timestamptz) * interval '1 day'
  from (select eventid, starttime from event union all select -1, null) as e" --sort \
  >"$out/shift.want"
cu_file_rows --format csv --sort "$out"/shift/x_* >"$out/shift.got"
compare "shift:30" "$out/shift.want" "$out/shift.got"
python3 - "$out/shift.got" <<'PY' || cu_fail "shift:30 moved values implausibly"
import json, sys
from datetime import datetime, date
# Each column's values shift by their own digest: per column, a value always moves alike.
moved = {"timestamp": {}, "date": {}, "timestamptz": {}}
for line in open(sys.argv[1]):
    eventid, original, shifted, day, shifted_day, shifted_tz = json.loads(line)
    if original is None:
        assert shifted is None and shifted_day is None and shifted_tz is None, line
        continue
    o = datetime.fromisoformat(original)
    for kind, new in (("timestamp", datetime.fromisoformat(shifted) - o),
                      ("date", date.fromisoformat(shifted_day) - date.fromisoformat(day)),
                      ("timestamptz",
                       datetime.fromisoformat(shifted_tz).replace(tzinfo=None) - o)):
        assert new.seconds == 0 and new.microseconds == 0 and abs(new.days) <= 30, (kind, line)
        key = day if kind == "date" else original
        assert moved[kind].setdefault(key, new.days) == new.days, f"{kind} {key} moved two ways"
for kind, shifts in moved.items():
    used = set(shifts.values())
    assert len(shifts) > 300, (kind, len(shifts))
    assert used == set(range(-30, 31)), (kind, sorted(used))  # the whole range occurs
print({kind: len(shifts) for kind, shifts in moved.items()}, "distinct values")
PY
cu_note "shift:30: equals PostgreSQL's answer; whole days, |shift| <= 30, equal values alike, NULL stays NULL"

# --- digits:4 -------------------------------------------------------------------------
q="select id, card, card as card4, phone, phone as phone4 from (values
  (1, '4111 1111 1111 1111', '+1 (555) 010-4477'),
  (2, '5500-0000-0000-0004', '555.0100'),
  (3, '378282246310005', '12'),
  (4, null, 'n/a'),
  (5, '4111111111111111', null)) as t(id, card, phone)"
# The unmasked card and phone columns are the test's own made-up values, kept beside the
# masked ones to compare: the personal-data guard is told they may leave.
run digits "$q" --format parquet --mask card4=digits:4 --mask phone4=digits:4 \
  --allow-pii card,phone ||
  cu_fail "digits unload failed: $(cat "$out/digits.err")"
cat >"$out/digits.want" <<'ROWS'
["1","4111 1111 1111 1111","************1111","+1 (555) 010-4477","*******4477"]
["2","5500-0000-0000-0004","************0004","555.0100","***0100"]
["3","378282246310005","***********0005","12","12"]
["4",null,null,"n/a",""]
["5","4111111111111111","************1111",null,null]
ROWS
cu_file_rows --format parquet --sort "$out"/digits/x_* >"$out/digits.got"
compare "digits:4" "$out/digits.want" "$out/digits.got"
cu_note "digits:4 on card and phone numbers: the last four digits, the others as '*'"

# --- email ----------------------------------------------------------------------------
q="select id, e, e as masked from (values (1, 'Jane.Doe@Example.com'), (2, 'a@b@example.org'),
  (3, 'no-at-sign'), (4, ''), (5, null), (6, 'ünï@bücher.de')) as t(id, e)"
run email "$q" --format parquet --mask masked=email --allow-pii e || cu_fail "email unload failed: $(cat "$out/email.err")"
cu_pg_rows "select 1, 'Jane.Doe@Example.com', $(sha "'Jane.Doe'") || '@Example.com'
  union all select 2, 'a@b@example.org', $(sha "'a@b'") || '@example.org'
  union all select 3, 'no-at-sign', $(sha "'no-at-sign'")
  union all select 4, '', $(sha "''")
  union all select 5, null, null
  union all select 6, 'ünï@bücher.de', $(sha "'ünï'") || '@bücher.de'" --sort >"$out/email.want"
cu_file_rows --format parquet --sort "$out"/email/x_* >"$out/email.got"
compare "email" "$out/email.want" "$out/email.got"
# Joins by domain still work: TICKIT users counted by the domain of the masked address.
run email_users "select email from users" --format csv --mask email=email ||
  cu_fail "email users unload failed: $(cat "$out/email_users.err")"
cu_pg_rows "select split_part(email, '@', 2), count(*)::text from users group by 1" --sort \
  >"$out/domains.want"
cu_file_rows --format csv --sort "$out"/email_users/x_* | python3 -c '
import collections, json, re, sys
n = collections.Counter()
for line in sys.stdin:
    v = json.loads(line)[0]
    if v is None:  # NULL stays NULL
        n[None] += 1
        continue
    m = re.fullmatch(r"[0-9a-f]{64}@(.*)", v)
    assert m, v
    n[m.group(1)] += 1
for domain, count in n.items():
    print(json.dumps([domain, str(count)], ensure_ascii=False, separators=(",", ":")))' | LC_ALL=C sort >"$out/domains.got"
LC_ALL=C sort -o "$out/domains.want" "$out/domains.want"
compare "users by domain" "$out/domains.want" "$out/domains.got"
cu_note "email: the part before the last '@' hashed, the domain kept ($(wc -l <"$out/domains.got") domains count alike)"

# --- mask_policy ----------------------------------------------------------------------
cat >"$out/pii.toml" <<'TOML'
# TICKIT's personal columns, by name; the first matching rule decides.
[[rule]]
columns = ["*name"]
mask = "keep:1"

[[rule]]
columns = ["email", "*_email"]
mask = "email"

[[rule]]
columns = "PHONE*"
mask = "digits:4"

[[rule]]
columns = ["like*"]
mask = "null"
TOML
run policy "select * from users" --format csv --mask-policy "$out/pii.toml" \
  --mask lastname=redact || cu_fail "policy unload failed: $(cat "$out/policy.err")"
cu_pg_rows "select userid, substr(username, 1, 1) || '***', substr(firstname, 1, 1) || '***',
  '***', city, state,
  case when email like '%@%'
    then $(sha "substring(email from '^(.*)@[^@]*\$')") || substring(email from '@[^@]*\$')
    else $(sha email) end,
  regexp_replace(regexp_replace(phone, '[^0-9]', '', 'g'), '[0-9](?=[0-9]{4})', '*', 'g'),
  null, null, null, null, null, null, null, null, null, null from users" --sort \
  >"$out/policy.want"
cu_file_rows --format csv --sort "$out"/policy/x_* >"$out/policy.got"
compare "mask_policy on users" "$out/policy.want" "$out/policy.got"
likes='"likebroadway":"null","likeclassical":"null","likeconcerts":"null","likejazz":"null","likemusicals":"null","likeopera":"null","likerock":"null","likesports":"null","liketheatre":"null","likevegas":"null"'
cu_assert_eq "$(jq -cS .masked "$out/policy.json")" \
  "{\"email\":\"email\",\"firstname\":\"keep:1\",\"lastname\":\"redact\",$likes,\"phone\":\"digits:4\",\"username\":\"keep:1\"}" \
  "report masked (policy and explicit mask)"
cu_assert_eq "$(jq -r .mask_digest "$out/policy.json")" "sha256" "report mask_digest"
# A policy that matches no column of the result: the query runs as it is.
printf '[[rule]]\ncolumns = ["email"]\nmask = "hash"\n' >"$out/email-only.toml"
run nomatch "select venueid, venuecity from venue" --format csv \
  --mask-policy "$out/email-only.toml" || cu_fail "unload with a policy matching nothing failed: $(cat "$out/nomatch.err")"
cu_pg_rows "select venueid, venuecity from venue" --sort >"$out/nomatch.want"
cu_file_rows --format csv --sort "$out"/nomatch/x_* >"$out/nomatch.got"
compare "policy matching no column" "$out/nomatch.want" "$out/nomatch.got"
[[ "$(jq -c .masked "$out/nomatch.json")" == null ]] || cu_fail "report lists masked columns: $(jq -c .masked "$out/nomatch.json")"
cu_note "mask_policy: users masked by name pattern, the explicit mask wins; no match = no masking"

# --- mistakes: exit 2, the column (or the policy's rule) named, nothing written -------
printf '[[rule]]\ncolumns = ["*"]\nmask = "hash"\n[[rule]]\ncolumns = ["x"]\nmask = "shift:-1"\n' \
  >"$out/bad.toml"
cases=(
  "--mask|created=shift:0|created"
  "--mask|created=shift:x|created"
  "--mask|phone=digits:0|phone"
  "--mask|phone=digits|phone"
  "--mask|email=email:1|email"
  "--mask|note=shift:5|note"
  "--mask-policy|$out/bad.toml|bad.toml rule 2"
)
for c in "${cases[@]}"; do
  IFS='|' read -r flag value word <<<"$c"
  set +e
  "$CROSSUNLOAD" run --config "$out/job.toml" --source "$CU_PG_CONNINFO" \
    --query "select now() as created, 'x'::varchar as note, '1'::text as phone, 'a@b'::text as email" \
    "$flag" "$value" --to "$out/bad/x_" --format csv 2>"$out/bad.err" >/dev/null
  rc=$?
  set -e
  cu_assert_eq "$rc" "2" "exit code of $flag $value"
  grep -qF -- "$word" "$out/bad.err" || cu_fail "$flag $value: the message does not name '$word': $(cat "$out/bad.err")"
  [[ ! -e "$out/bad" ]] || [[ -z "$(ls -A "$out/bad")" ]] || cu_fail "$flag $value wrote files"
done
cu_note "each rule's mistakes: exit 2, named, nothing written"

# The salt is in no output.
if grep -rlF -- "$salt" "$out" | grep -v '/job.toml$'; then
  cu_fail "the salt leaked into the files above"
fi
