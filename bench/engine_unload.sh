#!/usr/bin/env bash
# Engine throughput and memory against PostgreSQL's own rate: issue 5's Measure, figures in
# docs/performance.md.
#
# Usage: bench/engine_unload.sh [SCALE=90] [BUILD=build/engine-rel] [RUNS=3]
#   SCALE  TICKIT scale of `sales` (90 gives 15.5 M rows, > 1 GB of text). The database is
#          kept between runs (bench/lib/bench_pg.sh) and generated only when missing or at
#          another scale (~10 min at scale 90 on the 2-core machine).
#   BUILD  a Release build folder with the engine_unload target built.
#   RUNS   rounds; each round runs every reference and candidate once, alternating, so a
#          load change on the shared machine hits both sides; the figures are medians.
# Set CU_BENCH_ONLY="text gzip" etc. to run some cases only (names as in the table).
# Set CU_BENCH_BASE=<another build folder> (e.g. a Release build of main before a change)
# to run every engine case with that build's engine_unload too, right beside ours in the
# same round (which goes first alternates by round), as `<case>@base`; a last table gives
# each case's before/after medians and the ratio.
#
# S3 destination: CU_BENCH_S3=1 runs s3_text (unpartitioned text, in every round),
# s3_part1000_csv and s3_part1000_parquet (1,000 partitions, once), and s3_part8_csv /
# s3_part8_parquet (8 partitions of ~160 MB at scale 90: every open partition streams a
# multipart upload — the part buffers' worst case, which the ~1.3 MB partitions above
# never reach — beside Parquet's row groups) into a private
# moto_server (scripts/lib/stack.sh's stack_start_moto) instead of the folder cases; they
# can also be named in CU_BENCH_ONLY beside folder cases. The S3 requests each run made are
# counted from moto's request log (PutObject, CreateMultipartUpload, UploadPart,
# CompleteMultipartUpload, AbortMultipartUpload, ListObjectsV2, DeleteObjects). Each run's objects are counted
# and summed by ListObjectsV2 (bench/lib/s3_keys.py, boto3) against the run's own report,
# no multipart upload may stay open, the partitioned cases must show 1,000 (or 8) `p=N/` folders;
# then the objects are deleted (moto holds everything in memory). moto's own peak RSS is
# printed apart: it is the emulator's, not ours.
#
# PostgreSQL: with CU_PG_HOST / CU_PG_PORT set (and PGPASSFILE), that running server is
# used instead of starting bench_pg.sh's own (e.g. `set -a; source <(grep =
# /tmp/prof/benchpg.env); set +a` for a benchmark server someone keeps up, or inside
# `scripts/with-stack` at scale 1).
#
# Output: progress on stderr, then a Markdown table (medians, ratio against each target,
# PASS/MISS, peak RSS of the whole process and its CPU time, user + system, from
# /usr/bin/time; for the references the CPU of psql and gzip; load averages seen).
set -euo pipefail
SCALE=${1:-90}
BUILD=${2:-build/engine-rel}
RUNS=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/$BUILD/bench/engine_unload"
[[ -x $bin ]] || {
  echo "build $bin first: cmake --build $BUILD --target engine_unload" >&2
  exit 1
}
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$here/$BUILD/CMakeCache.txt" ||
  echo "warning: $BUILD is not a Release build; the figures will not be comparable" >&2
[[ -x /usr/bin/time ]] || {
  echo "/usr/bin/time is needed for the peak RSS (apt-get install time)" >&2
  exit 1
}
base_bin=""
if [[ -n ${CU_BENCH_BASE:-} ]]; then
  base_bin="$(cd "$CU_BENCH_BASE" && pwd)/bench/engine_unload"
  [[ -x $base_bin ]] || {
    echo "CU_BENCH_BASE: $base_bin is not built" >&2
    exit 1
  }
fi
source "$here/bench/lib/bench_pg.sh"
# Our own temp folder and exit traps, also inside scripts/with-stack (whose stack folder
# would otherwise be reused without traps, and whose moto folder our moto would share).
unset CU_STACK_DIR
bench_pg_start
bench_pg_tickit "$SCALE" bench_sales
db=bench_sales
conn="host=$CU_PG_HOST port=$CU_PG_PORT user=$CU_PG_USER dbname=$db"
psql="$CU_PG_BIN/psql -X -q -v ON_ERROR_STOP=1 -d '$conn'"
out=$(mktemp -d "${TMPDIR:-/var/tmp}/engine_bench.XXXXXX")
stack_on_exit "rm -rf '$out'"

rows=$(eval "$psql" -At -c "'select count(*) from sales'")
echo "sales: $(bench_pg_describe $db); $rows rows" >&2
S3_CASES="s3_text s3_part1000_csv s3_part1000_parquet s3_part8_csv s3_part8_parquet"
[[ ${CU_BENCH_S3:-0} == 1 && -z ${CU_BENCH_ONLY:-} ]] && CU_BENCH_ONLY=$S3_CASES
want() {
  if [[ -z ${CU_BENCH_ONLY:-} ]]; then
    [[ $1 != s3_* ]]
  else
    [[ " $CU_BENCH_ONLY " == *" $1 "* ]]
  fi
}

# The S3 cases write to s3://bench/run/ in a moto_server of our own, with the endpoint and
# static keys given to the engine the way `crossunload run` reads them.
s3_keys() { python3 "$here/bench/lib/s3_keys.py" "$@"; }
moto_pid=""
moto_hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$moto_pid/status"; }
if [[ " $(for c in $S3_CASES; do want "$c" && echo "$c"; done) " == *s3_* ]]; then
  stack_start_moto
  moto_pid=$(cat "$CU_STACK_DIR/moto/pid")
  echo "moto_server: $CU_MOTO_ENDPOINT, pid $moto_pid ($(cat "/proc/$moto_pid/comm"))" >&2
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
  export AWS_ACCESS_KEY_ID=bench-key AWS_SECRET_ACCESS_KEY=bench-secret-key AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL_S3=$CU_MOTO_ENDPOINT AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
  aws --endpoint-url "$CU_MOTO_ENDPOINT" s3api create-bucket --bucket bench >/dev/null
fi

# measure NAME EXPECTED_ROWS CMD...: one timed run; appends the wall time, peak RSS and
# the 1-minute load average to the case's lists. Engine runs print their result as JSON,
# whose row count must be the expected one (a benchmark of a wrong answer is no figure).
declare -A T RSS LOAD CPU MOTO REQS
# moto's request log lines (werkzeug: "METHOD /bucket/key?query HTTP/1.1" status) → counts.
s3_requests() {
  awk '{
    if (!match($0, /"(GET|PUT|POST|DELETE|HEAD) [^ ]*/)) next
    r = substr($0, RSTART + 1, RLENGTH - 1); split(r, a, " "); m = a[1]; u = a[2]
    if (m == "PUT" && u ~ /partNumber=/) k = "UploadPart"
    else if (m == "PUT") k = "PutObject"
    else if (m == "POST" && u ~ /[?&]uploads/) k = "CreateMultipartUpload"
    else if (m == "POST" && u ~ /uploadId=/) k = "CompleteMultipartUpload"
    else if (m == "POST" && u ~ /[?&]delete/) k = "DeleteObjects"
    else if (m == "DELETE" && u ~ /uploadId=/) k = "AbortMultipartUpload"
    else if (m == "GET" && u ~ /list-type=2/) k = "ListObjectsV2"
    else k = m
    n[k]++; t++
  } END { printf "%d", t; for (k in n) printf " %s=%d", k, n[k]; print "" }'
}
measure() {
  local name=$1 expect=$2
  shift 2
  [[ $name == s3_* ]] && s3_keys clear bench run/
  rm -rf "$out/e" "$out/two.csv" "$out/two.parquet" "$out/ref.gz"
  mkdir -p "$out/e"
  sync
  local load log_from=0
  load=$(cut -d' ' -f1 /proc/loadavg)
  [[ $name == s3_* ]] && log_from=$(wc -l <"$CU_STACK_DIR/moto/server.log")
  /usr/bin/time -f '%e %M %U %S' -o "$out/time" "$@" >"$out/stdout"
  [[ $name == s3_* ]] && REQS[$name]=$(tail -n +$((log_from + 1)) "$CU_STACK_DIR/moto/server.log" | s3_requests)
  local secs kib user sys
  read -r secs kib user sys <"$out/time"
  if [[ $expect != - ]]; then
    local got
    got=$(jq -r .rows "$out/stdout")
    [[ $got == "$expect" ]] || {
      echo "$name: $got rows unloaded, $expect expected" >&2
      exit 1
    }
  fi
  [[ $name == text ]] && BYTES=$(find "$out/e" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  [[ $name == part1000* ]] && FILES[$name]=$(find "$out/e" -type f | wc -l)
  [[ $name == s3_* ]] && s3_check "$name"
  T[$name]+="$secs "
  RSS[$name]=$(((${RSS[$name]:-0} > kib) ? ${RSS[$name]:-0} : kib))
  LOAD[$name]+="$load "
  CPU[$name]+="$(echo "$user + $sys" | bc) "
  printf '  %-16s %7.2f s  %6.1f MiB  cpu %5.2f s  load %s\n' "$name" "$secs" "$(echo "$kib / 1024" | bc -l)" "$(echo "$user + $sys" | bc)" "$load" >&2
}
# What an S3 run left: as many objects and bytes as it reported, no upload left open, 1,000
# partition folders for the part1000 cases. Then moto's peak so far, and the objects go.
s3_check() {
  local name=$1 sum objects files
  sum=$(s3_keys summary bench run/)
  objects=$(jq -r .objects <<<"$sum")
  files=$(jq -r .files "$out/stdout")
  fail() {
    echo "$name: $1 (moto: $sum; run: $(jq -c '{rows, files, bytes}' "$out/stdout"))" >&2
    exit 1
  }
  ((objects > 0)) || fail "no object written"
  [[ $objects == "$files" ]] || fail "$objects objects listed, $files files reported"
  [[ $(jq -r .bytes <<<"$sum") == "$(jq -r .bytes "$out/stdout")" ]] || fail "listed bytes differ from reported bytes"
  [[ $(jq -r .open_uploads <<<"$sum") == 0 ]] || fail "multipart uploads left open"
  if [[ $name == s3_part* ]]; then
    local n=${name#s3_part}
    n=${n%%_*}
    [[ $(jq -r .partitions <<<"$sum") == "$n" ]] || fail "not $n partition folders"
  fi
  FILES[$name]=$objects
  MOTO[$name]=$(moto_hwm_kib)
  echo "  $name: $objects objects, $(jq -r .bytes <<<"$sum") bytes in moto; moto_server peak RSS so far $((MOTO[$name] / 1024)) MiB" >&2
  s3_keys clear bench run/
}
declare -A FILES
BYTES=0
PROBE_NOTE=""
probe=0
round=1
engine() {
  if [[ -n $base_bin ]] && ((round % 2 == 0)); then
    measure "$1@base" "$2" "$base_bin" "$conn" "${@:3}"
  fi
  measure "$1" "$2" "$bin" "$conn" "${@:3}"
  if [[ -n $base_bin ]] && ((round % 2 == 1)); then
    measure "$1@base" "$2" "$base_bin" "$conn" "${@:3}"
  fi
}
sales=(select\ \*\ from\ sales "$out/e/x_")
# The personal-data guard's cost (CU_BENCH_PII=1: every value of the text columns checked).
# sales has no text column, so the guard is also measured on the same rows with every
# column cast to text (the worst case: ten checked values per row, among them timestamps
# and 7-digit numbers that pass the detectors' first filters).
engine_pii() { measure "$1" "$2" env CU_BENCH_PII=1 "$bin" "$conn" "${@:3}"; }
# Live progress's cost (CU_BENCH_PROGRESS=bar: `--progress bar`'s counters and reporter
# thread, redrawing every 0.2 s on stderr, kept apart in $out/bar.err), right after the
# same case without it.
engine_bar() {
  measure "$1" "$2" bash -c 'exec 2>"$0" env CU_BENCH_PROGRESS=bar "$@"' "$out/bar.err" "$bin" "$conn" "${@:3}"
}
strq="select salesid::text as salesid, listid::text as listid, sellerid::text as sellerid,
  buyerid::text as buyerid, eventid::text as eventid, dateid::text as dateid,
  qtysold::text as qtysold, pricepaid::text as pricepaid, commission::text as commission,
  saletime::text as saletime from sales"

for ((r = 1; r <= RUNS; r++)); do
  round=$r
  echo "round $r/$RUNS (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  want ref && measure ref - bash -c "$psql -c '\\copy (select * from sales) to stdout' >/dev/null"
  want text && engine text "$rows" "${sales[@]}" text none
  want text_bar && engine_bar text_bar "$rows" "${sales[@]}" text none
  want zstd && engine zstd "$rows" "${sales[@]}" text zstd
  want parquet && engine parquet "$rows" "${sales[@]}" parquet none
  want parquet_bar && engine_bar parquet_bar "$rows" "${sales[@]}" parquet none
  want ref_gzip && measure ref_gzip - bash -c "$psql -c '\\copy (select * from sales) to stdout' | gzip >$out/ref.gz"
  want gzip && engine gzip "$rows" "${sales[@]}" text gzip
  want two_step && measure two_step - bash -c "$psql -c \"\\\\copy (select * from sales) to '$out/two.csv' with (format csv)\" &&
    $CU_DUCKDB exec \"COPY (SELECT * FROM read_csv('$out/two.csv')) TO '$out/two.parquet' (FORMAT parquet)\""
  want text_off && engine text_off "$rows" "${sales[@]}" text none off
  want text_pii && engine_pii text_pii "$rows" "${sales[@]}" text none
  want parquet_pii && engine_pii parquet_pii "$rows" "${sales[@]}" parquet none
  want text_str && engine text_str "$rows" "$strq" "$out/e/x_" text none
  want text_str_pii && engine_pii text_str_pii "$rows" "$strq" "$out/e/x_" text none
  want parquet_str && engine parquet_str "$rows" "$strq" "$out/e/x_" parquet none
  want parquet_str_pii && engine_pii parquet_str_pii "$rows" "$strq" "$out/e/x_" parquet none
  want s3_text && engine s3_text "$rows" "select * from sales" "s3://bench/run/x_" text none
done

# Memory at 4x the table: the table streamed four times over, nothing more generated (the
# lateral reference keeps the scan of sales inside the loop). parquet_x4_rep streams the
# same rows with each one repeated four times in a row (the plan PostgreSQL picks for a
# plain cross join), data that dictionary and RLE encoding shrink much more.
q4="select s.* from generate_series(1, 4) g cross join lateral (select * from sales where g > 0 offset 0) s"
want text_x4 && engine text_x4 $((rows * 4)) "$q4" "$out/e/x_" text none
want parquet_x4 && engine parquet_x4 $((rows * 4)) "$q4" "$out/e/x_" parquet none
want parquet_x4_rep && engine parquet_x4_rep $((rows * 4)) \
  "select s.* from sales s cross join generate_series(1, 4)" "$out/e/x_" parquet none

# Last, with whatever partitioned writer is on main now: 1,000 partitions.
if want part1000_csv || want part1000_parquet || want s3_part1000_csv || want s3_part1000_parquet; then
  eval "$psql" -c "'create table if not exists sales1000 as select s.*, salesid % 1000 as p from sales s'" \
    -c "'vacuum (freeze, analyze) sales1000'" 2>/dev/null
fi
if want part1000_csv || want part1000_parquet; then
  # A probe first: a writer that makes a file per row (or per block) of each partition
  # would take hours over 15 M rows; then the full case is reported as not measured.
  probe=$(eval "$psql" -At -c "'select count(*) from sales1000 where salesid <= 20000'")
  engine probe_part1000 "$probe" "select * from sales1000 where salesid <= 20000" "$out/e/p" csv none on p
  probe_files=$(find "$out/e" -type f | wc -l)
  if ((probe_files > 10 * 1000)); then
    PROBE_NOTE="not measured at full size: the probe ($probe rows, 1,000 partitions) wrote $probe_files files"
    echo "$PROBE_NOTE" >&2
  else
    want part1000_csv && engine part1000_csv "$rows" "select * from sales1000" "$out/e/p" csv none on p
    want part1000_parquet && engine part1000_parquet "$rows" "select * from sales1000" "$out/e/p" parquet none on p
  fi
fi
if [[ -z $PROBE_NOTE ]]; then
  want s3_part1000_csv && engine s3_part1000_csv "$rows" "select * from sales1000" "s3://bench/run/p" csv none on p
  want s3_part1000_parquet && engine s3_part1000_parquet "$rows" "select * from sales1000" "s3://bench/run/p" parquet none on p
fi
for f in csv parquet; do
  want s3_part8_$f && engine s3_part8_$f "$rows" "select s.*, salesid % 8 as p from sales s" "s3://bench/run/p" $f none on p
done

# ---- the table ----
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
med() { [[ -n ${T[$1]:-} ]] && median "${T[$1]}"; }
mib() { echo "scale=1; ${RSS[$1]} / 1024" | bc; }
loads() { tr ' ' '\n' <<<"${LOAD[$1]}" | grep . | sort -g | sed -n '1p;$p' | paste -sd '-' | sed 's/^\([^-]*\)-\1$/\1/'; }
verdict() { (($(echo "$1 >= $2" | bc -l))) && echo PASS || echo MISS; }

echo
echo "bench/engine_unload.sh $SCALE $BUILD $RUNS — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $rows rows$( ((BYTES > 0)) && echo ", text output $BYTES bytes")"
echo
echo "| case | runs (s) | median (s) | rows/s | target | ratio | result | peak RSS (MiB) | CPU (s) | load |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# row CASE TARGET_TEXT [VS_CASE MIN_RATIO]
row() {
  local c=$1 target=$2 vs=${3:-} min=${4:-} m ratio="" result=""
  m=$(med "$c") || return 0
  local n=$rows
  [[ $c == *_x4* ]] && n=$((rows * 4))
  [[ $c == probe_* ]] && n=$probe
  if [[ -n $vs && -n ${T[$vs]:-} ]]; then
    ratio=$(printf '%.2f' "$(echo "$(med "$vs") / $m" | bc -l)")
    [[ $min != - ]] && result=$(verdict "$ratio" "$min")
  fi
  local rss="" ; [[ $c == ref* || $c == two_step ]] || rss=$(mib "$c")
  [[ -n ${FILES[$c]:-} ]] && target+=" (${FILES[$c]} files)"
  if [[ $c == *_x4* || $c == part1000* || $c == s3_* ]]; then
    local cap=256
    [[ $c == *part1000* || $c == s3_part* ]] && cap=512
    result=$( (($(echo "${RSS[$c]} <= $cap * 1024" | bc))) && echo PASS || echo MISS)
  fi
  printf '| %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$(echo ${T[$c]} | sed 's/ / · /g')" "$m" \
    "$(printf '%.0f' "$(echo "$n / $m" | bc -l)" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$target" "${ratio:+×$ratio}" "$result" "$rss" "$(printf '%.2f' "$(median "${CPU[$c]}")")" "$(loads "$c")"
}
row ref "reference: psql \\copy > /dev/null"
row ref_gzip "reference: psql \\copy \\| gzip"
row two_step "reference: psql → CSV → DuckDB parquet"
row text "≥ 0.9× ref" ref 0.9
row gzip "≥ 4× ref_gzip" ref_gzip 4
row zstd "≥ 0.8× ref" ref 0.8
row parquet "≥ 0.6× ref" ref 0.6
[[ -n ${T[parquet]:-} && -n ${T[two_step]:-} ]] &&
  echo "| parquet vs two_step | | | | ≥ 1× two_step | ×$(printf '%.2f' "$(echo "$(med two_step) / $(med parquet)" | bc -l)") | $(verdict "$(echo "$(med two_step) / $(med parquet)" | bc -l)" 1) | | | |"
row text_off "(PARALLEL OFF, informative)" ref -
row text_bar "progress bar: ≥ 0.97× text (≤ 3 % overhead)" text 0.97
row parquet_bar "progress bar: ≥ 0.97× parquet (≤ 3 % overhead)" parquet 0.97
row text_pii "pii guard: ≥ 0.91× text (≤ 10 % overhead)" text 0.91
row parquet_pii "pii guard: ≥ 0.91× parquet (≤ 10 % overhead)" parquet 0.91
row text_str "all columns as text (guard off)" ref -
row text_str_pii "pii guard: ≥ 0.91× text_str (≤ 10 % overhead)" text_str 0.91
row parquet_str "all columns as text, Parquet (guard off)" ref -
row parquet_str_pii "pii guard: ≥ 0.91× parquet_str (≤ 10 % overhead)" parquet_str 0.91
row text_x4 "RSS ≤ 256 MiB at 4× rows"
row parquet_x4 "RSS ≤ 256 MiB at 4× rows"
row parquet_x4_rep "RSS ≤ 256 MiB at 4× rows, each row 4 times in a row"
row part1000_csv "RSS ≤ 512 MiB, 1,000 partitions"
row part1000_parquet "RSS ≤ 512 MiB, 1,000 partitions"
row probe_part1000 "probe: salesid ≤ 20000, 1,000 partitions"
row s3_text "RSS ≤ 256 MiB, text into S3 (moto)"
row s3_part1000_csv "RSS ≤ 512 MiB, 1,000 partitions into S3 (moto)"
row s3_part1000_parquet "RSS ≤ 512 MiB, 1,000 partitions into S3 (moto)"
row s3_part8_csv "RSS ≤ 512 MiB, 8 partitions of multipart size into S3 (moto)"
row s3_part8_parquet "RSS ≤ 512 MiB, 8 partitions of multipart size into S3 (moto)"
for c in "${!REQS[@]}"; do
  echo "S3 requests of $c (last run): ${REQS[$c]}"
done | sort
for c in $S3_CASES; do
  [[ -n ${MOTO[$c]:-} ]] &&
    echo "moto_server's own peak RSS after $c: $(echo "scale=1; ${MOTO[$c]} / 1024" | bc) MiB (the emulator's, since it started; not crossunload's)"
done || true
[[ -n ${PROBE_NOTE:-} ]] && echo "1,000 partitions: $PROBE_NOTE"
for c in text gzip zstd parquet text_off; do
  [[ -n ${RSS[$c]:-} ]] && (($(echo "${RSS[$c]} > 256 * 1024" | bc))) && echo "peak RSS of $c above 256 MiB: MISS"
done || true
if [[ -n $base_bin ]]; then
  echo
  echo "Before ($CU_BENCH_BASE) and after ($BUILD), same rounds; ratio = before / after median (above 1: faster now)"
  echo
  echo "| case | before (s) | after (s) | ratio | RSS before (MiB) | RSS after (MiB) | CPU before (s) | CPU after (s) |"
  echo "|---|---|---|---|---|---|---|---|"
  for c in "${!T[@]}"; do
    [[ $c == *@base ]] || continue
    a=${c%@base}
    [[ -n ${T[$a]:-} ]] || continue
    printf '| %s | %s | %s | ×%.2f | %s | %s | %.2f | %.2f |\n' "$a" "$(med "$c")" "$(med "$a")" \
      "$(echo "$(med "$c") / $(med "$a")" | bc -l)" "$(mib "$c")" "$(mib "$a")" \
      "$(median "${CPU[$c]}")" "$(median "${CPU[$a]}")"
  done | sort
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
