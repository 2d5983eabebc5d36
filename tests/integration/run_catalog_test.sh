#!/usr/bin/env bash
# Glue/Athena catalog registration (docs/catalog.md) through `crossunload run` in client
# mode against the stack's PostgreSQL and a PRIVATE moto_server (IAM enforcement is
# switched on for the refusals only; it is global to a server):
#   formats    text plain, text ESCAPE + NULL AS + gzip, CSV HEADER, JSON, Parquet with
#              PARTITION BY: the Glue table read back with boto3 — columns and types,
#              SerDe and its parameters, table parameters, location, partition keys and
#              partitions — equals what is written out here by hand; DuckDB reads the files
#              with the column types Glue declares (mapped to DuckDB's by this test) and
#              gets PostgreSQL's rows;
#   rerun      the partitioned run again (ALLOWOVERWRITE): the table is updated, the
#              partitions are updated, none is duplicated; projection keeps its values;
#   refusals   a run failing half-way registers nothing; a Glue database that does not
#              exist, a bad table name, a prefix that is not a folder: exit 2, nothing
#              written; --print-ddl prints the DDL and writes nothing;
#   denied     under IAM enforcement, a writer without glue:CreateTable and one without
#              glue:BatchCreatePartition: exit 3 naming the action and the identity, the
#              data stays published, the report says so.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"
python3 -c 'import boto3' 2>/dev/null || cu_fail "python3 boto3 is missing (scripts/install-deps)"
command -v curl >/dev/null || cu_fail "curl is missing (scripts/install-deps installs it)"

shared_moto=$CU_MOTO_ENDPOINT
cu_private_moto inf
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"
moto_s3() { python3 "$CU_SOURCE_DIR/tests/support/moto_s3.py" "$@"; }
enforce() {
  curl -sf -X POST -H 'Content-Type: text/plain' --data "$1" "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null ||
    cu_fail "moto refused reset-auth $1"
}

sfx="-cat$$"
pattern_setup "$sfx" || cu_fail "cannot build the pattern's accounts in moto"
bucket=$CU_PAT_BUCKET
# Three DEV writers: full (S3 on the bucket, Glue), nocreate (no glue:CreateTable) and
# nopartition (no glue:BatchCreatePartition); the Glue database "tickit_dev". Glue
# resources are "*": moto denies a policy naming another service's ARN (test-stack.md).
python3 - "$CU_MOTO_ENDPOINT" "$bucket" "$sfx" "$AWS_SHARED_CREDENTIALS_FILE" <<'PY' ||
import json, sys
sys.path.insert(0, __import__("os").environ["CU_SOURCE_DIR"] + "/tests/support")
from moto_client import moto_client
endpoint, bucket, sfx, creds = sys.argv[1:]
iam = moto_client("iam", "111111111111", endpoint)
glue_all = ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable",
            "glue:BatchCreatePartition", "glue:BatchUpdatePartition"]
writers = {"full": glue_all,
           "nocreate": [a for a in glue_all if a != "glue:CreateTable"],
           "nopartition": [a for a in glue_all if a != "glue:BatchCreatePartition"]}
for name, actions in writers.items():
    user = f"{name}{sfx}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="write", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow",
             "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject",
                        "s3:AbortMultipartUpload", "s3:DeleteObject"],
             "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]},
            {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    k = iam.create_access_key(UserName=user)["AccessKey"]
    with open(creds, "a") as f:
        f.write(f"\n[{name}]\naws_access_key_id = {k['AccessKeyId']}\n"
                f"aws_secret_access_key = {k['SecretAccessKey']}\n")
moto_client("glue", "111111111111", endpoint).create_database(DatabaseInput={"Name": "tickit_dev"})
PY
  cu_fail "cannot create the writers and the Glue database"

runs="$CU_STACK_DIR/runs"
mkdir -p "$runs"
# run NAME PROFILE ARGS...: `crossunload run` in client mode; exit code in NAME.rc.
run() {
  local name=$1 profile=$2
  shift 2
  set +e
  env -u PGPASSWORD AWS_PROFILE="$profile" "$CROSSUNLOAD" run --region "$CU_PAT_REGION" \
    --mode client --source "$CU_PG_CONNINFO" --report "$runs/$name.json" "$@" \
    >"$runs/$name.out" 2>"$runs/$name.err"
  echo $? >"$runs/$name.rc"
  set -e
}
expect_rc() {
  local got
  got=$(cat "$runs/$1.rc")
  [[ $got == "$2" ]] || cu_fail "$1: exit $got, want $2: $(cat "$runs/$1.err")"
}
# glue WHAT TABLE: the table (GetTable's Table, the parts this test compares) or its
# partitions (sorted "values<TAB>location"), read with boto3 in the DEV account.
glue() {
  python3 - "$CU_MOTO_ENDPOINT" "$1" "$2" <<'PY'
import json, sys, os
sys.path.insert(0, os.environ["CU_SOURCE_DIR"] + "/tests/support")
from moto_client import moto_client
endpoint, what, table = sys.argv[1:]
g = moto_client("glue", "111111111111", endpoint)
if what == "exists":
    try:
        g.get_table(DatabaseName="tickit_dev", Name=table)
        print("yes")
    except g.exceptions.EntityNotFoundException:
        print("no")
elif what == "table":
    t = g.get_table(DatabaseName="tickit_dev", Name=table)["Table"]
    sd = t["StorageDescriptor"]
    print(json.dumps({
        "columns": [f"{c['Name']} {c['Type']}" for c in sd["Columns"]],
        "keys": [f"{c['Name']} {c['Type']}" for c in t.get("PartitionKeys", [])],
        "location": sd["Location"], "input": sd["InputFormat"], "output": sd["OutputFormat"],
        "serde": sd["SerdeInfo"]["SerializationLibrary"],
        "serde_params": sd["SerdeInfo"].get("Parameters", {}),
        "params": t.get("Parameters", {}), "type": t.get("TableType")}, sort_keys=True))
else:
    parts = []
    for page in g.get_paginator("get_partitions").paginate(DatabaseName="tickit_dev",
                                                           TableName=table):
        parts += [f"{'/'.join(p['Values'])}\t{p['StorageDescriptor']['Location']}"
                  for p in page["Partitions"]]
    print("\n".join(sorted(parts)))
PY
}
field() { jq -c "$2" <<<"$1"; }
# duck_types TABLE_JSON: the Glue columns as a DuckDB columns struct, Athena type → DuckDB
# type by this test's own table.
duck_types() {
  jq -r '[.columns[] | split(" ") | "\u0027\(.[0])\u0027: \u0027" +
    (.[1] | if . == "int" then "INTEGER" elif . == "smallint" then "SMALLINT"
      elif . == "bigint" then "BIGINT" elif . == "double" then "DOUBLE" elif . == "float" then "FLOAT"
      elif . == "boolean" then "BOOLEAN" elif . == "date" then "DATE" elif . == "timestamp" then "TIMESTAMP"
      elif test("^decimal") then ascii_upcase elif . == "string" or test("^(var)?char") then "VARCHAR"
      else error("no DuckDB type for \(.)") end) + "\u0027"] | "{" + join(", ") + "}"' <<<"$1"
}
# compare NAME QUERY DUCKDB_SQL: DuckDB's rows = PostgreSQL's rows of QUERY.
compare() {
  cu_duckdb sql "$3" | sort >"$runs/$1.got" || cu_fail "$1: DuckDB cannot read the files as Glue declares them"
  cu_pg_rows "$2" --sort >"$runs/$1.want"
  [[ -s "$runs/$1.want" ]] || cu_fail "$1: PostgreSQL returned nothing"
  if ! cmp -s "$runs/$1.want" "$runs/$1.got"; then
    diff "$runs/$1.want" "$runs/$1.got" | head -10 >&2 || true
    cu_fail "$1: rows differ ($(wc -l <"$runs/$1.want") wanted, $(wc -l <"$runs/$1.got") read back)"
  fi
}
download() {  # download NAME KEY: the objects under KEY into a folder; prints the files, sorted
  local dl="$CU_STACK_DIR/dl/$1"
  moto_s3 download "$bucket" "$2" "$dl" >/dev/null || cu_fail "$1: cannot download"
  find "$dl" -type f ! -name manifest | sort
}
files_list() { local out="" f; for f in "$@"; do out+="${out:+, }'$f'"; done; echo "[$out]"; }
text_in="org.apache.hadoop.mapred.TextInputFormat"
text_out="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
lazy="org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

# ---- text, plain: DATE (smallint, date, char(n), boolean) ----
run text full --query "select * from date" --to "s3://$bucket/cat/date_text/" \
  --catalog-database tickit_dev --catalog-table date_text
expect_rc text 0
t=$(glue table date_text)
cu_assert_eq "$(field "$t" .columns)" \
  '["dateid smallint","caldate date","day char(3)","week smallint","month char(5)","qtr char(5)","year smallint","holiday string"]' \
  "text: columns"
cu_assert_eq "$(field "$t" '[.location, .serde, .input, .output, .type]')" \
  "[\"s3://$bucket/cat/date_text/\",\"$lazy\",\"$text_in\",\"$text_out\",\"EXTERNAL_TABLE\"]" "text: storage"
cu_assert_eq "$(field "$t" .serde_params)" \
  '{"field.delim":"|","serialization.format":"|","serialization.null.format":""}' "text: SerDe parameters"
cu_assert_eq "$(field "$t" '.params | {classification, compressionType, EXTERNAL}')" \
  '{"classification":"csv","compressionType":"none","EXTERNAL":"TRUE"}' "text: table parameters"
cu_assert_eq "$(field "$t" .keys)" "[]" "text: no partition keys"
cu_assert_eq "$(jq -c '.catalog | [.action, .location, .partitions]' "$runs/text.json")" \
  "[\"created\",\"s3://$bucket/cat/date_text/\",\"none\"]" "text: report"
mapfile -t f < <(download text cat/date_text/)
compare text "select * from date" "select * from read_csv($(files_list "${f[@]}"), delim='|',
  quote='', escape='', header=false, nullstr='', columns=$(duck_types "$t"))"
cu_note "text: the Glue table is as specified; DuckDB reads DATE with its types"

# ---- text, ESCAPE + NULL AS + gzip: VENUE (names hold '|'; venueseats has NULLs) ----
run escape full --query "select * from venue" --to "s3://$bucket/cat/venue_esc/" \
  --escape --null-as '\N' --compression gzip --catalog-database tickit_dev --catalog-table venue_esc
expect_rc escape 0
t=$(glue table venue_esc)
cu_assert_eq "$(field "$t" .columns)" \
  '["venueid smallint","venuename varchar(100)","venuecity varchar(30)","venuestate char(2)","venueseats int"]' \
  "escape: columns"
cu_assert_eq "$(field "$t" .serde_params)" \
  '{"escape.delim":"\\","field.delim":"|","serialization.format":"|","serialization.null.format":"\\N"}' \
  "escape: SerDe parameters"
cu_assert_eq "$(field "$t" '.params.compressionType')" '"gzip"' "escape: compressionType"
mapfile -t f < <(download escape cat/venue_esc/)
[[ ${f[0]} == *.gz ]] || cu_fail "escape: the files do not end in .gz (${f[0]})"
# Hive unescapes first, then compares with the null format; so does this reader.
cu_file_rows --format text --text-escape --nullstr '\N' --sort "${f[@]}" >"$runs/escape.got"
cu_pg_rows "select * from venue" --sort >"$runs/escape.want"
cmp -s "$runs/escape.want" "$runs/escape.got" || cu_fail "escape: rows differ"
cu_note "text ESCAPE + NULL AS + gzip: escape.delim, serialization.null.format, compressionType; rows match"

# ---- CSV with HEADER: EVENT (every column string, OpenCSVSerde) ----
run csv full --query "select * from event" --to "s3://$bucket/cat/event_csv/" --format csv \
  --header --catalog-database tickit_dev --catalog-table event_csv
expect_rc csv 0
t=$(glue table event_csv)
cu_assert_eq "$(field "$t" .columns)" \
  '["eventid string","venueid string","catid string","dateid string","eventname string","starttime string"]' \
  "csv: columns"
cu_assert_eq "$(field "$t" '[.serde, .serde_params]')" \
  '["org.apache.hadoop.hive.serde2.OpenCSVSerde",{"escapeChar":"\u007f","quoteChar":"\"","separatorChar":","}]' \
  "csv: SerDe and parameters"
cu_assert_eq "$(field "$t" '.params["skip.header.line.count"]')" '"1"' "csv: skip.header.line.count"
mapfile -t f < <(download csv cat/event_csv/)
compare csv "select * from event" "select * from read_csv($(files_list "${f[@]}"), delim=',',
  quote='\"', escape='\"', header=true, new_line='\n', columns=$(duck_types "$t"))"
cu_note "csv HEADER: OpenCSVSerde, skip.header.line.count; DuckDB reads EVENT as strings"

# ---- JSON: SALES (int, smallint, decimal(8,2), timestamp) ----
run json full --query "select * from sales" --to "s3://$bucket/cat/sales_json/" --format json \
  --catalog-database tickit_dev --catalog-table sales_json
expect_rc json 0
t=$(glue table sales_json)
cu_assert_eq "$(field "$t" .columns)" \
  '["salesid int","listid int","sellerid int","buyerid int","eventid int","dateid smallint","qtysold smallint","pricepaid decimal(8,2)","commission decimal(8,2)","saletime timestamp"]' \
  "json: columns"
cu_assert_eq "$(field "$t" '[.serde, .serde_params, .params.classification]')" \
  '["org.openx.data.jsonserde.JsonSerDe",{"paths":"salesid,listid,sellerid,buyerid,eventid,dateid,qtysold,pricepaid,commission,saletime"},"json"]' \
  "json: SerDe"
mapfile -t f < <(download json cat/sales_json/)
compare json "select * from sales" "select * from read_json($(files_list "${f[@]}"),
  format='newline_delimited', columns=$(duck_types "$t"))"
cu_note "json: openx JsonSerDe; DuckDB reads SALES with the Glue types"

# ---- Parquet, PARTITION BY catid: EVENT ----
q="select eventid, venueid, dateid, eventname, starttime, catid from event"
run parquet full --query "$q" --to "s3://$bucket/cat/event_pq" --format parquet \
  --partition-by catid --catalog-database tickit_dev --catalog-table event_pq
expect_rc parquet 0
t=$(glue table event_pq)
cu_assert_eq "$(field "$t" .columns)" \
  '["eventid int","venueid smallint","dateid smallint","eventname varchar(200)","starttime timestamp"]' \
  "parquet: columns"
cu_assert_eq "$(field "$t" .keys)" '["catid smallint"]' "parquet: partition keys"
cu_assert_eq "$(field "$t" '[.location, .serde, .input, .params["parquet.compression"]]')" \
  "[\"s3://$bucket/cat/event_pq/\",\"org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe\",\"org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat\",\"SNAPPY\"]" \
  "parquet: storage"
want_parts=$(cu_psql "$CU_PG_DATABASE" -Atc "select distinct catid from event order by 1" |
  while read -r c; do printf '%s\ts3://%s/cat/event_pq/catid=%s/\n' "$c" "$bucket" "$c"; done | sort)
cu_assert_eq "$(glue partitions event_pq)" "$want_parts" "parquet: the partitions = PostgreSQL's distinct catid"
nparts=$(wc -l <<<"$want_parts")
cu_assert_eq "$(jq -c '.catalog | [.action, .partitions, .partitions_created, .partitions_updated]' "$runs/parquet.json")" \
  "[\"created\",\"register\",$nparts,0]" "parquet: report"
mapfile -t f < <(download parquet cat/event_pq/)
compare parquet "$q" "select * from read_parquet($(files_list "${f[@]}"), hive_partitioning=true,
  hive_types={'catid': 'SMALLINT'})"
cu_note "parquet + PARTITION BY: $nparts partitions registered; DuckDB reads the files and keys"

# ---- server mode: the pattern's job through the local Redshift (UNLOAD by the cluster's
# role chain), registered as the job's write identity (the Lambda's role) after verify ----
pattern_start_gateway || cu_fail "cannot start the gateway"
pattern_make_secret || cu_fail "cannot create the PROD secret"
pattern_run_job "$runs/server.json" --query "select * from venue" \
  --to "s3://$bucket/cat/venue_server/" --format parquet \
  --catalog-database tickit_dev --catalog-table venue_server >"$runs/server.out" 2>"$runs/server.err" ||
  cu_fail "server: exit $?: $(cat "$runs/server.err")"
cu_assert_eq "$(jq -c '[.mode, .catalog.action, [.steps[].name]]' "$runs/server.json")" \
  '["server","created",["assume role","read secret","connect","pii check","describe for catalog","check catalog","unload","verify","register catalog"]]' \
  "server: report"
t=$(glue table venue_server)
cu_assert_eq "$(field "$t" '[.columns, .location, .serde]')" \
  "[[\"venueid smallint\",\"venuename varchar(100)\",\"venuecity varchar(30)\",\"venuestate char(2)\",\"venueseats int\"],\"s3://$bucket/cat/venue_server/\",\"org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe\"]" \
  "server: the table"
mapfile -t f < <(download server cat/venue_server/)
compare server "select * from venue" "select * from read_parquet($(files_list "${f[@]}"))"
cu_note "server mode (UNLOAD through the local Redshift): registered after verify; DuckDB reads VENUE"

# ---- re-run: the table is updated, the partitions too, none duplicated ----
run rerun full --query "$q" --to "s3://$bucket/cat/event_pq" --format parquet \
  --partition-by catid --allow-overwrite --catalog-database tickit_dev --catalog-table event_pq
expect_rc rerun 0
cu_assert_eq "$(jq -c '.catalog | [.action, .partitions_created, .partitions_updated]' "$runs/rerun.json")" \
  "[\"updated\",0,$nparts]" "rerun: report"
cu_assert_eq "$(glue partitions event_pq)" "$want_parts" "rerun: the same partitions, once each"
cu_note "re-run: table and $nparts partitions updated, none duplicated"

# ---- partition projection: values kept across runs ----
run proj1 full --query "$q where catid <= 8" --to "s3://$bucket/cat/event_proj" --format parquet \
  --partition-by catid --catalog-database tickit_dev --catalog-table event_proj --catalog-partitions projection
expect_rc proj1 0
run proj2 full --query "$q where catid > 8" --to "s3://$bucket/cat/event_proj" --format parquet \
  --partition-by catid --allow-overwrite --catalog-database tickit_dev --catalog-table event_proj \
  --catalog-partitions projection
expect_rc proj2 0
t=$(glue table event_proj)
want_values=$(cu_psql "$CU_PG_DATABASE" -Atc "select distinct catid from event order by 1")
cu_assert_eq "$(field "$t" '.params["projection.catid.values"]' | jq -r 'split(",") | sort_by(tonumber) | .[]')" \
  "$want_values" "projection: the values of both runs"
cu_assert_eq "$(field "$t" '.params | [.["projection.enabled"], .["projection.catid.type"], .["storage.location.template"]]')" \
  "[\"true\",\"enum\",\"s3://$bucket/cat/event_proj/catid=\${catid}/\"]" "projection: parameters"
cu_assert_eq "$(glue partitions event_proj)" "" "projection: no partition in Glue"
cu_note "projection: enum values of both runs, no partition registered"

# ---- a run failing half-way registers nothing ----
run half full --query "select eventid, 1/(eventid-4000) as x from event" \
  --to "s3://$bucket/cat/half/" --catalog-database tickit_dev --catalog-table half
expect_rc half 4
cu_assert_eq "$(glue exists half)" "no" "half-way: no table"
cu_assert_eq "$(moto_s3 objects "$bucket" cat/half/)" "" "half-way: no object"
cu_note "a run failing half-way: exit 4, no table, no object"

# ---- exit 2, nothing written ----
run nodb full --query "select * from category" --to "s3://$bucket/cat/nodb/" \
  --catalog-database no_such_db --catalog-table category
expect_rc nodb 2
grep -q "no_such_db" "$runs/nodb.err" && grep -q "EntityNotFoundException" "$runs/nodb.err" ||
  cu_fail "nodb: the error does not name the database and Glue's code: $(cat "$runs/nodb.err")"
run badname full --query "select * from category" --to "s3://$bucket/cat/badname/" \
  --catalog-database tickit_dev --catalog-table Category-1
expect_rc badname 2
run notfolder full --query "select * from category" --to "s3://$bucket/cat/category_" \
  --catalog-database tickit_dev --catalog-table category
expect_rc notfolder 2
grep -q "is not a folder" "$runs/notfolder.err" || cu_fail "notfolder: $(cat "$runs/notfolder.err")"
for n in nodb badname notfolder; do
  cu_assert_eq "$(moto_s3 objects "$bucket" "cat/$n")" "" "$n: nothing written"
done
cu_assert_eq "$(moto_s3 objects "$bucket" cat/category_)" "" "notfolder: nothing written"
cu_note "missing database, bad table name, prefix not a folder: exit 2, nothing written"

# ---- --print-ddl ----
run ddl full --query "select * from category" --to "s3://$bucket/cat/ddl/" --format csv \
  --header --catalog-database tickit_dev --catalog-table category --print-ddl
expect_rc ddl 0
head -6 "$runs/ddl.out" >"$runs/ddl.head"
cu_assert_eq "$(cat "$runs/ddl.head")" 'CREATE EXTERNAL TABLE IF NOT EXISTS `tickit_dev`.`category` (
  `catid` string,
  `catgroup` string,
  `catname` string,
  `catdesc` string
)' "print-ddl: the table"
grep -qF "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'" "$runs/ddl.out" &&
  grep -qF "'skip.header.line.count' = '1'" "$runs/ddl.out" &&
  grep -qF "LOCATION 's3://$bucket/cat/ddl/'" "$runs/ddl.out" || cu_fail "print-ddl: $(cat "$runs/ddl.out")"
cu_assert_eq "$(moto_s3 objects "$bucket" cat/ddl/)" "" "print-ddl: nothing written"
cu_assert_eq "$(glue exists category)" "no" "print-ddl: nothing registered"
cu_note "--print-ddl: the DDL on stdout, nothing written or registered"

# ---- refusals under IAM enforcement ----
# ALLOWOVERWRITE: no listing of the prefix (a '/' in a listed prefix trips moto's signing
# check under enforcement, test-stack.md). Partition folders (`catid=7/`) trip it too on
# the upload, so the partitioned run writes its objects to the stack's shared moto (no
# enforcement; a bucket of this test's own) while Glue — the call under test — stays on
# this enforcing server.
python3 - "$shared_moto" "$bucket" <<'PY' || cu_fail "cannot create the bucket on the shared moto"
import sys, os
sys.path.insert(0, os.environ["CU_SOURCE_DIR"] + "/tests/support")
from moto_client import moto_client
moto_client("s3", "111111111111", sys.argv[1]).create_bucket(Bucket=sys.argv[2])
PY
enforce 0
run nocreate nocreate --query "select * from category" --to "s3://$bucket/cat/denied/" \
  --allow-overwrite --catalog-database tickit_dev --catalog-table denied
expect_rc nocreate 3
AWS_ENDPOINT_URL_S3=$shared_moto run nopart nopartition --query "select catid, catname from category" \
  --to "s3://$bucket/cat/deniedp" --partition-by catid --allow-overwrite \
  --catalog-database tickit_dev --catalog-table deniedp
expect_rc nopart 3
enforce inf
grep -qF "glue:CreateTable" "$runs/nocreate.err" && grep -qF "user/nocreate$sfx" "$runs/nocreate.err" ||
  cu_fail "nocreate: the error does not name glue:CreateTable and the identity: $(cat "$runs/nocreate.err")"
grep -qF "glue:BatchCreatePartition" "$runs/nopart.err" ||
  cu_fail "nopart: the error does not name glue:BatchCreatePartition: $(cat "$runs/nopart.err")"
cu_assert_eq "$(glue exists denied)" "no" "nocreate: no table"
[[ -n "$(moto_s3 objects "$bucket" cat/denied/)" ]] || cu_fail "nocreate: the published data is gone"
cu_assert_eq "$(jq -r .status "$runs/nocreate.json")" "failed" "nocreate: report status"
jq -r .left "$runs/nocreate.json" | grep -q "stay published" ||
  cu_fail "nocreate: the report does not say the data stays: $(jq -r .left "$runs/nocreate.json")"
cu_assert_eq "$(glue partitions deniedp)" "" "nopart: no partition"
cu_note "under enforcement: exit 3 naming glue:CreateTable / glue:BatchCreatePartition; data stays published"
