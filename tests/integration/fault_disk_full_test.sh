#!/usr/bin/env bash
# A full disk under a run (issue 13 item 4), on an 8 MB tmpfs mounted for the test (root
# only; unmounted in a trap):
#   - a folder destination on it: a ~30 MB unload fails with exit 5 naming the file and
#     "No space left on device"; nothing is left in the folder (no file, hidden temporary
#     ones included) and the tmpfs is empty again;
#   - the partition spool ($TMPDIR) on it: a PARTITION BY unload with more partitions than
#     are kept open spills rows past its 32 MB memory buffer into the spool, which fills
#     the tmpfs; the run fails with exit 1 naming the spool step, ENOSPC and TMPDIR, and
#     leaves nothing at the destination (moto: no object, no upload open), and the spool's
#     space is given back (an anonymous file: nothing to clean).
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/fault_lib.sh"
((EUID == 0)) || cu_fail "mounting a small tmpfs needs root (scripts/test runs as root in CI)"

work=$(cu_tmpdir)
small="$work/small"
mkdir -p "$small"
mount -t tmpfs -o size=8m tmpfs "$small" || cu_fail "cannot mount an 8 MB tmpfs on $small"
fault_on_exit "umount -l '$small'"
used() { df --output=used -B1 "$small" | tail -1 | tr -d ' '; }
empty=$(used)

# 1. The destination folder fills up.
dest="$small/out"
mkdir -p "$dest"
out="$work/folder"
fault_start "$out" "$dest/part_" \
  "select g, repeat(md5(g::text), 10) as pad from generate_series(1, 95000) g" \
  --format csv --max-file-size 5MB --manifest
fault_wait_exit 120
cu_assert_eq "$fault_rc" "5" "exit code with the destination folder full: $(cat "$out.err")"
grep -q "^crossunload: error: .*No space left on device" "$out.err" ||
  cu_fail "the error does not say the disk is full: $(cat "$out.err")"
grep -qF "$dest/" "$out.err" || cu_fail "the error does not name the file: $(cat "$out.err")"
cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$out.json")" "failed 5" "report"
cu_assert_eq "$(fault_folder_files "$dest")" "" "files left in the full folder"
cu_assert_eq "$(used)" "$empty" "bytes used on the tmpfs after the failed run"
fault_query_gone
cu_note "folder full: exit 5: $(grep -o 'error: .*' "$out.err" | cut -c1-160)…"

# 2. The partition spool fills $TMPDIR. ~55 MB in 200 partitions: 7 are written as their
# rows come, the rows of the others wait in the spool (32 MB in memory, the rest on disk).
bucket="diskfull-$$-$RANDOM"
fault_bucket "$bucket"
out="$work/spool"
TMPDIR="$small" fault_start "$out" "s3://$bucket/spool/" \
  "select g % 200 as day, g, repeat(md5(g::text), 10) as pad from generate_series(1, 170000) g" \
  --format csv --partition-by day --manifest
fault_wait_exit 180
cu_assert_eq "$fault_rc" "1" "exit code with the partition spool's disk full: $(cat "$out.err")"
grep -q "^crossunload: error: spool partitions .*No space left on device" "$out.err" ||
  cu_fail "the error does not name the spool and the full disk: $(cat "$out.err")"
grep -qF "TMPDIR" "$out.err" || cu_fail "the error does not say how to move the spool: $(cat "$out.err")"
cu_assert_eq "$(fault_s3 objects "$bucket" "spool/")" "" "objects under spool/"
cu_assert_eq "$(fault_s3 uploads "$bucket" "spool/")" "0" "multipart uploads open under spool/"
cu_assert_eq "$(used)" "$empty" "bytes used on the tmpfs after the failed run (the spool released)"
fault_query_gone
cu_note "spool full: exit 1: $(grep -o 'error: .*' "$out.err" | cut -c1-160)…"
cu_note "ok"
