#!/usr/bin/env bash
# `crossunload run` unloads every TICKIT table to a folder in Redshift's text and CSV
# formats, and the rows read back by an independent reader (DuckDB and the spec-based text
# parser of tests/support/duckdb.mjs) equal PostgreSQL's own answer (COPY … CSV, read by
# the same reader). Also: HEADER, NULL AS, ADDQUOTES, MAXFILESIZE naming, zero rows,
# the not-empty rule and ALLOWOVERWRITE, and a few bytes checked against the spec.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

out=$(cu_tmpdir)
# The rows must come back as PostgreSQL holds them: users' email and phone columns are
# allowed to leave (the personal-data guard would refuse them; pii_guard_test.sh tests it).
unload() { "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --no-parallel --allow-pii email,phone --report - "$@" 2>"$out/stderr" >"$out/report" ||
  cu_fail "crossunload run $* failed: $(cat "$out/stderr")"; }
# Compares rows through files: duckdb.mjs may lose output beyond 64 KiB when its stdout is a
# pipe (it exits before the pipe drains), so $(…) cannot hold large results.
# Usage: check_rows WHAT QUERY PG_OPTION FILE_ROWS_ARGS...   (PG_OPTION "" or --empty-as-null)
check_rows() {
  local what=$1 q=$2 pgopt=$3
  shift 3
  cu_file_rows "$@" >"$out/got" || cu_fail "$what: the reader cannot read the file"
  cu_pg_rows "$q" ${pgopt:+"$pgopt"} >"$out/want"
  [[ -s "$out/want" ]] || [[ ! -s "$out/got" ]] || cu_fail "$what: PostgreSQL returned nothing"
  if ! cmp -s "$out/want" "$out/got"; then
    diff "$out/want" "$out/got" | head -20 >&2 || true
    cu_fail "$what differ ($(wc -l <"$out/want") rows wanted, $(wc -l <"$out/got") read back)"
  fi
}
report_rows() { node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(r.rows)' <"$out/report"; }

tables="category:catid date:dateid event:eventid listing:listid sales:salesid users:userid venue:venueid"
for t in $tables; do
  table=${t%%:*} key=${t#*:}
  q="select * from $table order by $key"
  count=$(cu_psql tickit -Atc "select count(*) from $table")

  # CSV: NULL and '' stay distinct, so the comparison is exact.
  unload --query "$q" --to "$out/$table/csv_" --format csv
  [[ -f "$out/$table/csv_000" ]] || cu_fail "$table: no file csv_000 (PARALLEL OFF name)"
  cu_assert_eq "$(report_rows)" "$count" "$table csv: rows in the JSON report"
  check_rows "$table csv rows" "$q" "" --format csv "$out/$table/csv_000"

  # CSV with HEADER and '|' as delimiter: header = PostgreSQL's column names.
  unload --query "$q" --to "$out/$table/csvh_" --format csv --header --delimiter '|'
  check_rows "$table csv|header rows" "$q" "" \
    --format csv --delimiter '|' --header "$out/$table/csvh_000"
  want_header=$(cu_psql tickit -Atc "select string_agg(column_name, '|' order by ordinal_position)
    from information_schema.columns where table_schema = 'public' and table_name = '$table'")
  cu_assert_eq "$(head -n 1 "$out/$table/csvh_000")" "$want_header" "$table csv header line"

  # Text with ESCAPE (AWS's recommendation): default text cannot tell NULL from '', so both
  # sides map '' to NULL.
  unload --query "$q" --to "$out/$table/text_" --escape
  check_rows "$table text+escape rows" "$q" "--empty-as-null" \
    --format text --text-escape "$out/$table/text_000"

  # Text with ESCAPE and NULL AS 'NULL': NULL and '' are distinct again.
  unload --query "$q" --to "$out/$table/textnull_" --escape --null-as NULL
  check_rows "$table text+escape+null-as rows" "$q" "" \
    --format text --text-escape --nullstr NULL "$out/$table/textnull_000"
done
cu_note "7 TICKIT tables: csv, csv+header+'|', text+escape, text+escape+null-as equal PostgreSQL's rows"

# Plain text (no ESCAPE) is exactly psql's unaligned output for a table without hard values.
unload --query "select * from category order by catid" --to "$out/plain/category_"
cu_assert_eq "$(cat "$out/plain/category_000")" \
  "$(cu_psql tickit -At -F '|' -c 'select * from category order by catid')" "category plain text bytes"
cu_assert_eq "$(head -n 1 "$out/plain/category_000")" "1|Sports|MLB|Major League Baseball" \
  "first line of category (docs/redshift-unload.md#s5.1 pipe format)"

# ADDQUOTES (text): every value in "", read back with the reader's --addquotes.
unload --query "select * from venue order by venueid" --to "$out/aq/venue_" --addquotes --escape
check_rows "venue addquotes rows" "select * from venue order by venueid" "--empty-as-null" \
    --format text --addquotes --text-escape "$out/aq/venue_000"
head -n 1 "$out/aq/venue_000" | grep -q '^"1"|"' || cu_fail "ADDQUOTES: numbers are not quoted: $(head -n 1 "$out/aq/venue_000")"

# MAXFILESIZE: serial files 000, 001, … each at most the limit, rows in order across them.
unload --query "select * from sales order by salesid" --to "$out/max/sales_" --max-file-size 5MB --header
files=("$out/max/"sales_*)
((${#files[@]} >= 2)) || cu_fail "MAXFILESIZE 5MB on sales gave ${#files[@]} file(s)"
for i in "${!files[@]}"; do
  want_name=$(printf '%s/max/sales_%03d' "$out" "$i")
  cu_assert_eq "${files[$i]}" "$want_name" "name of file $i"
  size=$(stat -c %s "${files[$i]}")
  ((size <= 5 * 1024 * 1024)) || cu_fail "${files[$i]} has $size bytes > 5 MB"
  head -n 1 "${files[$i]}" | grep -q '^salesid|listid' || cu_fail "${files[$i]} lacks its header line"
done
check_rows "sales rows across ${#files[@]} files" "select * from sales order by salesid" "--empty-as-null" \
    --format text --header "${files[@]}"

# Zero rows (OPEN-5): no file and no manifest, as Redshift; with --empty-result schema one
# file holding only the header line.
mkdir -p "$out/zero"
unload --query "select * from sales where false" --to "$out/zero/s_" --header --format csv --manifest
cu_assert_eq "$(ls -A "$out/zero")" "" "what a zero-row unload wrote"
unload --query "select * from sales where false" --to "$out/zero/s_" --header --format csv \
  --empty-result schema
cu_assert_eq "$(ls -A "$out/zero")" "s_000" "what a zero-row unload wrote with --empty-result schema"
cu_assert_eq "$(cat "$out/zero/s_000")" \
  "salesid,listid,sellerid,buyerid,eventid,dateid,qtysold,pricepaid,commission,saletime" "zero-row file"

# Not empty: refused with exit 5, the existing file untouched; ALLOWOVERWRITE replaces it.
echo "old" >"$out/zero/s_000"
set +e
"$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --no-parallel --query "select 1" --to "$out/zero/s_" 2>"$out/stderr" >/dev/null
rc=$?
set -e
cu_assert_eq "$rc" "5" "exit code when the destination is not empty"
grep -q "Specified unload destination is not empty" "$out/stderr" || cu_fail "message: $(cat "$out/stderr")"
cu_assert_eq "$(cat "$out/zero/s_000")" "old" "existing file after a refused unload"
unload --query "select 1 as one" --to "$out/zero/s_" --allow-overwrite
cu_assert_eq "$(cat "$out/zero/s_000")" "1" "file after ALLOWOVERWRITE"
[[ -z "$(find "$out" -name '.crossunload-*')" ]] || cu_fail "temporary files left: $(find "$out" -name '.crossunload-*')"
cu_note "plain text, ADDQUOTES, MAXFILESIZE, zero rows, overwrite rules OK"
