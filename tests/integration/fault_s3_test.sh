#!/usr/bin/env bash
# S3 misbehaving under a run (issue 13 item 4): `crossunload run` in client mode writes
# through tests/support/s3_fault_proxy.py, which sits in front of moto and answers a share
# of the requests with 503 SlowDown, 500 InternalError, a connection reset before any
# answer, or a reset after moto applied the request (the answer lost).
#   - a clean run (no fault) gives the reference objects and the requests a run makes;
#   - at 10 % of requests (four seeds, every kind among them) the run succeeds and its objects are
#     byte-identical to the clean run's (the manifest up to its own prefix), with no
#     multipart upload left open;
#   - every CreateMultipartUpload, CompleteMultipartUpload and PutObject applied by moto
#     but its answer lost once: the same (the retry must recognise its own earlier effect);
#   - at 100 % (the faults that never reach moto; on every write, then on every request)
#     the run fails with exit 5 naming the step, and publishes nothing: no object, no
#     manifest, no upload open.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/fault_lib.sh"

bucket="faults-$$-$RANDOM"
fault_bucket "$bucket"
work=$(cu_tmpdir)
# ~45 MB of CSV in two slices of 10 MB files: per slice two multipart uploads of two parts
# and one small file (a PutObject, as the manifest): ~20 requests a run.
query="select g, repeat(md5(g::text), 10) as pad from generate_series(1, 140000) g"
flags=(--format csv --manifest --max-file-size 10MB)

run_through_proxy() { # run_through_proxy NAME PROXY-ARGS… : runs to prefix NAME/, waits
  local name=$1
  shift
  fault_proxy "$@"
  out="$work/$name"
  fault_start "$out" "s3://$bucket/$name/part_" "$query" "${flags[@]}"
  fault_wait_exit 300
  stats=$(fault_proxy_stats)
  fault_proxy_stop
}

# Objects under NAME/ as "relative-key sha256" lines; the manifest with NAME/ made REF/.
digest() { # digest NAME
  local d
  d=$(cu_tmpdir)
  fault_s3 download "$bucket" "$1/" "$d" >/dev/null
  (cd "$d/$1" && for f in $(find . -type f | sort); do
    if [[ $f == *manifest ]]; then
      sed "s#s3://$bucket/$1/#s3://$bucket/REF/#g" "$f" | sha256sum | sed "s#-#$f#"
    else
      sha256sum "$f"
    fi
  done)
}

run_through_proxy clean --rate 0
cu_assert_eq "$fault_rc" "0" "exit code of the clean run: $(cat "$out.err")"
reference=$(digest clean)
[[ $(wc -l <<<"$reference") -ge 3 ]] || cu_fail "the clean run wrote too few objects: $reference"
cu_note "clean run: $(wc -l <<<"$reference") objects; requests $(jq -c .requests <<<"$stats")"

survives() { # survives NAME PROXY-ARGS…
  local name=$1
  run_through_proxy "$@"
  cu_assert_eq "$fault_rc" "0" "exit code of $name: $(tail -3 "$out.err")"
  cu_assert_eq "$(digest "$name")" "$reference" "objects of $name against the clean run's"
  cu_assert_eq "$(fault_s3 uploads "$bucket" "$name/")" "0" "multipart uploads open under $name/"
  cu_note "$name: ok, faults $(jq -c .faults <<<"$stats") in $(jq '[.requests[]] | add' <<<"$stats") requests"
}

declare -A seen=()
for seed in 1 2 3 4; do
  survives "p10-seed$seed" --rate 0.1 --seed "$seed"
  for k in slowdown internal reset lost; do
    seen[$k]=$((${seen[$k]:-0} + $(jq ".faults.$k" <<<"$stats")))
  done
done
for k in slowdown internal reset lost; do
  ((seen[$k] > 0)) || cu_fail "no $k fault was injected by the seeds: pick others"
done

survives lost-once --rate 1 --attempts 1 --faults lost \
  --ops CreateMultipartUpload,CompleteMultipartUpload,PutObject

# 100 %: every write (the listing that checks the prefix is empty passes, so the run gets
# to write and fails there), then every request of the run.
writes=CreateMultipartUpload,UploadPart,CompleteMultipartUpload,PutObject,AbortMultipartUpload,DeleteObjects
for case in slowdown:$writes internal:$writes reset:$writes slowdown:all; do
  kinds=${case%%:*} ops=${case#*:}
  name="p100-$kinds-${ops/$writes/writes}"
  extra=()
  [[ $ops != all ]] && extra=(--ops "$ops")
  run_through_proxy "$name" --rate 1 --faults "$kinds" "${extra[@]}"
  cu_assert_eq "$fault_rc" "5" "exit code with every request failing ($case): $(tail -3 "$out.err")"
  grep -Eq "^crossunload: error: (upload|list|unload) s3://$bucket/$name/.*gave up after [0-9]+ attempts" "$out.err" ||
    cu_fail "the error does not name the step, the object and the attempts: $(cat "$out.err")"
  cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$out.json")" "failed 5" "report of $name"
  cu_assert_eq "$(fault_s3 objects "$bucket" "$name/")" "" "objects under $name/"
  cu_assert_eq "$(fault_s3 uploads "$bucket" "$name/")" "0" "multipart uploads open under $name/"
  cu_note "$name: exit 5, nothing published: $(grep '^crossunload: error' "$out.err" | cut -c1-160)…"
done
cu_note "ok"
