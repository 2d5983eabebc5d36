# shellcheck shell=bash
# The masking tests' shared case (run_mask_test: client mode; pattern_mask_test: server
# mode through the gateway): TICKIT users with email=email, phone=digits:4, city=hash,
# state=null, firstname=keep:1, lastname=redact, and PostgreSQL's answer to those rules
# written by hand, independently of crossunload's SQL (regular expressions where
# crossunload uses strpos/translate).
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
email = "email"
phone = "digits:4"
city = "hash"
state = "null"
firstname = "keep:1"
lastname = "redact"
TOML
  )
}

# The hex SHA-256 of the salted text SQL expression $1, as PostgreSQL computes it.
mask_sha256() {
  printf '%s' "encode(sha256(convert_to('$salt' || $1, 'UTF8')), 'hex')"
}

mask_users_want() {
  local likes="likesports, liketheatre, likeconcerts, likejazz, likeclassical, likeopera,
    likerock, likevegas, likebroadway, likemusicals"
  # email: the part before the last '@' hashed, '@domain' as it is (no '@': all hashed).
  # phone: its digits, each but the last four as '*', nothing else.
  printf '%s' "select userid, username, substr(firstname, 1, 1) || '***', '***',
  $(mask_sha256 city), null,
  case when email like '%@%'
    then $(mask_sha256 "substring(email from '^(.*)@[^@]*\$')") || substring(email from '@[^@]*\$')
    else $(mask_sha256 email) end,
  regexp_replace(regexp_replace(phone, '[^0-9]', '', 'g'), '[0-9](?=[0-9]{4})', '*', 'g'),
  $likes from users"
}
