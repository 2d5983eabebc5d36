// DuckDB as the independent reader of the Parquet and JSON files our writers produce, for
// tests/integration/parquet_*_test.cpp. Prints one line per row, values separated by tabs,
// NULL as \N, and backslash, tab, LF and CR in values escaped as \\ \t \n \r. Every value
// is in a canonical text form that the tests can also ask PostgreSQL for:
//   boolean → "true"/"false", date → days since 1970-01-01, timestamp(tz) → microseconds
//   since 1970-01-01 UTC, blob → lowercase hex, everything else → CAST(x AS VARCHAR).
//
//   node parquet_duckdb.mjs rows FILE.parquet
//   node parquet_duckdb.mjs rows FILE.json '{"a":"BIGINT","b":"VARCHAR"}'   (column types)
//   node parquet_duckdb.mjs metadata FILE.parquet     (parquet_metadata(), one object a line)
//   node parquet_duckdb.mjs schema FILE.parquet       (parquet_schema(), one object a line)
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, file, columnsJson] = process.argv.slice(2);
if (!mode || !file) {
  console.error('usage: parquet_duckdb.mjs rows|metadata|schema FILE [COLUMNS_JSON]');
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const ident = (s) => `"${s.replaceAll('"', '""')}"`;

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run("SET TimeZone = 'UTC'");

const escapes = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escape = (v) => (v === null ? '\\N' : String(v).replace(/[\\\t\n\r]/g, (c) => escapes[c]));

function printRows(reader) {
  const rows = reader.getRowsJson();
  const names = reader.columnNames();
  const out = [];
  for (const row of rows) {
    if (mode === 'rows') {
      out.push(row.map(escape).join('\t'));
    } else {
      const o = {};
      names.forEach((n, i) => (o[n] = row[i]));
      out.push(JSON.stringify(o));
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}

if (mode === 'metadata' || mode === 'schema') {
  const fn = mode === 'metadata' ? 'parquet_metadata' : 'parquet_schema';
  printRows(await con.runAndReadAll(`SELECT * FROM ${fn}(${quote(file)})`));
} else {
  await printCanonicalRows();
}

async function printCanonicalRows() {
  let source;
  if (file.endsWith('.parquet')) {
    source = `read_parquet(${quote(file)})`;
  } else {
    const cols = JSON.parse(columnsJson);
    const spec = Object.entries(cols)
      .map(([k, v]) => `${quote(k)}: ${quote(v)}`)
      .join(', ');
    source = `read_json(${quote(file)}, format='newline_delimited', columns={${spec}})`;
  }
  const described = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const exprs = described.getRowsJson().map(([name, type]) => {
    const c = ident(name);
    if (type === 'BOOLEAN') return `CASE WHEN ${c} THEN 'true' ELSE 'false' END`;
    if (type === 'DATE') return `CAST(date_diff('day', DATE '1970-01-01', ${c}) AS VARCHAR)`;
    if (type.startsWith('TIMESTAMP')) return `CAST(epoch_us(${c}) AS VARCHAR)`;
    if (type === 'BLOB') return `lower(hex(${c}))`;
    return `CAST(${c} AS VARCHAR)`;
  });
  printRows(await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM ${source}`));
}
