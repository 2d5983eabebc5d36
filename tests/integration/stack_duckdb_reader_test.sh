#!/usr/bin/env bash
# tests/support/duckdb.mjs is the oracle other integration tests compare our files with,
# so it is checked here on hand-written bytes whose rows follow from the Redshift UNLOAD
# spec's own examples (docs/redshift-unload.md#s5.1, #s5.2) and from RFC 4180.
source "$(dirname "$0")/../support/testlib.sh"
d=$(cu_tmpdir)

# CSV (docs/redshift-unload.md#s5.2 examples): quotes doubled, delimiter inside quotes, bare commas with '|'.
printf '2,"Columbus ""Crew"" Stadium",Columbus,OH,0\n' >"$d/a.csv"
cu_assert_eq "$(cu_duckdb rows --format csv "$d/a.csv")" \
  '["2","Columbus \"Crew\" Stadium","Columbus","OH","0"]' "CSV with doubled quotes"
printf '1|"Pinewood Race|track"|Akron|OH|0\n2|Community, Ballpark, Arena|Akron|OH|0\n' >"$d/b.csv"
cu_assert_eq "$(cu_duckdb rows --format csv --delimiter '|' "$d/b.csv")" \
  '["1","Pinewood Race|track","Akron","OH","0"]
["2","Community, Ballpark, Arena","Akron","OH","0"]' "CSV with DELIMITER '|'"
# With NULL AS 'NULL' only NULL is NULL (an empty field is ''), a header, LF in quotes.
printf 'a,b,c\n,"",NULL\n"x\ny",NULL,"NULL"\n' >"$d/c.csv"
cu_assert_eq "$(cu_duckdb rows --format csv --header --print-header --nullstr NULL "$d/c.csv")" \
  '["a","b","c"]
["","",null]
["x\ny",null,"NULL"]' "CSV NULL handling and header"

# Text (docs/redshift-unload.md#s5.1): ESCAPE puts a backslash before LF, CR, the delimiter and backslash; the
# escaped LF is a backslash and a real LF. Default NULL is an empty field.
printf 'a\\\n|b\\|c|d\\\\e|\n' >"$d/t1"
cu_assert_eq "$(cu_duckdb rows --format text --text-escape "$d/t1")" \
  '["a\n","b|c","d\\e",null]' "text with ESCAPE"
# ADDQUOTES: every field quoted, numbers too; quotes are not doubled.
printf '"1"|"Hello, World"|"say "hi""\n' >"$d/t2"
cu_assert_eq "$(cu_duckdb rows --format text --addquotes "$d/t2")" \
  '["1","Hello, World","say \"hi\""]' "text with ADDQUOTES"
# A row with an unescaped delimiter is reported, not silently misread.
printf 'a|b\na|b|c\n' >"$d/t3"
if cu_duckdb rows --format text "$d/t3" >/dev/null 2>"$d/err"; then cu_fail "ragged text accepted"; fi
grep -q "record 2 has 3 fields" "$d/err" || cu_fail "unexpected message: $(cat "$d/err")"

# JSON lines: number text kept as written, strings decoded, null kept.
printf '{"venueid":2,"venuename":"Columbus \\"Crew\\" Stadium ","price":1.50,"x":null,"b":true}\n' >"$d/j"
cu_assert_eq "$(cu_duckdb rows --format json --print-header "$d/j")" \
  '["venueid","venuename","price","x","b"]
["2","Columbus \"Crew\" Stadium ","1.50",null,"true"]' "JSON lines"

# Compressed input is recognised by its magic bytes.
gzip -c "$d/a.csv" >"$d/a.gz"
zstd -qc "$d/b.csv" >"$d/b.zst"
bzip2 -c "$d/t1" >"$d/t1.bz2"
cu_assert_eq "$(cu_duckdb rows "$d/a.gz")" '["2","Columbus \"Crew\" Stadium","Columbus","OH","0"]' "gzip CSV"
cu_assert_eq "$(cu_duckdb rows --delimiter '|' "$d/b.zst" | head -1)" '["1","Pinewood Race|track","Akron","OH","0"]' "zstd CSV"
cu_assert_eq "$(cu_duckdb rows --format text --text-escape "$d/t1.bz2")" '["a\n","b|c","d\\e",null]' "bzip2 text"

# Parquet: typed values come back in PostgreSQL's text rendering; metadata is readable.
cu_duckdb exec "copy (select 7::smallint id, 1.50::decimal(8,2) p, true b, null::varchar s,
  timestamp '2008-01-01 19:30:00' t from range(3))
  to '$d/p.parquet' (format parquet)"
cu_assert_eq "$(cu_duckdb rows --format parquet --print-header "$d/p.parquet" | head -2)" \
  '["id","p","b","s","t"]
["7","1.50","t",null,"2008-01-01 19:30:00"]' "Parquet rows"
groups=$(cu_duckdb parquet-meta "$d/p.parquet" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const p = m.metadata.find((c) => c.path_in_schema === "p");
  console.log(m.file[0].num_rows, m.file[0].num_row_groups, m.metadata.length, p.stats_min_value)')
cu_assert_eq "$groups" "3 1 5 1.50" "Parquet metadata: rows, row groups, column chunks, min of p"
cu_note "duckdb.mjs reads CSV, text, JSON, Parquet and compressed files as the spec says"
