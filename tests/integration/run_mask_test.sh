#!/usr/bin/env bash
# `crossunload run` with `mask`: TICKIT users unloaded to a folder (client mode) with
# email=email, phone=digits:4, city=hash, state=null, firstname=keep:1, lastname=redact
# (tests/support/mask_users.sh). The rows read back by DuckDB equal what PostgreSQL computes
# for the same rules written out here by hand (hex SHA-256 of '<salt>' || value, …), every
# other column unchanged, same row count. A rule for a column the query does not return, or
# an unknown rule, is a usage error (exit 2) that writes nothing. The salt is in no file,
# report or message.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/mask_users.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

out=$(cu_tmpdir)
mask_users_job "$out/job.toml"
q="select * from users order by userid"

"$CROSSUNLOAD" run --config "$out/job.toml" --source "$CU_PG_CONNINFO" --query "$q" \
  --to "$out/data/users_" --format csv --header --no-parallel --report "$out/report.json" \
  -v 2>"$out/stderr" || cu_fail "masked unload failed: $(cat "$out/stderr")"

# The columns keep their names and order.
want_header=$(cu_psql tickit -Atc "select string_agg(column_name, ',' order by ordinal_position)
  from information_schema.columns where table_schema = 'public' and table_name = 'users'")
cu_assert_eq "$(head -n 1 "$out/data/users_000")" "$want_header" "header of the masked file"

# PostgreSQL's answer to the rules written independently of crossunload's SQL.
cu_pg_rows "$(mask_users_want)" --sort >"$out/want"
cu_file_rows --format csv --header --sort "$out/data/users_000" >"$out/got"
count=$(cu_psql tickit -Atc "select count(*) from users")
cu_assert_eq "$(wc -l <"$out/got" | tr -d ' ')" "$count" "rows read back"
if ! cmp -s "$out/want" "$out/got"; then
  diff "$out/want" "$out/got" | head -10 >&2 || true
  cu_fail "masked rows differ from PostgreSQL's answer"
fi
# The masks did something: no e-mail address, phone or last name of the table is in the file.
sample=$(cu_psql tickit -Atc "select email || '|' || lastname || '|' || phone from users
  where email is not null and lastname is not null and phone is not null order by userid limit 1")
IFS='|' read -r email lastname phone <<<"$sample"
for v in "$email" "$lastname" "$phone"; do
  ! grep -qF -- "$v" "$out/data/users_000" || cu_fail "'$v' was not masked"
done
cu_note "users: email=hash, phone=null, firstname=keep:1, lastname=redact equal PostgreSQL's own answer ($count rows)"

# The report says which columns were masked, with which rule, and that the salt was given.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const want = {city: "hash", email: "email", firstname: "keep:1", lastname: "redact",
    phone: "digits:4", state: "null"};
  const sorted = Object.fromEntries(Object.entries(r.masked || {}).sort());
  if (JSON.stringify(sorted) !== JSON.stringify(want)) {
    console.error("masked in the report:", JSON.stringify(r.masked)); process.exit(1);
  }
  if (r.mask_salt !== "given" || r.mask_digest !== "sha256" || r.rows !== Number(process.argv[2])) {
    console.error("report:", JSON.stringify(r)); process.exit(1);
  }' "$out/report.json" "$count" || cu_fail "the report does not list the masked columns"

# Equal inputs give equal hashes (joins on the hashed column still work): two rows with the
# same e-mail in a query hash alike, and the hash is the SHA-256 of salt || value.
"$CROSSUNLOAD" run --config "$out/job.toml" --source "$CU_PG_CONNINFO" \
  --query "select 'a@b.c'::varchar as email, 1 as n union all select 'a@b.c', 2 union all select null, 3" \
  --mask email=hash --to "$out/same/x_" --format csv --no-parallel 2>"$out/stderr2" ||
  cu_fail "second masked unload failed: $(cat "$out/stderr2")"
want_hash=$(cu_psql tickit -Atc "select encode(sha256(convert_to('$salt' || 'a@b.c', 'UTF8')), 'hex')")
cu_assert_eq "$(LC_ALL=C sort "$out/same/x_000")" \
  "$(printf '%s\n' "$want_hash,1" "$want_hash,2" ",3" | LC_ALL=C sort)" \
  "equal inputs hash alike, NULL stays NULL"

# Unknown column, unknown rule: exit 2, a message naming it, nothing written.
rules=(nosuch=hash email=sha1 email=keep:0)
words=(nosuch sha1 keep:0)
for i in "${!rules[@]}"; do
  rule=${rules[$i]} word=${words[$i]}
  set +e
  "$CROSSUNLOAD" run --config "$out/job.toml" --source "$CU_PG_CONNINFO" --query "$q" \
    --mask "$rule" --to "$out/bad/users_" --format csv 2>"$out/stderr3" >/dev/null
  rc=$?
  set -e
  cu_assert_eq "$rc" "2" "exit code of --mask $rule"
  grep -qF -- "$word" "$out/stderr3" || cu_fail "--mask $rule: message does not name '$word': $(cat "$out/stderr3")"
  [[ ! -e "$out/bad" ]] || [[ -z "$(ls -A "$out/bad")" ]] || cu_fail "--mask $rule wrote files"
done
cu_note "unknown column / rule: exit 2, named, nothing written"

# Without mask_salt the salt is random: the report says so and hashes differ from ours.
"$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --query "select 'a@b.c'::varchar as email" \
  --mask email=hash --to "$out/rand/x_" --format csv --no-parallel --report - \
  >"$out/report-rand.json" 2>"$out/stderr4" || cu_fail "random-salt unload failed: $(cat "$out/stderr4")"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  process.exit(r.mask_salt === "random" && r.masked.email === "hash" ? 0 : 1)' \
  "$out/report-rand.json" || cu_fail "report does not say the salt was random: $(cat "$out/report-rand.json")"
[[ "$(cat "$out/rand/x_000")" =~ ^[0-9a-f]{64}$ ]] || cu_fail "random-salt hash: $(cat "$out/rand/x_000")"
[[ "$(cat "$out/rand/x_000")" != "$want_hash" ]] || cu_fail "random salt gave the given salt's hash"

# The salt is a secret: in no data file, report or message (verbose stderr included).
if grep -rlF -- "$salt" "$out" | grep -v '/job.toml$'; then
  cu_fail "the salt leaked into the files above"
fi
cu_note "the salt is in no file, report or message"

# A salt with ' and ": the redactor knows its SQL-quoted and JSON-escaped forms too (the
# masked query in -v output holds it with ' doubled; a report, with " escaped).
qsalt="cu-q'uo\"te-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
(
  umask 077
  printf 'mask_salt = %s\n' "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$qsalt")" >"$out/quoted.toml"
)
"$CROSSUNLOAD" run --config "$out/quoted.toml" --source "$CU_PG_CONNINFO" \
  --query "select 'a@b.c'::varchar as email" --mask email=hash --to "$out/quoted/x_" \
  --format csv --no-parallel --report - -v >"$out/quoted.out" 2>"$out/quoted.err" ||
  cu_fail "unload with a quoted salt failed: $(cat "$out/quoted.err")"
grep -q 'masked query: .*sha256(' "$out/quoted.err" || cu_fail "-v did not show the masked query: $(cat "$out/quoted.err")"
want_qhash=$(cu_psql tickit -Atc "select encode(sha256(convert_to(\$s\$$qsalt\$s\$ || 'a@b.c', 'UTF8')), 'hex')")
cu_assert_eq "$(cat "$out/quoted/x_000")" "$want_qhash" "hash with the quoted salt"
python3 - "$qsalt" "$out/quoted.out" "$out/quoted.err" <<'PY' || cu_fail "the quoted salt leaked"
import json, sys
salt = sys.argv[1]
sql = salt.replace("'", "''")
forms = {salt, sql, sql.replace("'", "''")}
forms |= {json.dumps(f)[1:-1] for f in list(forms)}
forms |= {json.dumps(f)[1:-1] for f in list(forms)}
core = salt[len("cu-q'uo\"te-"):]  # the random part, in any rendering
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8", errors="replace").read()
    for f in forms | {core}:
        assert f not in text, f"{f!r} in {path}: {text[:2000]}"
print(f"checked {len(forms)} forms of the salt")
PY
cu_note "a salt with ' and \" is in no output in any of its rendered forms"
