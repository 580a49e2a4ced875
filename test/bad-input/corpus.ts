// The bad-input corpus: hostile and broken files, generated here (no committed binaries), each with
// what must happen to it. bad-input-corpus.test.ts runs every case through the real transform, load
// and aggregate handlers on the local cloud. A case's file is put in a run beside a good file, so the
// test can also show that the rest of the run is unaffected.
import { Readable } from 'node:stream';
import { deflateRawSync, gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import type { PipelineInput } from '../../shared/pipeline-definition';

type RuleInput = PipelineInput['imports'][number];

export type CorpusExpectation =
  // Can never load: a permanent error naming the file (and the row when there is one), the file
  // quarantined by that stage with that reason on the run record.
  | { outcome: 'quarantined'; stage: 'transform' | 'load'; reason: RegExp; row?: number }
  // Actually fine: exactly these rows (every value read back as text, in file order) and columns.
  | { outcome: 'loaded'; columns?: string[]; rows: Array<Record<string, string | null>> }
  // An archive (told by its bytes, whatever its name): expanded into raw objects of its members, each
  // transformed by its own name; the case's table then holds exactly these rows, and these members
  // (base names) are quarantined.
  | { outcome: 'expanded'; rows: Array<Record<string, string | null>>; quarantinedMembers?: string[] }
  // Cloud Storage itself refuses the object name (answers 400): such a file cannot reach raw/.
  | { outcome: 'refused-name' };

export interface CorpusCase {
  // Short and unique: names the run, the rule and the table of the case.
  id: string;
  what: string;
  // Source-relative path of the file in its run (it may be hostile itself).
  path: string;
  body: Buffer | { stream: () => Readable; bytes: number };
  // Overrides of the case's own import rule (which matches base names starting with `Case-<id>`).
  rule?: Partial<RuleInput>;
  // A file loaded by the same rule in an earlier run, before the case's file.
  before?: Buffer;
  // Rules besides the case's own (for "a file matching two rules").
  extraRules?: RuleInput[];
  expect: CorpusExpectation;
  // Set while a fix on another branch is pending: the test expects this case to fail (it.fails).
  knownFailure?: string;
}

// One GiB unless told otherwise (SLUICE_CORPUS_HUGE_LINE_BYTES), so a quick local iteration can use less.
export const HUGE_LINE_BYTES = Number(process.env.SLUICE_CORPUS_HUGE_LINE_BYTES ?? 1024 ** 3);
export const MAX_RECORD_CHARS = 16 * 1024 * 1024; // parse-csv-stream.ts's default cap

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const lines = (...rows: string[]) => utf8(rows.map((r) => `${r}\n`).join(''));
const name = (id: string, ext = 'csv') => `20260301/Case-${id}.${ext}`;
const byId = (rows: string[][], header: string[]) => rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? null])));

// A minimal zip archive with one stored entry (what an XLSX workbook starts with): local file header,
// data, central directory, end record. Enough for anything that sniffs signatures, as a reader would.
function zipOf(entryName: string, content: Buffer): Buffer {
  const nameBytes = utf8(entryName);
  const data = deflateRawSync(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + nameBytes.length, 12);
  end.writeUInt32LE(30 + nameBytes.length + data.length, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

// `id,blob\n1,` and then `bytes` of 'x' with no line break: generated piece by piece, never held whole.
function hugeLine(bytes: number): { stream: () => Readable; bytes: number } {
  const head = utf8('id,blob\n1,');
  const piece = Buffer.alloc(1024 * 1024, 'x');
  return {
    bytes: head.length + bytes,
    stream: () => Readable.from((function* () {
      yield head;
      let left = bytes;
      while (left > 0) {
        const n = Math.min(left, piece.length);
        yield n === piece.length ? piece : piece.subarray(0, n);
        left -= n;
      }
    })()),
  };
}

const long70 = 'a'.repeat(70);
const colliding63 = 'customer_lifetime_value_in_euros_including_vat_and_discounts_for';

export function buildCorpus(): CorpusCase[] {
  const wide2000 = Array.from({ length: 2000 }, (_, i) => `c${i + 1}`);
  const wide1000 = Array.from({ length: 1000 }, (_, i) => `w${i + 1}`);
  const wide700 = Array.from({ length: 700 }, (_, i) => `v${i + 1}`);
  return [
    // ── truncated and corrupt ───────────────────────────────────────────────────────────────────────
    { id: 'cut-quoted', what: 'cut in the middle of a quoted field', path: name('cut-quoted'), body: utf8('id,note\n1,"fine"\n2,"this note is cut off in the mid'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /quoted field is never closed \(row 2\)/, row: 2 } },
    { id: 'cut-multibyte', what: 'cut in the middle of a multi-byte character', path: name('cut-multibyte'), body: Buffer.concat([utf8('id,name\n1,Zoë\n2,Caf'), Buffer.from([0xc3])]),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 2, column "name": bytes that are not valid utf-8/, row: 2 } },
    { id: 'gzip', what: 'gzip data under a .csv name (its member keeps the name)', path: name('gzip'), body: gzipSync(lines('id,qty', '1,2')),
      expect: { outcome: 'expanded', rows: [{ id: '1', qty: '2' }] } },
    { id: 'zip', what: 'a zip archive under a .csv name, its one member matching no rule', path: name('zip'), body: zipOf('export.csv', lines('id,qty', '1,2')),
      expect: { outcome: 'expanded', rows: [], quarantinedMembers: ['export.csv'] } },
    { id: 'xlsx', what: 'an XLSX workbook under a .csv name', path: name('xlsx'), body: zipOf('[Content_Types].xml', utf8('<?xml version="1.0"?><Types/>')),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /\.xlsx workbook: it has no workbook part/ } },
    { id: 'pdf', what: 'a PDF under a .csv name', path: name('pdf'), body: utf8('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<<>>\nendobj\n'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /PDF/ } },
    { id: 'utf16-nobom', what: 'UTF-16LE without a byte-order mark, declared UTF-8 (NUL bytes everywhere)', path: name('utf16-nobom'), body: iconv.encode('id,name\n1,Zoë\n', 'utf-16le'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /NUL bytes.*UTF-16/ } },
    { id: 'latin1-in-utf8', what: 'Latin-1 bytes in a file declared UTF-8, on row 3', path: name('latin1-in-utf8'), body: Buffer.concat([utf8('id,city\n1,Paris\n2,Lyon\n3,'), Buffer.from('Besançon\n', 'latin1')]),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 3, column "city": bytes that are not valid utf-8/, row: 3 } },
    { id: 'bad-header-bytes', what: 'invalid UTF-8 in the header row', path: name('bad-header-bytes'), body: Buffer.concat([utf8('id,'), Buffer.from([0xff, 0xfe, 0x41]), utf8('\n1,2\n')]),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /header row has bytes that are not valid utf-8/ } },
    { id: 'shift-jis-bad', what: 'a byte sequence Shift_JIS does not define, declared Shift_JIS', path: name('shift-jis-bad'), rule: { csv: { encoding: 'shift_jis' } },
      body: Buffer.concat([iconv.encode('id,品名\n1,寿司\n2,', 'shift_jis'), Buffer.from([0x85, 0x40]), utf8('\n')]),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 2, column "品名": bytes that are not valid shift_jis/, row: 2 } },
    { id: 'unknown-encoding', what: 'an encoding nobody knows', path: name('unknown-encoding'), rule: { csv: { encoding: 'utf-9' } }, body: lines('id', '1'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /unknown encoding "utf-9"/ } },
    { id: 'huge-line', what: `a ${HUGE_LINE_BYTES}-byte single line (streamed, never held whole)`, path: name('huge-line'), body: hugeLine(HUGE_LINE_BYTES),
      expect: { outcome: 'quarantined', stage: 'transform', reason: new RegExp(`record runs past ${MAX_RECORD_CHARS} characters \\(unclosed quote\\?\\) \\(row 1\\)`), row: 1 } },
    { id: 'ragged', what: 'a row with more fields than the header', path: name('ragged'), body: lines('id,qty', '1,2', '2,3', '3,4,5'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 3 has 3 fields, the header has 2/, row: 3 } },
    { id: 'text-after-quote', what: 'text after a closing quote', path: name('text-after-quote'), body: lines('id,note', '1,"ok"', '2,"bad"tail'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /text after its closing quote/ } },
    { id: 'nul-in-cell', what: 'a NUL character in a cell (PostgreSQL text cannot hold one)', path: name('nul-in-cell'), body: lines('id,note', '1,ok', '2,a\u0000b'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 2, column "note": a NUL character/, row: 2 } },
    { id: 'empty', what: 'an empty file (0 bytes)', path: name('empty'), body: Buffer.alloc(0),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /the file is empty: no header row/ } },
    { id: 'blank-lines', what: 'only blank lines', path: name('blank-lines'), body: utf8('\n\r\n\n'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /the file is empty: no header row/ } },
    { id: 'bom-mid', what: 'a BOM in the middle: two exports joined into one file', path: name('bom-mid'), body: utf8('\uFEFFid,qty\n1,2\n\uFEFFid,qty\n2,3\n'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 2 starts with a byte-order mark/, row: 2 } },

    // ── shape and headers ───────────────────────────────────────────────────────────────────────────
    { id: 'cols-2000', what: '2,000 columns (PostgreSQL tables hold at most 1,600)', path: name('cols-2000'), body: lines(wide2000.join(','), wide2000.map((_, i) => String(i)).join(',')),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /2000 columns.*at most 1600/ } },
    { id: 'cols-evolve-past-1600', what: 'new columns that take an existing table past 1,600 (SQLSTATE 54011 at load)', path: name('cols-evolve-past-1600'), rule: { table: 'wide_evolving' },
      before: lines(wide1000.join(','), wide1000.map(() => '1').join(',')),
      body: lines([...wide1000.slice(0, 100), ...wide700].join(','), [...wide1000.slice(0, 100), ...wide700].map(() => '1').join(',')),
      expect: { outcome: 'quarantined', stage: 'load', reason: /1600 columns|54011/ } },
    { id: 'dup-headers', what: 'duplicate headers (after normalizing)', path: name('dup-headers'), body: lines('id,Name,name,NAME ', '1,a,b,c'),
      expect: { outcome: 'loaded', columns: ['id', 'name', 'name_2', 'name_3'], rows: byId([['1', 'a', 'b', 'c']], ['id', 'name', 'name_2', 'name_3']) } },
    { id: 'empty-headers', what: 'empty headers', path: name('empty-headers'), body: lines('id,,', '1,x,'),
      expect: { outcome: 'loaded', columns: ['id', 'column_2', 'column_3'], rows: [{ id: '1', column_2: 'x', column_3: null }] } },
    { id: 'keyword-headers', what: 'headers that are SQL keywords', path: name('keyword-headers'), body: lines('select,from,where,order,user,table,null', '1,2,3,4,5,6,7'),
      expect: { outcome: 'loaded', columns: ['select', 'from', 'where', 'order', 'user', 'table', 'null'], rows: [{ select: '1', from: '2', where: '3', order: '4', user: '5', table: '6', null: '7' }] } },
    { id: 'keyword-table', what: 'a table named by an SQL keyword', path: name('keyword-table'), rule: { table: 'order' }, body: lines('id,qty', '1,2'),
      expect: { outcome: 'loaded', rows: [{ id: '1', qty: '2' }] } },
    { id: 'quote-headers', what: 'headers holding quotes', path: name('quote-headers'), body: lines('"say ""hi""",it\'s,"a""b"', '1,2,3'),
      expect: { outcome: 'loaded', columns: ['say_hi', 'it_s', 'a_b'], rows: [{ say_hi: '1', it_s: '2', a_b: '3' }] } },
    { id: 'semicolon-headers', what: 'headers holding semicolons (comma declared)', path: name('semicolon-headers'), rule: { csv: { delimiter: ',' } }, body: lines('a;b,c;d', '1,2'),
      expect: { outcome: 'loaded', columns: ['a_b', 'c_d'], rows: [{ a_b: '1', c_d: '2' }] } },
    { id: 'newline-header', what: 'a header holding a newline', path: name('newline-header'), body: lines('"first\nname",age', 'Ada,36'),
      expect: { outcome: 'loaded', columns: ['first_name', 'age'], rows: [{ first_name: 'Ada', age: '36' }] } },
    { id: 'comment-headers', what: 'headers that are SQL comments: --, /* */', path: name('comment-headers'), body: lines('id,--,/* */,"*/ x /*"', '1,2,3,4'),
      expect: { outcome: 'loaded', columns: ['id', 'column_2', 'column_3', 'x'], rows: [{ id: '1', column_2: '2', column_3: '3', x: '4' }] } },
    { id: 'injection-header', what: "a header '; drop table x; --", path: name('injection-header'), body: lines("id,'; drop table x; --,\"\"\"); drop table sentinel; --\"", '1,2,3'),
      expect: { outcome: 'loaded', columns: ['id', 'drop_table_x', 'drop_table_sentinel'], rows: [{ id: '1', drop_table_x: '2', drop_table_sentinel: '3' }] } },
    { id: 'long-header', what: 'a 70-byte header (PostgreSQL keeps 63)', path: name('long-header'), body: lines(`id,${long70}`, '1,2'),
      expect: { outcome: 'loaded', columns: ['id', 'a'.repeat(63)], rows: [{ id: '1', ['a'.repeat(63)]: '2' }] } },
    { id: 'long-header-collision', what: 'two headers that differ only after byte 63', path: name('long-header-collision'), body: lines(`id,${colliding63}_net,${colliding63}_gross`, '1,2,3'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /headers .*_net.* and .*_gross.* are the same in their first 63 bytes/ } },
    { id: 'unicode-headers', what: 'headers with no ASCII letters at all', path: name('unicode-headers'), body: lines('id,品名,Ünïcödé', '1,寿司,x'),
      expect: { outcome: 'loaded', columns: ['id', 'column_2', 'unicode'], rows: [{ id: '1', column_2: '寿司', unicode: 'x' }] } },
    { id: 'header-only', what: 'a header and no rows', path: name('header-only'), body: lines('id,qty'),
      expect: { outcome: 'loaded', rows: [] } },
    { id: 'trailing-delimiter', what: 'every line ends with a delimiter', path: name('trailing-delimiter'), body: lines('id,qty,', '1,2,', '2,3,'),
      expect: { outcome: 'loaded', columns: ['id', 'qty', 'column_3'], rows: [{ id: '1', qty: '2', column_3: null }, { id: '2', qty: '3', column_3: null }] } },

    // ── values ──────────────────────────────────────────────────────────────────────────────────────
    { id: 'sql-cells', what: 'cells holding SQL', path: name('sql-cells'), body: lines('id,note', "1,'); drop table sentinel; --", '2,"1; delete from x; select pg_sleep(10)"', '3,$$ || (select 1) || $$'),
      expect: { outcome: 'loaded', rows: byId([['1', "'); drop table sentinel; --"], ['2', '1; delete from x; select pg_sleep(10)'], ['3', '$$ || (select 1) || $$']], ['id', 'note']) } },
    { id: 'copy-markers', what: 'cells that are COPY control text: \\., \\N, a backslash', path: name('copy-markers'), body: lines('id,note', '1,\\.', '2,\\N', '3,a\\b'),
      expect: { outcome: 'loaded', rows: byId([['1', '\\.'], ['2', '\\N'], ['3', 'a\\b']], ['id', 'note']) } },
    { id: 'formula-cells', what: 'spreadsheet formulas in cells', path: name('formula-cells'), body: lines('id,note', '1,"=HYPERLINK(""http://x"",""y"")"', '2,+1+1', '3,@SUM(A1)'),
      expect: { outcome: 'loaded', rows: byId([['1', '=HYPERLINK("http://x","y")'], ['2', '+1+1'], ['3', '@SUM(A1)']], ['id', 'note']) } },
    { id: 'huge-numbers', what: 'enormous numbers: 1e400, 400 digits, past bigint', path: name('huge-numbers'), body: lines('id,a,b,c', `1,1e400,${'9'.repeat(400)},9223372036854775808`, '2,-1E-300,1,-9223372036854775809'),
      expect: { outcome: 'loaded', rows: byId([['1', '1' + '0'.repeat(400), '9'.repeat(400), '9223372036854775808'], ['2', '-0.' + '0'.repeat(299) + '1', '1', '-9223372036854775809']], ['id', 'a', 'b', 'c']) } },
    { id: 'numbers-past-numeric', what: 'exponents numeric cannot hold (1e1000, 1e-400): text', path: name('numbers-past-numeric'), body: lines('id,a,b', '1,1e1000,1e-400', '2,NaN,Infinity'),
      expect: { outcome: 'loaded', rows: byId([['1', '1e1000', '1e-400'], ['2', 'NaN', 'Infinity']], ['id', 'a', 'b']) } },
    { id: 'bad-dates', what: 'dates out of range: 0000-00-00, 10000-01-01, 2026-02-30 (stay text)', path: name('bad-dates'), body: lines('id,a,b,c', '1,0000-00-00,10000-01-01,2026-02-30', '2,2026-01-01,2026-01-01,2026-01-01'),
      expect: { outcome: 'loaded', rows: byId([['1', '0000-00-00', '10000-01-01', '2026-02-30'], ['2', '2026-01-01', '2026-01-01', '2026-01-01']], ['id', 'a', 'b', 'c']) } },
    { id: 'year-zero', what: 'year 0000 with a valid month and day (PostgreSQL has no year 0)', path: name('year-zero'), body: lines('id,day,at', '1,0000-01-01,0000-06-01 10:00:00', '2,2026-01-01,2026-01-01 10:00:00'),
      expect: { outcome: 'loaded', rows: byId([['1', '0000-01-01', '0000-06-01 10:00:00'], ['2', '2026-01-01', '2026-01-01 10:00:00']], ['id', 'day', 'at']) } },
    { id: 'zone-out-of-range', what: 'a time zone offset PostgreSQL refuses (+99:00)', path: name('zone-out-of-range'), body: lines('id,at', '1,2026-01-01T10:00:00+99:00', '2,2026-01-01T10:00:00+01:00'),
      expect: { outcome: 'loaded', rows: byId([['1', '2026-01-01T10:00:00+99:00'], ['2', '2026-01-01T10:00:00+01:00']], ['id', 'at']) } },
    { id: 'declared-type-mismatch', what: 'a value that does not fit the declared type, on row 2', path: name('declared-type-mismatch'), rule: { types: { qty: 'integer' } }, body: lines('id,qty', '1,2', '2,lots'),
      expect: { outcome: 'quarantined', stage: 'load', reason: /row 2, column qty.*integer.*lots/, row: 2 } },
    { id: 'merge-null-key', what: 'an empty merge key on row 2', path: name('merge-null-key'), rule: { mode: 'merge', key: ['id'] }, body: lines('id,qty', '1,2', ',3'),
      expect: { outcome: 'quarantined', stage: 'load', reason: /row 2: merge key \(id\) is empty/, row: 2 } },

    // ── line endings ────────────────────────────────────────────────────────────────────────────────
    { id: 'mixed-eol', what: 'mixed line endings (CRLF, then LF)', path: name('mixed-eol'), body: utf8('id,note\r\n1,a\r\n2,b\n3,c\r\n'),
      expect: { outcome: 'loaded', rows: byId([['1', 'a'], ['2', 'b'], ['3', 'c']], ['id', 'note']) } },
    { id: 'lone-cr', what: 'old Mac line endings: a lone CR', path: name('lone-cr'), body: utf8('id,note\r1,a\r2,b\r'),
      expect: { outcome: 'loaded', rows: byId([['1', 'a'], ['2', 'b']], ['id', 'note']) } },
    { id: 'cr-in-cell', what: 'a lone CR inside an unquoted cell of an LF file', path: name('cr-in-cell'), body: utf8('id,note\n1,a\rb\n2,c\n'),
      expect: { outcome: 'loaded', rows: byId([['1', 'a\rb'], ['2', 'c']], ['id', 'note']) } },
    { id: 'utf16-bom', what: 'UTF-16BE with a BOM, declared UTF-8 (the BOM wins)', path: name('utf16-bom'), body: iconv.encode('\uFEFFid,name\n1,Zoë\n', 'utf-16be'),
      expect: { outcome: 'loaded', rows: [{ id: '1', name: 'Zoë' }] } },

    // ── names and rules ─────────────────────────────────────────────────────────────────────────────
    { id: 'two-rules', what: 'a file matching two rules', path: name('two-rules'), extraRules: [{ name: 'also-two-rules', match: '^Case-two-rules', table: 'also_two_rules' }], body: lines('id', '1'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /matches more than one import rule \(c-two-rules, also-two-rules\)/ } },
    { id: 'no-rule', what: 'a file no rule matches', path: '20260301/Unclaimed-no-rule.csv', body: lines('id', '1'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /no import rule matches "Unclaimed-no-rule.csv"/ } },
    { id: 'dotdot', what: 'a name with ../ (never resolved as a path)', path: `20260301/../../${name('dotdot').split('/')[1]}`, body: lines('id', '1'),
      expect: { outcome: 'loaded', rows: [{ id: '1' }] } },
    { id: 'absolute', what: 'an absolute path', path: `/etc/${name('absolute').split('/')[1]}`, body: lines('id', '1'),
      expect: { outcome: 'loaded', rows: [{ id: '1' }] } },
    { id: 'name-nul', what: 'a NUL in the file name', path: '20260301/Case-name-nul\u0000.csv', body: lines('id', '1'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /control or line-separator character/ } },
    { id: 'name-u2028', what: 'a U+2028 LINE SEPARATOR in the file name', path: '20260301/Case-name-u2028\u2028x.csv', body: lines('id', '1'),
      expect: { outcome: 'quarantined', stage: 'transform', reason: /control or line-separator character/ } },
    { id: 'name-crlf', what: 'CR/LF in the file name', path: '20260301/Case-name-crlf\r\nx.csv', body: lines('id', '1'),
      expect: { outcome: 'refused-name' } },
    { id: 'name-1025', what: 'an object name over 1,024 bytes', path: `20260301/Case-name-1025.${'é'.repeat(520)}.csv`, body: lines('id', '1'),
      expect: { outcome: 'refused-name' } },
  ];
}

// Every case gets a rule of its own (matching `Case-<id>`), writing to a table of its own.
export function ruleOf(c: CorpusCase): RuleInput {
  return { name: `c-${c.id}`, match: `^Case-${c.id.replace(/[^a-z0-9-]/g, '')}(?![a-z0-9-])`, table: `c_${c.id.replace(/-/g, '_')}`, ...c.rule };
}
