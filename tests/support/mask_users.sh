# shellcheck shell=bash
# The masking tests' shared case (run_mask_test: client mode; pattern_mask_test: server
# mode through the gateway): TICKIT users with email=hash, phone=null, firstname=keep:1,
# lastname=redact, and PostgreSQL's answer to those rules written by hand, independently
# of crossunload's SQL.
#
#   source "$(dirname "$0")/../support/mask_users.sh"
#   mask_users_job "$dir/job.toml"     # sets $salt (fresh per run), writes the job (0600)
#   cu_pg_rows "$(mask_users_want)" --sort >want

# The salt goes in the job file: a process argument would show it to every local user.
mask_users_job() {
  salt="cu-mask-salt-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  (
    umask 077
    cat >"$1" <<TOML
mask_salt = "$salt"
[mask]
email = "hash"
phone = "null"
firstname = "keep:1"
lastname = "redact"
TOML
  )
}

mask_users_want() {
  local likes="likesports, liketheatre, likeconcerts, likejazz, likeclassical, likeopera,
    likerock, likevegas, likebroadway, likemusicals"
  printf '%s' "select userid, username, substr(firstname, 1, 1) || '***', '***', city, state,
  encode(sha256(convert_to('$salt' || email, 'UTF8')), 'hex'), null, $likes from users"
}
