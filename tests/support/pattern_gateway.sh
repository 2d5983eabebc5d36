# shellcheck shell=bash
# Shared prologue of the pattern_* tests that run the AWS pattern on the stack's moto with
# `crossunload gateway` as the PROD cluster (pattern_flow, pattern_formats, pattern_mask):
# their requirements, a private stack folder whose clean-ups (the gateway that
# scripts/lib/pattern.sh starts, …) run when the test exits, and pattern.sh's functions
# (pattern_setup, pattern_start_gateway, pattern_make_secret, …).
#
#   source "$(dirname "$0")/../support/testlib.sh"
#   source "$(dirname "$0")/../support/pattern_gateway.sh"
#   pattern_setup "-mytest$$"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v aws >/dev/null || cu_fail "awscli is missing (scripts/install-deps installs it)"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"

CU_STACK_DIR=$(cu_tmpdir)
_cleanup=()
stack_on_exit() { _cleanup+=("$*"); }
trap 'for c in "${_cleanup[@]}"; do eval "$c" || true; done; rm -rf "$CU_TMP"' EXIT
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"
