#!/usr/bin/env node
// Reads the files crossunload writes with an independent reader (DuckDB, from npm) and
// prints their rows in one canonical, comparable form, so integration tests can diff them
// against PostgreSQL's own answer. Test-only; never shipped.
//
// Canonical rows: one JSON array per row, one line each; every value a string or null.
// Typed values (Parquet, `sql`) are rendered as PostgreSQL's text output renders them
// (booleans t/f, DECIMAL with its scale, TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]'), so
// `COPY (query) TO STDOUT (FORMAT csv)` read back with `rows --format csv` is the expected
// answer for any format. $CU_DUCKDB is `node <repo>/tests/support/duckdb.mjs`.
//
// Usage:
//   duckdb.mjs rows [options] FILE... ('-' = stdin)     rows of all files, in order
//     --format csv|text|json|parquet   default csv
//     --delimiter C     csv: default ','; text: default '|'
//     --header          the first line of each file is a header (not a row)
//     --print-header    print the header (csv/text header, JSON keys, Parquet columns)
//                       as the first line, in the same JSON-array form
//     --quote C --escape C    csv only (default '"' and '"', as Redshift and PostgreSQL)
//     --nullstr S       csv: an UNQUOTED field equal to S is NULL (default: empty field);
//                       text: a field whose raw bytes equal S is NULL (default '')
//     --text-escape     text: backslash escapes the next byte (Redshift's ESCAPE option)
//     --addquotes       text: every field is wrapped in "" (Redshift's ADDQUOTES)
//     --empty-as-null   map '' to null after reading (Redshift's default text cannot tell
//                       them apart; apply the same option to both sides of a comparison)
//     --sort            sort the rows (for unordered or parallel output)
//     --compression auto|none|gzip|bzip2|zstd   default auto (by magic bytes)
//   duckdb.mjs sql [--print-header] QUERY            rows of any DuckDB query
//   duckdb.mjs exec SQL                              run statements, print nothing (e.g.
//                       COPY ... TO 'x.parquet' to make a fixture)
//   duckdb.mjs parquet-meta FILE                     JSON: parquet_file_metadata,
//                       parquet_schema and parquet_metadata (row groups, column chunks,
//                       statistics, encodings, compression), bigints as strings
//
// Exit codes: 0 ok, 1 the file cannot be read as asked (message on stderr), 2 bad usage.
//
// The text format is parsed by the small parser below, written from the Redshift UNLOAD
// spec (docs/redshift-unload.md#s5.1): DuckDB's CSV reader cannot read
// backslash-escaped delimiters outside quotes. JSON lines are parsed here too, to keep
// number text exactly as written (DuckDB re-renders 1.50 as 1.5).
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

class UsageError extends Error {}
class ReadError extends Error {}

function parseArgs(argv) {
  const opts = {
    format: 'csv', delimiter: null, header: false, printHeader: false, quote: '"',
    escape: '"', nullstr: null, textEscape: false, addquotes: false, emptyAsNull: false,
    sort: false, compression: 'auto', files: [],
  };
  const takes = {
    '--format': 'format', '--delimiter': 'delimiter', '--quote': 'quote',
    '--escape': 'escape', '--nullstr': 'nullstr', '--compression': 'compression',
  };
  const flags = {
    '--header': 'header', '--print-header': 'printHeader', '--text-escape': 'textEscape',
    '--addquotes': 'addquotes', '--empty-as-null': 'emptyAsNull', '--sort': 'sort',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in takes) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      opts[takes[a]] = argv[++i];
    } else if (a in flags) {
      opts[flags[a]] = true;
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      opts.files.push(a);
    }
  }
  if (!['csv', 'text', 'json', 'parquet'].includes(opts.format))
    throw new UsageError(`unknown --format ${opts.format}`);
  if (!['auto', 'none', 'gzip', 'bzip2', 'zstd'].includes(opts.compression))
    throw new UsageError(`unknown --compression ${opts.compression}`);
  if (opts.delimiter === null) opts.delimiter = opts.format === 'text' ? '|' : ',';
  if (opts.delimiter.length !== 1) throw new UsageError('--delimiter must be one character');
  return opts;
}

// ---- files ---------------------------------------------------------------------------

let tmpDir = null;
function tempPath(name) {
  if (!tmpDir) tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cu-duckdb-'));
  return path.join(tmpDir, name);
}
process.on('exit', () => { if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true }); });

function detectCompression(buf) {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
  if (buf.length >= 3 && buf.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

// The file's uncompressed bytes.
function readBytes(file, compression) {
  let buf;
  try {
    buf = file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
  } catch (e) {
    throw new ReadError(`cannot read ${file}: ${e.message}`);
  }
  const kind = compression === 'auto' ? detectCompression(buf) : compression;
  try {
    if (kind === 'gzip') return zlib.gunzipSync(buf);
    if (kind === 'bzip2') return execFileSync('bzip2', ['-dc'], { input: buf, maxBuffer: 2 ** 32 });
    if (kind === 'zstd') return execFileSync('zstd', ['-dcq'], { input: buf, maxBuffer: 2 ** 32 });
  } catch (e) {
    throw new ReadError(`cannot decompress ${file} as ${kind}: ${e.message}`);
  }
  return buf;
}

// A plain file DuckDB can open: the original when it is a file and not compressed.
let tmpCount = 0;
function plainFile(file, compression) {
  if (file !== '-' && compression === 'none') return file;
  if (file !== '-' && compression === 'auto') {
    const head = Buffer.alloc(4);
    let n;
    try {
      const fd = fs.openSync(file, 'r');
      n = fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
    } catch (e) {
      throw new ReadError(`cannot read ${file}: ${e.message}`);
    }
    if (detectCompression(head.subarray(0, n)) === 'none') return file;
  }
  const out = tempPath(`in${tmpCount++}`);
  fs.writeFileSync(out, readBytes(file, compression));
  return out;
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

// ---- readers: each returns { header: [names] | null, rows: [[string|null]] } ----------

async function readCsv(conn, file, o) {
  const f = plainFile(file, o.compression);
  if (fs.statSync(f).size === 0) return { header: null, rows: [] };
  const args = [
    `delim=${sqlString(o.delimiter)}`, `quote=${sqlString(o.quote)}`,
    `escape=${sqlString(o.escape)}`, `header=${o.header}`, 'all_varchar=true',
    'allow_quoted_nulls=false', 'strict_mode=true', 'null_padding=false',
    'max_line_size=200000000', 'compression=\'none\'', 'comment=\'\'',
  ];
  if (o.nullstr !== null) args.push(`nullstr=${sqlString(o.nullstr)}`);
  let r;
  try {
    r = await conn.runAndReadAll(`select * from read_csv(${sqlString(f)}, ${args.join(', ')})`);
  } catch (e) {
    throw new ReadError(`DuckDB cannot read ${file} as CSV: ${e.message}`);
  }
  return { header: o.header ? r.columnNames() : null, rows: r.getRowsJS() };
}

// Redshift's text format (docs/redshift-unload.md#s5.1): records end at an unescaped LF; fields are split at
// the unescaped delimiter; with --text-escape a backslash takes the next byte literally;
// with --addquotes each field is "..." (embedded quotes are not doubled).
function readText(file, o) {
  const text = readBytes(file, o.compression).toString('utf8');
  const records = [];
  let fields = [];
  let raw = ''; // the field's bytes as written (for NULL detection)
  let val = ''; // its value after unescaping and unquoting
  let inQuotes = false;
  let atFieldStart = true;
  const d = o.delimiter;
  const nul = o.nullstr ?? '';
  const endField = () => {
    if (raw === nul) {
      fields.push(null);
    } else if (o.addquotes) {
      if (raw.length < 2 || raw[0] !== '"' || raw[raw.length - 1] !== '"')
        throw new ReadError(`${file}: record ${records.length + 1}: field not in quotes: ${JSON.stringify(raw)}`);
      fields.push(val.slice(1, -1));
    } else {
      fields.push(val);
    }
    raw = '';
    val = '';
    inQuotes = false;
    atFieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (o.textEscape && c === '\\') {
      if (i + 1 >= text.length) throw new ReadError(`${file}: file ends inside an escape`);
      raw += c + text[i + 1];
      val += text[i + 1];
      i++;
      atFieldStart = false;
      continue;
    }
    if (o.addquotes && c === '"') {
      if (atFieldStart) inQuotes = true;
      else if (inQuotes && (i + 1 === text.length || text[i + 1] === d || text[i + 1] === '\n'))
        inQuotes = false;
    }
    atFieldStart = false;
    if (!inQuotes && c === d) {
      endField();
    } else if (!inQuotes && c === '\n') {
      endField();
      records.push(fields);
      fields = [];
    } else {
      raw += c;
      val += c;
    }
  }
  if (raw !== '' || fields.length) throw new ReadError(`${file}: last record does not end with LF`);
  let header = null;
  if (o.header && records.length) header = records.shift().map((v) => v ?? '');
  const width = header ? header.length : records.length ? records[0].length : 0;
  records.forEach((r, i) => {
    if (r.length !== width)
      throw new ReadError(`${file}: record ${i + 1} has ${r.length} fields, expected ${width}` +
        ' (an unescaped delimiter or line break in the data?)');
  });
  return { header, rows: records };
}

// JSON lines, one object per line. Number tokens keep their text exactly as written.
function readJson(file, o) {
  const text = readBytes(file, o.compression).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let header = null;
  const rows = [];
  lines.forEach((line, n) => {
    const where = `${file}: line ${n + 1}`;
    try {
      JSON.parse(line);
    } catch (e) {
      throw new ReadError(`${where}: not JSON: ${e.message}`);
    }
    const obj = parseJsonObject(line, where);
    const keys = obj.map(([k]) => k);
    if (header === null) header = keys;
    else if (JSON.stringify(keys) !== JSON.stringify(header))
      throw new ReadError(`${where}: keys ${JSON.stringify(keys)} differ from ${JSON.stringify(header)}`);
    rows.push(obj.map(([, v]) => v));
  });
  return { header, rows };
}

// [[key, canonical value]] of a JSON object text: strings decoded, null as null, numbers,
// true/false and nested values as their JSON text.
function parseJsonObject(s, where) {
  let i = 0;
  const ws = () => { while (i < s.length && ' \t\r\n'.includes(s[i])) i++; };
  const fail = (m) => { throw new ReadError(`${where}: ${m} at offset ${i}`); };
  const str = () => {
    const start = i++;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    if (i >= s.length) fail('unterminated string');
    i++;
    return JSON.parse(s.slice(start, i));
  };
  const skipValue = () => { // returns the raw text of one value
    ws();
    const start = i;
    if (s[i] === '"') { str(); return s.slice(start, i); }
    if (s[i] === '{' || s[i] === '[') {
      let depth = 0;
      do {
        if (s[i] === '"') { str(); continue; }
        if (s[i] === '{' || s[i] === '[') depth++;
        if (s[i] === '}' || s[i] === ']') depth--;
        i++;
      } while (depth > 0 && i < s.length);
      return s.slice(start, i);
    }
    while (i < s.length && !',}] \t\r\n'.includes(s[i])) i++;
    return s.slice(start, i);
  };
  ws();
  if (s[i] !== '{') fail('expected an object');
  i++;
  const out = [];
  ws();
  if (s[i] === '}') return out;
  for (;;) {
    ws();
    if (s[i] !== '"') fail('expected a key');
    const key = str();
    ws();
    if (s[i] !== ':') fail('expected :');
    i++;
    const rawv = skipValue();
    out.push([key, rawv === 'null' ? null : rawv[0] === '"' ? JSON.parse(rawv) : rawv]);
    ws();
    if (s[i] === ',') { i++; continue; }
    if (s[i] === '}') return out;
    fail('expected , or }');
  }
}

// Every column rendered as PostgreSQL's text output would render it.
async function canonicalSelect(conn, from) {
  const cols = (await conn.runAndReadAll(`describe select * from ${from}`)).getRowObjectsJS();
  const q = (n) => `"${n.replaceAll('"', '""')}"`;
  const exprs = cols.map(({ column_name: n, column_type: t }) => {
    if (t === 'BOOLEAN') return `case when ${q(n)} then 't' when not ${q(n)} then 'f' end`;
    if (t === 'DOUBLE' || t === 'FLOAT')
      return `case when isnan(${q(n)}) then 'NaN' when ${q(n)} = 'inf'::double then 'Infinity' ` +
        `when ${q(n)} = '-inf'::double then '-Infinity' else ${q(n)}::varchar end`;
    return `${q(n)}::varchar`;
  });
  const r = await conn.runAndReadAll(`select ${exprs.join(', ') || '*'} from ${from}`);
  return { header: cols.map((c) => c.column_name), rows: r.getRowsJS() };
}

async function readParquet(conn, file, o) {
  const f = plainFile(file, 'none');
  try {
    return await canonicalSelect(conn, `read_parquet(${sqlString(f)})`);
  } catch (e) {
    throw new ReadError(`DuckDB cannot read ${file} as Parquet: ${e.message}`);
  }
}

// ---- commands ------------------------------------------------------------------------

function printRows(result, o) {
  let rows = result.rows;
  if (o.emptyAsNull) rows = rows.map((r) => r.map((v) => (v === '' ? null : v)));
  let lines = rows.map((r) => JSON.stringify(r));
  if (o.sort) lines.sort();
  const out = [];
  if (o.printHeader) out.push(JSON.stringify(result.header ?? []));
  for (const l of lines) out.push(l); // not push(...lines): 192k arguments overflow the stack
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}

async function cmdRows(conn, argv) {
  const o = parseArgs(argv);
  if (!o.files.length) throw new UsageError('rows: no FILE');
  let header = null;
  const rows = [];
  for (const f of o.files) {
    let r;
    if (o.format === 'csv') r = await readCsv(conn, f, o);
    else if (o.format === 'text') r = readText(f, o);
    else if (o.format === 'json') r = readJson(f, o);
    else r = await readParquet(conn, f, o);
    if (r.header) {
      if (header && JSON.stringify(header) !== JSON.stringify(r.header))
        throw new ReadError(`${f}: header ${JSON.stringify(r.header)} differs from ${JSON.stringify(header)}`);
      header = r.header;
    }
    for (const row of r.rows) rows.push(row);
  }
  printRows({ header, rows }, o);
}

async function cmdSql(conn, argv) {
  const printHeader = argv[0] === '--print-header';
  const query = printHeader ? argv[1] : argv[0];
  if (!query) throw new UsageError('sql: no QUERY');
  let r;
  try {
    r = await canonicalSelect(conn, `(${query})`);
  } catch (e) {
    throw new ReadError(`DuckDB: ${e.message}`);
  }
  printRows(r, { printHeader });
}

async function cmdExec(conn, argv) {
  if (argv.length !== 1) throw new UsageError('exec: one SQL argument');
  try {
    await conn.run(argv[0]);
  } catch (e) {
    throw new ReadError(`DuckDB: ${e.message}`);
  }
}

async function cmdParquetMeta(conn, argv) {
  if (argv.length !== 1) throw new UsageError('parquet-meta: one FILE');
  const f = sqlString(argv[0]);
  const out = {};
  try {
    for (const [k, fn] of [['file', 'parquet_file_metadata'], ['schema', 'parquet_schema'],
      ['metadata', 'parquet_metadata']]) {
      out[k] = (await conn.runAndReadAll(`select * from ${fn}(${f})`)).getRowObjectsJson();
    }
  } catch (e) {
    throw new ReadError(`DuckDB cannot read ${argv[0]} as Parquet: ${e.message}`);
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const commands = { rows: cmdRows, sql: cmdSql, exec: cmdExec, 'parquet-meta': cmdParquetMeta };
  if (!(cmd in commands))
    throw new UsageError(`unknown command ${cmd ?? '(none)'}; use rows, sql, exec or parquet-meta`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await commands[cmd](conn, rest);
  } finally {
    conn.closeSync();
  }
}

main().then(
  // Exit only once stdout has drained: a pipe takes 64 KiB at a time and exit() drops the rest.
  () => process.stdout.write('', () => process.exit(0)),
  (e) => {
    if (e instanceof UsageError) {
      console.error(`duckdb.mjs: ${e.message}\nsee the usage at the top of tests/support/duckdb.mjs`);
      process.exit(2);
    }
    console.error(`duckdb.mjs: ${e instanceof ReadError ? e.message : e.stack}`);
    process.exit(1);
  },
);
