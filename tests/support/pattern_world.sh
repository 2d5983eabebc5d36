# Sourced (after testlib.sh) by the tests that run `crossunload run` against the pattern's
# two accounts in a moto_server of their own: checks what they need, starts that moto,
# gives them a clean-up list that runs at exit (stack_on_exit, scripts/lib/stack.sh),
# moto_s3 (tests/support/moto_s3.py) and
#
#   cu_pattern_world SUFFIX   # pattern_setup SUFFIX (roles, users, DEV bucket: CU_PAT_*)
#                             # plus the PROD secret pointing at the stack's PostgreSQL
#   cu_pattern_secrets SUFFIX FILE   # every secret of the run, one per line, into a 0600
#                             # FILE, for `grep -F -f FILE` scans of logs and reports
#
# Every name carries SUFFIX, as in the tests that share the stack's moto. The database
# password reaches pattern_setup.py through the environment (CU_PG_PASSWORD), never argv.
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"
python3 -c 'import boto3' 2>/dev/null || cu_fail "python3 boto3 is missing (scripts/install-deps)"

# A private moto_server: the shared one may hold what other tests left (after CloudFormation
# has created a Lambda function, moto 5's /moto-api/data.json answers 500, and the secret scan
# reads the keys moto issued from there).
cu_private_moto
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"
moto_s3() { python3 "$CU_SOURCE_DIR/tests/support/moto_s3.py" "$@"; }

cu_pattern_world() {
  pattern_setup "$1" || cu_fail "cannot build the pattern's accounts in moto"
  python3 "$CU_SOURCE_DIR/scripts/lib/pattern_setup.py" "$CU_MOTO_ENDPOINT" secret \
    "$CU_PG_HOST" "$CU_PG_PORT" "$CU_PG_DATABASE" "$CU_PG_USER" --suffix="$1" >/dev/null ||
    cu_fail "cannot create the PROD secret"
}

# What crossunload held in a run of SUFFIX: the database password, the keys pattern_setup
# wrote (the Lambda runner's, the cluster's), and the key and token of every role session
# moto handed out for SUFFIX's roles. One per line into FILE (0600), never onto argv.
cu_pattern_secrets() {
  local sfx=$1 file=$2
  (
    umask 077
    {
      printf '%s\n' "$CU_PG_PASSWORD"
      pattern_secret_keys
      moto_s3 session-secrets -- "$sfx"
    } | grep -v '^$' >"$file"
  )
}
