#!/usr/bin/env bash
# The TICKIT sample (scripts/sql/tickit.sql) that every integration test reads: scale 1 has
# TICKIT's published row counts, and generating it twice gives identical tables (md5 of an
# ordered dump of each table), so tests and benchmarks can rely on fixed data.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack

db=${CU_PG_DATABASE:-tickit}
# Published sizes of Redshift's TICKIT sample (AWS "Sample database" documentation).
want="category 11
date 365
event 8798
listing 192497
sales 172456
users 49990
venue 202"
got=$(cu_psql "$db" -At -F ' ' -c "
  select 'category', count(*) from category union all select 'date', count(*) from date
  union all select 'event', count(*) from event union all select 'listing', count(*) from listing
  union all select 'sales', count(*) from sales union all select 'users', count(*) from users
  union all select 'venue', count(*) from venue order by 1")
cu_assert_eq "$got" "$want" "row counts of TICKIT scale 1 in database $db"

# TICKIT's eleven real categories.
got=$(cu_psql "$db" -At -c "select catid, catgroup, catname, catdesc from category order by catid")
want="1|Sports|MLB|Major League Baseball
2|Sports|NHL|National Hockey League
3|Sports|NFL|National Football League
4|Sports|NBA|National Basketball Association
5|Sports|MLS|Major League Soccer
6|Shows|Musicals|Musical theatre
7|Shows|Plays|All non-musical theatre
8|Shows|Opera|All opera and light opera
9|Concerts|Pop|All rock and pop music concerts
10|Concerts|Jazz|All jazz singers and bands
11|Concerts|Classical|All symphony, concerto, and choir concerts"
cu_assert_eq "$got" "$want" "category rows"

# Column names and types as in TICKIT's DDL.
got=$(cu_psql "$db" -At -c "
  select table_name || '.' || column_name || ' ' || data_type
         || coalesce('(' || character_maximum_length || ')', '')
         || coalesce('(' || numeric_precision || ',' || numeric_scale || ')',
                     '')
  from information_schema.columns where table_schema = 'public' and table_name = 'sales'
  order by ordinal_position" | sed 's/ integer(32,0)/ integer/; s/ smallint(16,0)/ smallint/')
want="sales.salesid integer
sales.listid integer
sales.sellerid integer
sales.buyerid integer
sales.eventid integer
sales.dateid smallint
sales.qtysold smallint
sales.pricepaid numeric(8,2)
sales.commission numeric(8,2)
sales.saletime timestamp without time zone"
cu_assert_eq "$got" "$want" "sales columns"

# Referential shape: every sale points at an existing listing, repeats its seller and event,
# and sells no more tickets than were listed; every date id is in 2008's table.
got=$(cu_psql "$db" -At -c "
  select count(*) from sales s left join listing l using (listid)
  where l.listid is null or s.sellerid <> l.sellerid or s.eventid <> l.eventid
     or s.qtysold > l.numtickets or s.dateid not between 1827 and 2191")
cu_assert_eq "$got" "0" "sales rows inconsistent with their listing"

# The hard values the text formats must survive are there.
got=$(cu_psql "$db" -At -c "
  select (select count(*) from venue where venuename like '%|%') > 0,
         (select count(*) from venue where venuename like '%,%') > 0,
         (select count(*) from venue where venuename like '%\"%') > 0,
         (select count(*) from users where lastname like '%''%') > 0,
         (select count(*) from users where city is null) > 0,
         (select count(*) from users where city = '') > 0,
         (select count(*) from users where city ~ '[^[:ascii:]]') > 0")
cu_assert_eq "$got" "t|t|t|t|t|t|t" "hard values present (pipe, comma, quote, apostrophe, NULL, '', non-ASCII)"

# Determinism: a second generation in a fresh database is identical, table by table.
copy="tickit_regen_$$"
cu_psql postgres -c "create database $copy"
trap 'cu_psql postgres -c "drop database if exists $copy" >/dev/null 2>&1 || true; rm -rf "$CU_TMP"' EXIT
cu_psql "$copy" -c "set client_min_messages = warning" -f "$CU_SOURCE_DIR/scripts/sql/tickit.sql" \
  -c "select tickit_generate(1)" >/dev/null
digest() { # DATABASE TABLE KEY
  cu_psql "$1" -c "copy (select * from $2 order by $3) to stdout" | md5sum | cut -d' ' -f1
}
for t in users:userid venue:venueid category:catid date:dateid event:eventid listing:listid \
  sales:salesid; do
  a=$(digest "$db" "${t%%:*}" "${t#*:}")
  b=$(digest "$copy" "${t%%:*}" "${t#*:}")
  cu_assert_eq "$b" "$a" "md5 of ordered ${t%%:*} after a second generation"
done
cu_note "TICKIT scale 1: counts, categories, columns, consistency and determinism OK"
