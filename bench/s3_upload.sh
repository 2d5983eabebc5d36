#!/usr/bin/env bash
# Upload-path benchmark (not a test): MB/s of a streaming multipart upload of one file
# (1 GiB by default) into moto_server by crossunload's S3MultipartWriter, next to `aws s3 cp`
# of the same file to the same endpoint in the same run, and our peak RSS against the target
# 64 MiB + part size × parts in flight. moto keeps objects in memory and is itself the
# bottleneck on small machines: read the two figures side by side, not as S3's speed.
#
#   bench/s3_upload.sh [SIZE_MIB=1024] [PART_MIB=8] [PARTS_IN_FLIGHT=4]
#
# Builds target s3_upload in $BUILD_DIR (default build/release, Release).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
PART_MIB=${2:-8}
IN_FLIGHT=${3:-4}
BUILD_DIR=${BUILD_DIR:-build/release}

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD_DIR" -j 2 --target s3_upload >/dev/null

source scripts/lib/stack.sh
stack_start_moto
export AWS_ACCESS_KEY_ID=bench-key AWS_SECRET_ACCESS_KEY=bench-secret-key AWS_DEFAULT_REGION=us-east-1
export AWS_MAX_ATTEMPTS=3 AWS_PAGER=""
file="$CU_STACK_DIR/upload.bin"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$file"
aws --endpoint-url "$CU_MOTO_ENDPOINT" s3 mb s3://bench >/dev/null

ours=$("$BUILD_DIR/bench/s3_upload" "$CU_MOTO_ENDPOINT" bench ours.bin "$file" "$PART_MIB" "$IN_FLIGHT")

# awscli with the same part size and concurrency.
export AWS_CONFIG_FILE="$CU_STACK_DIR/aws-config"
printf '[default]\ns3 =\n  multipart_chunksize = %sMB\n  max_concurrent_requests = %s\n' \
  "$PART_MIB" "$IN_FLIGHT" >"$AWS_CONFIG_FILE"
start=$(date +%s%N)
aws --endpoint-url "$CU_MOTO_ENDPOINT" s3 cp --only-show-errors "$file" s3://bench/awscli.bin
end=$(date +%s%N)
cli_secs=$(python3 -c "print(($end - $start) / 1e9)")

size_ours=$(aws --endpoint-url "$CU_MOTO_ENDPOINT" s3api head-object --bucket bench --key ours.bin --query ContentLength --output text)
size_cli=$(aws --endpoint-url "$CU_MOTO_ENDPOINT" s3api head-object --bucket bench --key awscli.bin --query ContentLength --output text)
[[ "$size_ours" == "$((SIZE_MIB << 20))" && "$size_cli" == "$((SIZE_MIB << 20))" ]] || {
  echo "size mismatch: ours $size_ours, awscli $size_cli" >&2
  exit 1
}
echo "crossunload S3MultipartWriter: $ours"
printf 'aws s3 cp:                     {"bytes": %s, "seconds": %.2f, "mib_per_s": %.1f}\n' \
  "$size_cli" "$cli_secs" "$(python3 -c "print($SIZE_MIB / $cli_secs)")"
