-- A database shaped like Amazon Redshift's TICKIT sample (users, venue, category, date,
-- event, listing, sales), with TICKIT's column names and types, generated inside
-- PostgreSQL.
--
--   psql -f scripts/sql/tickit.sql -c 'select tickit_generate(1)'
--
-- tickit_generate(scale) empties the seven tables and fills them deterministically: every
-- value is a pure function of its row number (tickit_h: a hash of it, no random()),
-- so two generations at the same scale are identical. Scale 1 gives TICKIT's sizes:
-- 49,990 users, 202 venues, 11 categories, 365 dates (2008), 8,798 events, 192,497
-- listings, 172,456 sales. Other scales multiply the fact tables (users, event, listing,
-- sales); venue, category and date keep their size. Sales are ~70 bytes a row as text:
-- scale 90 makes more than 1 GB of sales.
--
-- Foreign keys hold (every sale's listid, sellerid, eventid and dateid exist, and a sale
-- repeats its listing's seller and event), and some values make text formats work hard:
-- apostrophes (O'Brien), double quotes, a pipe, commas and a backslash in venue names,
-- non-ASCII names and cities (Montréal, Cañon City, Björk), NULLs in nullable columns,
-- and a few empty strings next to NULLs in users.city.

drop table if exists users, venue, category, date, event, listing, sales;

create table users (
  userid integer not null,
  username char(8),
  firstname varchar(30),
  lastname varchar(30),
  city varchar(30),
  state char(2),
  email varchar(100),
  phone char(14),
  likesports boolean,
  liketheatre boolean,
  likeconcerts boolean,
  likejazz boolean,
  likeclassical boolean,
  likeopera boolean,
  likerock boolean,
  likevegas boolean,
  likebroadway boolean,
  likemusicals boolean
);

create table venue (
  venueid smallint not null,
  venuename varchar(100),
  venuecity varchar(30),
  venuestate char(2),
  venueseats integer
);

create table category (
  catid smallint not null,
  catgroup varchar(10),
  catname varchar(10),
  catdesc varchar(50)
);

create table date (
  dateid smallint not null,
  caldate date not null,
  day character(3) not null,
  week smallint not null,
  month character(5) not null,
  qtr character(5) not null,
  year smallint not null,
  holiday boolean default false
);

create table event (
  eventid integer not null,
  venueid smallint not null,
  catid smallint not null,
  dateid smallint not null,
  eventname varchar(200),
  starttime timestamp
);

create table listing (
  listid integer not null,
  sellerid integer not null,
  eventid integer not null,
  dateid smallint not null,
  numtickets smallint not null,
  priceperticket decimal(8,2),
  totalprice decimal(8,2),
  listtime timestamp
);

create table sales (
  salesid integer not null,
  listid integer not null,
  sellerid integer not null,
  buyerid integer not null,
  eventid integer not null,
  dateid smallint not null,
  qtysold smallint not null,
  pricepaid decimal(8,2),
  commission decimal(8,2),
  saletime timestamp
);

-- A deterministic hash of (row number, salt) in [0, 2^31): PostgreSQL's own 64-bit integer
-- hash with the salt as its seed (the function hash partitioning relies on, so it is stable
-- across runs and releases). Plain SQL, so the planner inlines it.
create or replace function tickit_h(i bigint, salt integer) returns bigint
language sql immutable parallel safe
as $$ select hashint8extended(i, salt) & 2147483647 $$;

-- 1 + tickit_h(i, salt) mod n: a row number in 1..n.
create or replace function tickit_pick(i bigint, salt integer, n bigint) returns bigint
language sql immutable parallel safe
as $$ select 1 + tickit_h(i, salt) % n $$;

-- An element of a text array, chosen by hash.
create or replace function tickit_choose(a text[], i bigint, salt integer) returns text
language sql immutable parallel safe
as $$ select a[1 + tickit_h(i, salt) % cardinality(a)] $$;

-- NULL, true or false, chosen by hash (TICKIT's like* columns have many NULLs).
create or replace function tickit_like(i bigint, salt integer) returns boolean
language sql immutable parallel safe
as $$ select case tickit_h(i, salt) % 3 when 0 then null when 1 then true else false end $$;

create or replace function tickit_generate(scale numeric) returns text
language plpgsql
as $fn$
declare
  n_users    bigint := greatest(1, round(49990 * scale));
  n_events   bigint := greatest(1, round(8798 * scale));
  n_listings bigint := greatest(1, round(192497 * scale));
  n_sales    bigint := greatest(1, round(172456 * scale));
  n_venues   constant integer := 202;
  first_dateid constant integer := 1827; -- TICKIT's dateid of 2008-01-01
  n_dates    constant integer := 365;
  first_names text[] := array[
    'James','Mary','John','Patricia','Robert','Jennifer','Michael','Linda','William',
    'Elizabeth','David','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah',
    'Charles','Karen','Daniel','Nancy','Matthew','Lisa','Anthony','Betty','Mark','Dorothy',
    'Donald','Sandra','Steven','Ashley','Paul','Kimberly','Andrew','Donna','Joshua','Emily',
    'Kenneth','Michelle','Kevin','Carol','Brian','Amanda','George','Melissa','Edward',
    'Deborah','Ronald','Stephanie','Timothy','Rebecca','Jason','Laura','Jeffrey','Helen',
    'Ryan','Sharon','Jacob','Cynthia','Gary','Kathleen','Nicholas','Amy','Eric','Shirley',
    'Zoë','José','Chloé','André','Renée','Björn','Ana María','Jean-Luc','D''Andre','Noël'];
  last_names text[] := array[
    'Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez',
    'Martinez','Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore',
    'Jackson','Martin','Lee','Perez','Thompson','White','Harris','Sanchez','Clark','Ramirez',
    'Lewis','Robinson','Walker','Young','Allen','King','Wright','Scott','Torres','Nguyen',
    'Hill','Flores','Green','Adams','Nelson','Baker','Hall','Rivera','Campbell','Mitchell',
    'Carter','Roberts','O''Brien','O''Neil','D''Angelo','McDonald','Van der Berg','Núñez',
    'Müller','Zúñiga','Fournier-Côté','Ng'];
  -- "City|ST": users' and venues' cities; a few are non-ASCII (real US/Canadian places).
  places text[] := array[
    'New York|NY','Los Angeles|CA','Chicago|IL','Houston|TX','Phoenix|AZ','Philadelphia|PA',
    'San Antonio|TX','San Diego|CA','Dallas|TX','San Jose|CA','Austin|TX','Jacksonville|FL',
    'San Francisco|CA','Columbus|OH','Fort Worth|TX','Indianapolis|IN','Charlotte|NC',
    'Seattle|WA','Denver|CO','Washington|DC','Boston|MA','El Paso|TX','Nashville|TN',
    'Detroit|MI','Oklahoma City|OK','Portland|OR','Las Vegas|NV','Memphis|TN',
    'Louisville|KY','Baltimore|MD','Milwaukee|WI','Albuquerque|NM','Tucson|AZ','Fresno|CA',
    'Sacramento|CA','Kansas City|MO','Atlanta|GA','Miami|FL','Omaha|NE','Raleigh|NC',
    'Cleveland|OH','Minneapolis|MN','Tampa|FL','New Orleans|LA','Pittsburgh|PA',
    'Cincinnati|OH','St. Louis|MO','Salt Lake City|UT','Orlando|FL','Buffalo|NY',
    'Toronto|ON','Vancouver|BC','Calgary|AB','Ottawa|ON','Montréal|QC','Québec|QC',
    'Cañon City|CO','Española|NM','Coeur d''Alene|ID','Saint-Jérôme|QC'];
  venue_words text[] := array[
    'Liberty','Riverside','Lakeside','Summit','Harbor','Pioneer','Eagle','Granite','Crystal',
    'Union','Heritage','Golden Gate','Sunset','Meadowlands','Bayfront','Canyon','Maple Leaf',
    'Evergreen','Capitol','Northern Lights','Red Rock','Silver Lake','Oak Hill','Ironworks'];
  venue_kinds text[] := array[
    'Stadium','Arena','Theatre','Center','Park','Field','Amphitheatre','Hall','Coliseum',
    'Pavilion','Opera House','Playhouse','Ballpark','Concert Hall','Music Hall','Garden'];
  -- Event names per category (catid 1..11), as TICKIT's: teams, shows and performers.
  sports text[] := array[
    'Red Sox','Yankees','Cubs','Dodgers','Mariners','Rangers','Bruins','Canadiens','Flyers',
    'Patriots','Packers','Steelers','Lakers','Celtics','Knicks','Galaxy','Fire','Crew',
    'Sounders','Whitecaps'];
  musicals text[] := array[
    'Mamma Mia!','Wicked','The Phantom of the Opera','Jersey Boys','Chicago','Hairspray',
    'Rent','Les Misérables','Cats','A Chorus Line','Spring Awakening','Grease',
    'Guys and Dolls','The Lion King','Legally Blonde','Young Frankenstein','Mary Poppins'];
  plays text[] := array[
    'Hamlet','Macbeth','King Lear','Othello','Death of a Salesman','Equus','Doubt',
    'Our Town','The Seagull','A Doll''s House','Waiting for Godot','Cyrano de Bergerac',
    'August: Osage County','The 39 Steps','Boeing-Boeing','Rock ''n'' Roll','Pygmalion'];
  operas text[] := array[
    'La Bohème','Carmen','Tosca','Aida','Rigoletto','Don Giovanni','The Magic Flute',
    'Götterdämmerung','Die Walküre','Madama Butterfly','La Traviata','Otello','Fidelio',
    'Salome','Il Trovatore','Der Rosenkavalier','Turandot'];
  pop text[] := array[
    'Beck','Björk','Beyoncé','Mötley Crüe','The Who','Linda Ronstadt','Bon Jovi','Coldplay',
    'Radiohead','R.E.M.','Shakira','Sigur Rós','Guns N'' Roses','Counting Crows',
    'The Killers','Kings of Leon','Keane','Jack Johnson','Nickelback','The Fray'];
  jazz text[] := array[
    'Diana Krall','Wynton Marsalis','Herbie Hancock','Pat Metheny','Chick Corea',
    'Cassandra Wilson','Dave Brubeck','Sonny Rollins','Esperanza Spalding','Chris Botti',
    'Harry Connick, Jr.','Norah Jones'];
  classical text[] := array[
    'Beethoven: Symphony No. 9','Mahler: Symphony No. 2','Bach: Mass in B minor',
    'Dvořák: New World Symphony','Mozart: Requiem','Brahms: A German Requiem',
    'Tchaikovsky: Violin Concerto','Handel: Messiah','Verdi: Requiem',
    'Rachmaninoff: Piano Concerto No. 3','Saint-Saëns: Organ Symphony'];
  domains text[] := array['example.com','example.org','example.net','mail.example',
    'tickit.example'];
  month_names text[] := array['JAN','FEB','MAR','APR','MAY','JUN','JUL','AUG','SEP','OCT',
    'NOV','DEC'];
  day_names text[] := array['SU','MO','TU','WE','TH','FR','SA'];
begin
  truncate users, venue, category, date, event, listing, sales;

  -- category: TICKIT's own eleven rows.
  insert into category values
    (1, 'Sports', 'MLB', 'Major League Baseball'),
    (2, 'Sports', 'NHL', 'National Hockey League'),
    (3, 'Sports', 'NFL', 'National Football League'),
    (4, 'Sports', 'NBA', 'National Basketball Association'),
    (5, 'Sports', 'MLS', 'Major League Soccer'),
    (6, 'Shows', 'Musicals', 'Musical theatre'),
    (7, 'Shows', 'Plays', 'All non-musical theatre'),
    (8, 'Shows', 'Opera', 'All opera and light opera'),
    (9, 'Concerts', 'Pop', 'All rock and pop music concerts'),
    (10, 'Concerts', 'Jazz', 'All jazz singers and bands'),
    (11, 'Concerts', 'Classical', 'All symphony, concerto, and choir concerts');

  -- date: 365 days from 2008-01-01, as TICKIT's (dateid 1827..2191).
  insert into date
  select first_dateid + d,
         c,
         day_names[extract(dow from c)::int + 1],
         extract(week from c)::smallint,
         month_names[extract(month from c)::int],
         extract(quarter from c)::text,
         2008,
         c in (date '2008-01-01', date '2008-01-21', date '2008-02-18', date '2008-05-26',
               date '2008-07-04', date '2008-09-01', date '2008-10-13', date '2008-11-11',
               date '2008-11-27', date '2008-12-25')
  from generate_series(0, n_dates - 1) d, lateral (select date '2008-01-01' + d as c) x;

  -- venue: 202 places; a few names carry the characters delimited formats must escape.
  insert into venue
  select v,
         case v
           when 7 then 'Pinewood Race|track'
           when 13 then 'Community, Ballpark, Arena'
           when 21 then 'Columbus "Crew" Stadium'
           when 34 then 'St. Mary''s Concert Hall'
           when 55 then 'The Back\Slash Club'
           when 89 then 'Théâtre Saint-Denis'
           else tickit_choose(venue_words, v, 1) || ' ' || tickit_choose(venue_kinds, v, 2)
                || case when v > 48 then ' ' || v else '' end
         end,
         split_part(p, '|', 1),
         split_part(p, '|', 2),
         case when v % 17 = 0 then null
              when v % 11 = 0 then 0
              else (5000 + tickit_h(v, 3) % 75000)::integer end
  from generate_series(1, n_venues) v,
       lateral (select tickit_choose(places, v, 4) as p) x;

  -- users: names, places and likes by hash; NULLs in likes, some e-mails and cities, and a
  -- few empty-string cities (indistinguishable from NULL in Redshift's default text).
  insert into users
  select u,
         upper(substr(md5('user' || u), 1, 8)),
         fn,
         case when u % 1499 = 0 then null else ln end,
         case when u % 1009 = 0 then '' when u % 1013 = 0 then null
              else split_part(p, '|', 1) end,
         split_part(p, '|', 2),
         case when u % 97 = 0 then null
              else lower(replace(replace(fn, ' ', ''), '''', '')) || '.'
                   || lower(replace(replace(coalesce(ln, 'x'), ' ', ''), '''', '')) || u || '@'
                   || tickit_choose(domains, u, 13) end,
         format('(%s) %s-%s', 200 + tickit_h(u, 14) % 800, lpad((tickit_h(u, 15) % 1000)::text, 3, '0'),
                lpad((tickit_h(u, 16) % 10000)::text, 4, '0')),
         tickit_like(u, 21), tickit_like(u, 22), tickit_like(u, 23), tickit_like(u, 24),
         tickit_like(u, 25), tickit_like(u, 26), tickit_like(u, 27), tickit_like(u, 28),
         tickit_like(u, 29), tickit_like(u, 30)
  from generate_series(1, n_users) u,
       lateral (select tickit_choose(first_names, u, 10) as fn,
                       tickit_choose(last_names, u, 11) as ln,
                       tickit_choose(places, u, 12) as p) x;

  -- event: category weighted towards shows and concerts, as in TICKIT.
  insert into event
  select e,
         tickit_pick(e, 41, n_venues),
         cat,
         first_dateid + d,
         case cat
           when 1 then tickit_choose(sports, e, 43) || ' vs. ' || tickit_choose(sports, e, 44)
           when 2 then tickit_choose(sports, e, 43) || ' vs. ' || tickit_choose(sports, e, 44)
           when 3 then tickit_choose(sports, e, 43) || ' vs. ' || tickit_choose(sports, e, 44)
           when 4 then tickit_choose(sports, e, 43) || ' vs. ' || tickit_choose(sports, e, 44)
           when 5 then tickit_choose(sports, e, 43) || ' vs. ' || tickit_choose(sports, e, 44)
           when 6 then tickit_choose(musicals, e, 45)
           when 7 then tickit_choose(plays, e, 45)
           when 8 then tickit_choose(operas, e, 45)
           when 9 then tickit_choose(pop, e, 45)
           when 10 then tickit_choose(jazz, e, 45)
           else tickit_choose(classical, e, 45)
         end,
         timestamp '2008-01-01' + make_interval(days => d::int, hours => 14 + (tickit_h(e, 46) % 7)::int,
                                                mins => 30 * (tickit_h(e, 47) % 2)::int)
  from generate_series(1, n_events) e,
       lateral (select (array[1,2,3,4,5,6,6,6,7,7,7,8,9,9,9,9,10,11])[1 + tickit_h(e, 42) % 18]::smallint
                       as cat,
                       tickit_h(e, 48) % n_dates as d) x;

  -- listing: every column a function of listid, so that sales can repeat them.
  insert into listing
  select l,
         tickit_pick(l, 51, n_users),
         tickit_pick(l, 52, n_events),
         first_dateid + ld,
         nt,
         ppt,
         nt * ppt,
         timestamp '2008-01-01' + make_interval(days => ld::int, secs => (tickit_h(l, 55) % 86400)::int)
  from generate_series(1, n_listings) l,
       lateral (select tickit_h(l, 53) % n_dates as ld,
                       (1 + tickit_h(l, 54) % 30)::smallint as nt,
                       (20 + tickit_h(l, 56) % 1480 + (tickit_h(l, 57) % 100) / 100.0)::decimal(8,2)
                         as ppt) x;

  -- sales: a sale of part of a listing, on the listing's day or up to 30 days later.
  insert into sales
  select s,
         l,
         tickit_pick(l, 51, n_users),
         tickit_pick(s, 61, n_users),
         tickit_pick(l, 52, n_events),
         first_dateid + sd,
         q,
         q * ppt,
         round(q * ppt * 0.15, 2),
         timestamp '2008-01-01' + make_interval(days => sd::int, secs => (tickit_h(s, 63) % 86400)::int)
  from generate_series(1, n_sales) s,
       lateral (select tickit_pick(s, 60, n_listings) as l) a,
       lateral (select (20 + tickit_h(l, 56) % 1480 + (tickit_h(l, 57) % 100) / 100.0)::decimal(8,2)
                         as ppt,
                       (1 + tickit_h(s, 62) % least(8, 1 + tickit_h(l, 54) % 30))::smallint as q,
                       least(n_dates - 1, tickit_h(l, 53) % n_dates + tickit_h(s, 64) % 31) as sd) b;

  return format('TICKIT scale %s: %s users, %s venues, 11 categories, %s dates, %s events, '
                '%s listings, %s sales', scale, n_users, n_venues, n_dates, n_events,
                n_listings, n_sales);
end
$fn$;
