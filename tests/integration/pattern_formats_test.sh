#!/usr/bin/env bash
# UNLOAD in every format through `crossunload gateway` into moto S3 with the pattern's role
# chain (cluster identity → PROD CrossAccount-S3-Write-Role → DEV S3-Write-Role), sent by
# psql as any Redshift client would; the objects are fetched with awscli and read back by
# DuckDB, and must hold PostgreSQL's own answer to the query. Also `IAM_ROLE default` (the
# gateway's --default-iam-role, which alone may not write the DEV bucket: Redshift-style
# error naming the bucket, nothing written).
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"

pattern_setup "-fmt$$"
pattern_start_gateway
chain="$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE"

gw_psql() { # the client logs in as itself; the password through the environment only
  PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$CU_PAT_GATEWAY_PORT user=$CU_PG_USER dbname=$CU_PG_DATABASE sslmode=disable" "$@"
}
fetch() { # fetch PREFIX-NAME → local folder with its objects (no manifest)
  local d="$CU_STACK_DIR/dl-$1"
  mkdir -p "$d"
  AWS_PROFILE=lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/$1/" "$d/" ||
    cu_fail "cannot download s3://$CU_PAT_BUCKET/$1/"
  find "$d" -type f ! -name '*manifest*' | sort
}

query="select salesid, listid, sellerid, buyerid, eventid, dateid, qtysold, pricepaid, commission, saletime from sales where salesid % 7 = 0"
want=$(cu_pg_rows "$query" --sort)

# name ; UNLOAD options ; duckdb.mjs rows options
cases=(
  "text;;--format text"
  "csv;FORMAT CSV;--format csv"
  "csvgz;CSV GZIP HEADER;--format csv --header"
  "commazstd;DELIMITER ',' ZSTD;--format text --delimiter ,"
  "json;FORMAT JSON;--format json"
  "parquet;FORMAT PARQUET;--format parquet"
  "bz2serial;CSV BZIP2 PARALLEL OFF MANIFEST VERBOSE;--format csv"
)
for c in "${cases[@]}"; do
  IFS=';' read -r name opts rowopts <<<"$c"
  # The inner query's quotes doubled as Redshift wants them inside UNLOAD ('…').
  out=$(gw_psql -c "UNLOAD ('${query//\'/\'\'}') TO 's3://$CU_PAT_BUCKET/$name/part_' IAM_ROLE '$chain' $opts" 2>&1) ||
    cu_fail "$name: UNLOAD failed: $out $(tail -5 "$CU_PAT_GATEWAY_LOG")"
  mapfile -t files < <(fetch "$name")
  ((${#files[@]} > 0)) || cu_fail "$name: no objects"
  # shellcheck disable=SC2086
  got=$(cu_file_rows $rowopts --sort "${files[@]}") || cu_fail "$name: DuckDB cannot read the objects"
  cu_assert_eq "$got" "$want" "$name: rows read back by DuckDB vs PostgreSQL"
  cu_note "$name: ${#files[@]} object(s) ok"
done

# IAM_ROLE default = the cluster's CrossAccount-S3-Write-Role alone: it may not write the DEV
# bucket (no S3 permission) — under moto without IAM enforcement S3 does not refuse, so here
# only the resolution is checked: the default role is the one assumed (gateway log).
out=$(gw_psql -c "UNLOAD ('select 1') TO 's3://$CU_PAT_BUCKET/default/x_' IAM_ROLE default" 2>&1) || true
grep -q "assume role $CU_PAT_PROD_WRITE_ROLE via" "$CU_PAT_GATEWAY_LOG" ||
  cu_fail "IAM_ROLE default did not use --default-iam-role: $out $(tail -3 "$CU_PAT_GATEWAY_LOG")"
cu_note "ok: every format through the gateway into moto S3 with the chain"
