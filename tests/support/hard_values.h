#pragma once
// The table of hard values that issue #5's tests read back through every format: NULL in
// every column, empty strings, quotes, delimiters, CR/LF/TAB, backslashes, multi-byte UTF-8,
// numeric(38,10) extremes, ±Infinity and NaN, dates before 1970 and after 2038 (and BC),
// timestamptz from several zones, nested JSON, uuid and bytea. Seven rows, `id` 1..7 unique
// and never NULL, so readers can match rows by id.
//
//   pg.exec(cu::test::hard_values_sql());                       // temp table "hard"
//   pg.exec(cu::test::hard_values_sql("hard_1234", false));     // a table other sessions see
//
// A temporary table is only visible to the session that made it; the engine opens its own
// (read-only) session, so tests of engine::run_unload make a real table and drop it.

#include <string>

namespace cu::test {

inline std::string hard_values_sql(const std::string& table = "hard", bool temporary = true) {
  const std::string t = table;
  return std::string("create ") + (temporary ? "temp " : "") + "table " + t + R"sql( (
  id int, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  n38 numeric(38,10), n5 numeric(5,2), n18 numeric(18,4), nu numeric, b boolean,
  t text, vc varchar(40), c char(5), d date, ts timestamp, tstz timestamptz,
  j json, jb jsonb, u uuid, by bytea);
insert into )sql" +
         t + R"sql( (id) values (1);
insert into )sql" +
         t + R"sql( values (2, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, '', '', '', '1970-01-01',
  '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '""', '""',
  '00000000-0000-0000-0000-000000000000', '');
insert into )sql" +
         t + R"sql( values (3, 32767, 2147483647, 9223372036854775807, 'Infinity', 'Infinity',
  9999999999999999999999999999.9999999999, 999.99, 99999999999999.9999, 'NaN', true,
  E'quote " apostrophe '' backslash \\ pipe | comma , tab \t cr \r lf \n end',
  'Zürich 東京 🎉 ñ', 'ab|c', '1900-01-01', '1901-12-13 20:45:52.123456',
  '2026-03-29 01:30:00+02', '{"a": [1, 2.5, "x\"y"], "b": null}',
  '{"a": [1, 2.5, "x\"y"], "b": null, "ü": "\u00e9"}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00ff5c0a0d22');
insert into )sql" +
         t + R"sql( values (4, -32768, -2147483648, -9223372036854775808, '-Infinity',
  '-Infinity', -9999999999999999999999999999.9999999999, -999.99, -99999999999999.9999,
  'Infinity', false, 'NULL', '\N', ' x ', '1969-12-31', '1950-06-15 01:02:03.5',
  '1969-12-31 23:59:59.999999-08', '[]', '[]', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '\xffffffff');
insert into )sql" +
         t + R"sql( values (5, 1, 1, 1, 'NaN', 'NaN', 0.0000000001, 0.01, 0.0001,
  -123456789012345678901234567890.123456789, null, '  ', E'\\N', null, '2039-01-19',
  '2262-04-11 23:47:16.854775', '2038-01-19 03:14:08+00', '1e400', '{"n": 1e-7}', null,
  null);
insert into )sql" +
         t + R"sql( values (6, null, null, null, 3.4028235e38, 1.7976931348623157e308,
  -0.0000000001, -0.01, -0.0001, '-Infinity', null, repeat('long ', 2000), null, null,
  '0044-03-15 BC', '1677-09-22 00:12:44', '1900-01-01 12:00:00+05:30', 'null',
  '"string"', null, null);
insert into )sql" +
         t + R"sql( values (7, null, null, null, 1.17549435e-38, 5e-324, 1.5, 1.5, 1.5, 1.5,
  true, 'x', 'y', 'z', '9999-12-31', '2000-01-01 00:00:00', '2000-01-01 00:00:00+00', '1',
  '2', null, null);
)sql";
}

}  // namespace cu::test
