#!/usr/bin/env bash
# Live progress (`--progress`) of client-mode runs against the stack's PostgreSQL:
# - json: every stderr line (JSON logs) parses; the progress events have rows, bytes and
#   elapsed_s that never go down; the planner's estimate is there and an ETA only below it;
#   exactly one final event, the last, whose rows and bytes equal the report file's (text and
#   Parquet);
# - plain: lines without any control character;
# - none, and auto without a terminal: no progress at all;
# - bar on a pseudo-terminal (script(1)): redrawn with "\r" + erase-to-end, the last line
#   left in place, and no log line sharing a line with the bar.
# The query streams for more than a second (pg_sleep every 50000 rows) so that several
# intervals pass while it is read.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

out=$(cu_tmpdir)
n=200000
query="select g, md5(g::text) as h from generate_series(1, $n) g
       where g % 50000 <> 0 or (select true from pg_sleep(0.3 + g * 0))"

run() {
  local name=$1
  shift
  "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --query "$query" --to "$out/$name/x_" \
    --report "$out/$name.report" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" ||
    cu_fail "$name: crossunload run failed: $(cat "$out/$name.stderr")"
}

# Checks the json events of run NAME against its report (python3 reads both).
check_json() {
  local name=$1
  python3 - "$out/$name.stderr" "$out/$name.report" "$name" <<'EOF' || cu_fail "$name: json events"
import json, sys
stderr, report_path, name = sys.argv[1:4]
events = []
for i, line in enumerate(open(stderr, encoding="utf-8"), 1):
    try:
        doc = json.loads(line)
    except ValueError:
        sys.exit(f"line {i} of stderr is not JSON: {line!r}")
    if doc.get("event") == "progress":
        events.append(doc)
report = json.load(open(report_path))
if len(events) < 3:
    sys.exit(f"{len(events)} progress event(s); several intervals passed")
for a, b in zip(events, events[1:]):
    for key in ("rows", "bytes", "elapsed_s"):
        if b[key] < a[key]:
            sys.exit(f"{key} went down: {a[key]} then {b[key]}")
finals = [e for e in events if e["final"]]
if len(finals) != 1 or not events[-1]["final"]:
    sys.exit(f"{len(finals)} final event(s); the last event must be the one final")
last = events[-1]
if last["status"] != "done":
    sys.exit(f"final status {last['status']!r}")
if (last["rows"], last["bytes"]) != (report["rows"], report["bytes"]):
    sys.exit(f"final event {last['rows']} rows {last['bytes']} bytes, "
             f"report {report['rows']} rows {report['bytes']} bytes")
if last["objects"] != len(report["files"]):
    sys.exit(f"final event {last['objects']} objects, report {len(report['files'])} files")
if not any(e["status"] == "copy" and 0 < e["rows"] < last["rows"] for e in events):
    sys.exit("no event saw the copy half-way")
for e in events:
    if "estimated_rows" not in e:
        sys.exit(f"no planner estimate in {e}")
    if "eta_s" in e and not (e["rows"] < e["estimated_rows"] and e["eta_s"] >= 0):
        sys.exit(f"an ETA beside rows {e['rows']} >= estimate {e['estimated_rows']}")
    for key in ("rate", "byte_rate"):
        if e[key] < 0:
            sys.exit(f"negative {key} in {e}")
print(f"{name}: {len(events)} events, last {last['rows']} rows {last['bytes']} bytes")
EOF
}

# json, text and Parquet; every log line JSON too (as the Lambda face writes them).
CU_LOG_JSON=1 run json --progress json --progress-interval 0.1
cu_assert_eq "$(jq -r .rows "$out/json.report")" "$n" "json run: report rows"
check_json json
CU_LOG_JSON=1 run json_parquet --progress json --progress-interval 0.1 --format parquet
check_json json_parquet

# plain: one line per interval, no control character (a tab or \r would break log parsers).
run plain --progress plain --progress-interval 0.1
if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$out/plain.stderr"; then
  cu_fail "plain progress holds a control character: $(od -c "$out/plain.stderr" | head -5)"
fi
plain_lines=$(grep -c 'elapsed' "$out/plain.stderr" || true)
((plain_lines >= 3)) || cu_fail "plain: $plain_lines progress line(s): $(cat "$out/plain.stderr")"
grep -q "^crossunload: done $n rows" "$out/plain.stderr" ||
  cu_fail "plain: no final line with the rows: $(tail -3 "$out/plain.stderr")"

# none, and auto (the default) when stderr is not a terminal: nothing but the log.
run none --progress none --progress-interval 0.1
run auto --progress-interval 0.1
for name in none auto; do
  if grep -q 'elapsed\|"progress"' "$out/$name.stderr"; then
    cu_fail "$name: progress was shown: $(cat "$out/$name.stderr")"
  fi
done

# bar on a pseudo-terminal: script(1) gives the process a terminal and records it.
# script(1) runs its command with $SHELL, which need not be bash: the command goes into a
# bash script so that the quoting of the multi-line query (printf %q: $'…') holds anywhere.
{
  echo 'exec \'
  printf '%q ' "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --query "$query" \
    --to "$out/bar/x_" --progress bar --progress-interval 0.1 --report "$out/bar.report"
  echo
} >"$out/bar.sh"
script -qefc "bash $(printf '%q' "$out/bar.sh")" /dev/null >"$out/bar.tty" </dev/null ||
  cu_fail "bar: crossunload run failed: $(cat "$out/bar.tty")"
redraws=$(grep -o $'\r\x1b\\[K' "$out/bar.tty" | wc -l)
((redraws >= 3)) || cu_fail "bar: $redraws redraw(s) with \\r and erase-to-end"
python3 - "$out/bar.tty" "$n" <<'EOF' || cu_fail "bar: what the terminal shows"
import sys
data = open(sys.argv[1], "rb").read().decode("utf-8").replace("\r\n", "\n")
n = sys.argv[2]
# What stays on the screen: each line's text after its last carriage return/erase.
screen = [line.split("\r")[-1].replace("\x1b[K", "") for line in data.split("\n")]
screen = [s for s in screen if s]
done = [s for s in screen if s.startswith(f"crossunload: done {n} rows")]
if len(done) != 1:
    sys.exit(f"the final bar line is not left once on the screen: {screen}")
for s in screen:
    if "elapsed" in s and not s.startswith("crossunload: "):
        sys.exit(f"a bar shares its line: {s!r}")
    if s.count("crossunload:") > 1:
        sys.exit(f"two lines in one: {s!r}")
if not any(s.startswith("crossunload: unloaded") for s in screen):
    sys.exit(f"the engine's log line is not on a line of its own: {screen}")
EOF
cu_note "ok: progress json (text, Parquet), plain, none, auto without a terminal, bar on a terminal"
