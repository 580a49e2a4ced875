// The format corpus: files shaped like real exports (each encoding and delimiter, title blocks and
// totals rows, workbooks of every format with formulas, dates in both systems, booleans, merged and
// error cells, archives, widening columns, every write mode), generated here (no committed binaries),
// each with exactly what PostgreSQL must hold afterwards: the table's column types and every row, as
// text. format-corpus.test.ts runs each case through the real transform, load and aggregate handlers
// on the local cloud. Expectations follow README's "Import rules" section, not what the code did.
import { gzipSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type { PipelineInput } from '../../shared/pipeline-definition';
import { writeZip } from '../support/zip-writer';
import { htmlTable, kitchenSinkXlsx, sheetjsBytes, stockCountWorkbook } from '../transform/corpus/workbooks';

type RuleInput = PipelineInput['imports'][number];
export type Row = Record<string, string | null>;

// A table as PostgreSQL holds it: information_schema data_type per column (in column order) and the
// rows (values as PostgreSQL's text form, timestamptz in UTC), in `orderBy` order (default: as written).
export interface TableExpectation {
  types: Record<string, string>;
  rows: Row[];
  orderBy?: string;
}

export type FormatExpectation =
  | {
    outcome: 'loaded';
    table: TableExpectation;
    // What the run record says about how the file was read (details.parse of the transform stage).
    parse?: Record<string, unknown>;
    // Rows set aside in <table>__rejects, by data row.
    rejects?: Array<{ row_number: string; column_name: string; sql_state: string; raw_row: Record<string, string | null> }>;
    // Rows of sluice_schema_history for the case's table.
    schemaHistory?: Array<{ column_name: string; from_type: string | null; to_type: string }>;
  }
  // A permanent error naming the file (and the row where there is one), quarantined by that stage;
  // the table then holds exactly `table` (what an earlier file left), else nothing.
  | { outcome: 'quarantined'; stage: 'transform' | 'load'; reason: RegExp; row?: number; table?: TableExpectation }
  // Older than what the table already holds from a newer file: recorded, not applied.
  | { outcome: 'superseded'; table: TableExpectation }
  // An archive expanded into its members, each loaded by its own rule into these tables.
  | { outcome: 'expanded'; tables: Record<string, TableExpectation> };

export interface CorpusFile {
  // Base name; the file sits at `20260301/<name>` in its run.
  name: string;
  body: () => Buffer | Promise<Buffer>;
  // The source file's modification time (orders replace and merge files); default 2026-03-01T06:00Z.
  sourceTime?: string;
}

export interface FormatCase {
  // Short and unique: names the run, the rule (`f-<id>`, matching `Fmt-<id>`) and the table (`f_<id>`).
  id: string;
  what: string;
  file: CorpusFile;
  // Overrides of the case's own import rule.
  rule?: Partial<RuleInput>;
  // Rules besides the case's own (the members of a multi-member zip).
  extraRules?: RuleInput[];
  // A file loaded by the same rule in an earlier run, before the case's file.
  before?: CorpusFile;
  expect: FormatExpectation;
  // A runtime bug this case shows and that is not fixed yet: the test expects it to fail (it.fails).
  knownBug?: string;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const csv = (...lines: string[]) => lines.map((l) => `${l}\n`).join('');
const rowsOf = (header: string[], rows: Array<Array<string | null>>): Row[] => rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? null])));

// One small table in many encodings and delimiters: non-ASCII text, a comma inside a quoted cell.
const PEOPLE_HEADER = ['id', 'name', 'qty'];
const PEOPLE_TYPES = { id: 'integer', name: 'text', qty: 'integer' };
const PEOPLE = (d: string) => csv(`id${d}name${d}qty`, `1${d}Zoë${d}3`, `2${d}"Søren, Jr."${d}4`, `3${d}Ærø${d}`);
const PEOPLE_ROWS = rowsOf(PEOPLE_HEADER, [['1', 'Zoë', '3'], ['2', 'Søren, Jr.', '4'], ['3', 'Ærø', null]]);
const people = { types: PEOPLE_TYPES, rows: PEOPLE_ROWS };

// Dates and date-times in a sheet: wall-clock values (exceljs turns a Date into a serial from its UTC
// fields), in the 1900 or the 1904 date system; read in Europe/Paris across its DST change.
async function shiftsXlsx(date1904: boolean): Promise<Buffer> {
  const at = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => new Date(Date.UTC(y, m - 1, d, h, min, s));
  const workbook = new ExcelJS.Workbook();
  if (date1904) workbook.properties.date1904 = true;
  const sheet = workbook.addWorksheet('Shifts');
  sheet.addRow(['day', 'starts_at', 'hours']);
  const rows: Array<[Date, Date, number]> = [
    [at(2026, 3, 28), at(2026, 3, 28, 23, 30), 7.5],
    [at(2026, 3, 29), at(2026, 3, 29, 3, 30), 8],
    [at(2026, 3, 29), at(2026, 3, 29, 2, 30), 2], // never happens in Paris (clocks skip 02:00-03:00)
    [at(2026, 10, 25), at(2026, 10, 25, 2, 30), 3], // happens twice (clocks go back at 03:00)
    [at(1999, 12, 31), at(1999, 12, 31, 23, 59, 59), 0.25],
    [at(1904, 1, 2), at(1904, 1, 2, 12), 1],
  ];
  for (const values of rows) {
    const row = sheet.addRow(values);
    row.getCell(1).numFmt = 'yyyy-mm-dd';
    row.getCell(2).numFmt = 'yyyy-mm-dd hh:mm:ss';
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
const SHIFTS = {
  types: { day: 'date', starts_at: 'timestamp with time zone', hours: 'numeric' },
  rows: rowsOf(['day', 'starts_at', 'hours'], [
    ['2026-03-28', '2026-03-28 22:30:00+00', '7.5'], // CET, +01:00
    ['2026-03-29', '2026-03-29 01:30:00+00', '8'], // CEST from 02:00 that night, +02:00
    ['2026-03-29', '2026-03-29 01:30:00+00', '2'], // the offset before the change, +01:00: = 03:30 CEST
    ['2026-10-25', '2026-10-25 00:30:00+00', '3'], // the first, earlier one, +02:00
    ['1999-12-31', '1999-12-31 22:59:59+00', '0.25'],
    ['1904-01-02', '1904-01-02 11:50:39+00', '1'], // Paris kept its local mean time (+00:09:21) until 1911
  ]),
};

// Serial day numbers around 1900's nonexistent 29 February (serial 60, which Excel shows as
// 1900-02-29 after Lotus 1-2-3): NULL; the days on either side exact.
async function leapBugXlsx(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Days');
  sheet.addRow(['n', 'day']);
  [1, 59, 60, 61, 45_351].forEach((serial, i) => {
    const row = sheet.addRow([i + 1, serial]);
    row.getCell(2).numFmt = 'yyyy-mm-dd';
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

// The kitchen sink's sheet "Prices" below its title block, the totals row dropped, read in New York.
const PRICES = {
  types: { item: 'text', price: 'numeric', in_stock: 'boolean', delivered_at: 'timestamp with time zone', note: 'text', check: 'text' },
  rows: rowsOf(['item', 'price', 'in_stock', 'delivered_at', 'note', 'check'], [
    ['Fries', '5.5', 'true', '2026-03-07 14:00:00+00', 'Hot sauce', '11'], // rich text; formula B4*2
    ['Lemonade', '0.3', 'false', '2026-03-09 13:07:00+00', 'Crème brûlée €', 'ab'], // a hidden row is data
    ['Ribeye', '12345678901234600', 'true', '2026-03-10 03:59:59+00', null, null], // #N/A → NULL
    ['Espresso', '-0.000001', null, null, null, '09:07:00'], // #DIV/0! → NULL; 09:06:59.9999 → 09:07:00
  ]),
};
const PRICES_RULE: Partial<RuleInput> = { rows: { header: { minCells: 6 }, skipFooter: 1 }, timeZone: 'America/New_York' };
const PRICES_PARSE = { format: 'xlsx', sheet: 'Prices', headerRow: 3, footerRows: 1, hiddenSheets: ['Lookup'], hiddenRows: 1, mergedRanges: 1, errorCells: 2 };

// stockCountWorkbook (a merged title row, the header on row 2, a hidden sheet before it), read in New York.
const COUNT = {
  types: { sku: 'text', item: 'text', qty: 'numeric', counted_on: 'date', counted_at: 'timestamp with time zone', ok: 'boolean', ratio: 'numeric' },
  rows: rowsOf(['sku', 'item', 'qty', 'counted_on', 'counted_at', 'ok', 'ratio'], [
    ['S-1', 'Flour 25kg', '4', '2026-03-07', '2026-03-08 03:15:00+00', 'true', '0.3'],
    ['S-2', 'Olive oil 5l', '2.5', '2026-03-09', '2026-03-09 13:07:00+00', 'false', null],
  ]),
};
const COUNT_RULE: Partial<RuleInput> = { rows: { header: { minCells: 3 } }, timeZone: 'America/New_York' };

// Columns whose values widen as the file goes on (the wider values only after row 1,200): the widest
// type wins, every value intact.
const WIDE_ROWS = 2500;
const widening = (i: number) => ({
  id: String(i),
  amount: i <= 1200 ? String(i) : `${i}.5`, // integer, then decimals → numeric
  code: i <= 1200 ? String(i) : i <= 2400 ? `${i}.25` : `X-${i}`, // integer, decimals, then text → text
  big: i <= 2000 ? String(i) : String(3_000_000_000 + i), // integer, then past int4 → bigint
});
const WIDENING = Array.from({ length: WIDE_ROWS }, (_, i) => widening(i + 1));

const ORDERS_TYPES = { order_id: 'integer', item_code: 'text', qty: 'integer' };

export function buildCorpus(): FormatCase[] {
  return [
    // ── encodings ─────────────────────────────────────────────────────────────────────────────────
    { id: 'utf8', what: 'UTF-8 without a BOM', file: { name: 'Fmt-utf8.csv', body: () => utf8(PEOPLE(',')) },
      expect: { outcome: 'loaded', table: people, parse: { format: 'csv', encoding: 'utf-8', bom: null, delimiter: ',' } } },
    { id: 'utf8-bom', what: 'UTF-8 with a BOM (not part of the first header)', file: { name: 'Fmt-utf8-bom.csv', body: () => utf8(`\uFEFF${PEOPLE(',')}`) },
      expect: { outcome: 'loaded', table: people, parse: { encoding: 'utf-8', bom: 'utf-8' } } },
    { id: 'utf16le', what: 'UTF-16LE with a BOM, CRLF', file: { name: 'Fmt-utf16le.csv', body: () => iconv.encode(`\uFEFF${PEOPLE(',').replace(/\n/g, '\r\n')}`, 'utf-16le') },
      expect: { outcome: 'loaded', table: people, parse: { encoding: 'utf-16le', bom: 'utf-16le' } } },
    { id: 'utf16be', what: 'UTF-16BE with a BOM', file: { name: 'Fmt-utf16be.csv', body: () => iconv.encode(`\uFEFF${PEOPLE(',')}`, 'utf-16be') },
      expect: { outcome: 'loaded', table: people, parse: { encoding: 'utf-16be', bom: 'utf-16be' } } },
    { id: 'cp1252', what: 'Windows-1252 declared: €, œ, curly quotes', rule: { csv: { encoding: 'windows-1252' } },
      file: { name: 'Fmt-cp1252.csv', body: () => iconv.encode(csv('id,note', '1,Œuvre No 5 — 12 €', '2,“quoted” œuf', '3,Zoë'), 'windows-1252') },
      expect: { outcome: 'loaded', table: { types: { id: 'integer', note: 'text' }, rows: rowsOf(['id', 'note'], [['1', 'Œuvre No 5 — 12 €'], ['2', '“quoted” œuf'], ['3', 'Zoë']]) }, parse: { encoding: 'windows-1252' } },
    },
    { id: 'utf8-fffd', what: 'a real U+FFFD character in UTF-8 is data, not an invalid byte', file: { name: 'Fmt-utf8-fffd.csv', body: () => utf8(csv('id,note', '1,\uFFFD', '2,a \uFFFD b')) },
      expect: { outcome: 'loaded', table: { types: { id: 'integer', note: 'text' }, rows: rowsOf(['id', 'note'], [['1', '\uFFFD'], ['2', 'a \uFFFD b']]) } } },
    { id: 'cp1252-undefined', what: 'a byte Windows-1252 leaves undefined (0x81) on row 2', rule: { csv: { encoding: 'windows-1252' } },
      file: { name: 'Fmt-cp1252-undefined.csv', body: () => Buffer.concat([utf8('id,note\n1,ok\n2,x'), Buffer.from([0x81]), utf8('\n')]) },
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 2, column "note": bytes that are not valid windows-1252/, row: 2 } },
    { id: 'latin1', what: 'Latin-1 (ISO-8859-1) declared', rule: { csv: { encoding: 'iso-8859-1' } },
      file: { name: 'Fmt-latin1.csv', body: () => iconv.encode(csv('id,name', '1,Müller', '2,Peña', '3,Straße ½'), 'latin1') },
      expect: { outcome: 'loaded', table: { types: { id: 'integer', name: 'text' }, rows: rowsOf(['id', 'name'], [['1', 'Müller'], ['2', 'Peña'], ['3', 'Straße ½']]) } } },

    // ── delimiters (detected) and decimal comma ───────────────────────────────────────────────────
    { id: 'semicolon', what: 'semicolons, detected (a comma inside a cell)', file: { name: 'Fmt-semicolon.csv', body: () => utf8(PEOPLE(';')) },
      expect: { outcome: 'loaded', table: people, parse: { delimiter: ';' } } },
    { id: 'tab', what: 'tabs, detected', file: { name: 'Fmt-tab.txt', body: () => utf8(PEOPLE('\t')) },
      expect: { outcome: 'loaded', table: people, parse: { delimiter: '\t' } } },
    { id: 'pipe', what: 'pipes, detected', file: { name: 'Fmt-pipe.csv', body: () => utf8(PEOPLE('|')) },
      expect: { outcome: 'loaded', table: people, parse: { delimiter: '|' } } },
    { id: 'decimal-comma', what: 'decimal comma declared: 1.234,50 → 1234.50; other cells untouched', rule: { csv: { delimiter: ';', decimal: ',' } },
      file: { name: 'Fmt-decimal-comma.csv', body: () => utf8(csv('item;price;qty;note', 'A;1.234,50;3;Kaffee, gemahlen', 'B;0,5;10;1,5 kg')) },
      expect: { outcome: 'loaded', table: { types: { item: 'text', price: 'numeric', qty: 'integer', note: 'text' }, rows: rowsOf(['item', 'price', 'qty', 'note'], [['A', '1234.50', '3', 'Kaffee, gemahlen'], ['B', '0.5', '10', '1,5 kg']]) } },
    },

    // ── rows: title block, totals, empty row, renames ─────────────────────────────────────────────
    { id: 'title-totals', what: 'a title block above the header (rows.header minCells) and a totals row (skipFooter)', rule: { rows: { header: { minCells: 3 }, skipFooter: 1 } },
      file: { name: 'Fmt-title-totals.csv', body: () => utf8(csv('Supplier Müller GmbH,,', 'Price list week 12,,', ',,', 'item_code,description,price', '007,Coffee,12.50', '012,Tea,3.10', 'Total,,15.60')) },
      expect: { outcome: 'loaded', table: { types: { item_code: 'text', description: 'text', price: 'numeric' }, rows: rowsOf(['item_code', 'description', 'price'], [['007', 'Coffee', '12.50'], ['012', 'Tea', '3.10']]) }, parse: { headerRow: 4, footerRows: 1 } } },
    { id: 'stop-empty', what: 'stopAtEmptyRow: a printed footer below an empty line is not data', rule: { rows: { stopAtEmptyRow: true } },
      file: { name: 'Fmt-stop-empty.csv', body: () => utf8(csv('id,note', '1,a', '2,b', '', 'printed by ERP on 2026-03-01 at 06:00, page 1 of 1')) },
      expect: { outcome: 'loaded', table: { types: { id: 'integer', note: 'text' }, rows: rowsOf(['id', 'note'], [['1', 'a'], ['2', 'b']]) } } },
    { id: 'renames', what: 'renames by the header as written and by its normalized name', rule: { rename: { 'Item No.': 'item_code', unit_price_eur: 'price' } },
      file: { name: 'Fmt-renames.csv', body: () => utf8(csv('Item No.,Unit Price (EUR),Qty', '007,1.5,2')) },
      expect: { outcome: 'loaded', table: { types: { item_code: 'text', price: 'numeric', qty: 'integer' }, rows: [{ item_code: '007', price: '1.5', qty: '2' }] } } },

    { id: 'declared-types', what: 'declared types win over inferred ones (integers kept numeric, a number kept text)', rule: { types: { qty: 'numeric', code: 'text' } },
      file: { name: 'Fmt-declared-types.csv', body: () => utf8(csv('id,qty,code', '1,2,10', '2,3,11')) },
      expect: { outcome: 'loaded', table: { types: { id: 'integer', qty: 'numeric', code: 'text' }, rows: rowsOf(['id', 'qty', 'code'], [['1', '2', '10'], ['2', '3', '11']]) } } },

    // ── workbooks ─────────────────────────────────────────────────────────────────────────────────
    { id: 'xlsx-1900', what: 'xlsx: merged title, formulas (cached values), rich text, booleans, error cells, a hidden row and sheet, totals; New York date-times', rule: PRICES_RULE,
      file: { name: 'Fmt-xlsx-1900.xlsx', body: () => kitchenSinkXlsx() }, expect: { outcome: 'loaded', table: PRICES, parse: PRICES_PARSE } },
    { id: 'xlsx-1904', what: 'the same workbook in the 1904 date system', rule: PRICES_RULE,
      file: { name: 'Fmt-xlsx-1904.xlsx', body: () => kitchenSinkXlsx({ date1904: true }) }, expect: { outcome: 'loaded', table: PRICES, parse: PRICES_PARSE } },
    { id: 'xlsx-inline', what: 'the same workbook with inline strings (exceljs\' streaming writer)', rule: PRICES_RULE,
      file: { name: 'Fmt-xlsx-inline.xlsx', body: () => kitchenSinkXlsx({ sharedStrings: false }) }, expect: { outcome: 'loaded', table: PRICES, parse: PRICES_PARSE } },
    { id: 'xlsx-header-row', what: 'xlsx with the header given by its row number', rule: { ...PRICES_RULE, rows: { header: 3, skipFooter: 1 } },
      file: { name: 'Fmt-xlsx-header-row.xlsx', body: () => kitchenSinkXlsx() }, expect: { outcome: 'loaded', table: PRICES, parse: { headerRow: 3 } } },
    { id: 'xlsx-sheet', what: 'xlsx sheet chosen by name, hidden or not', rule: { sheet: 'Lookup' },
      file: { name: 'Fmt-xlsx-sheet.xlsx', body: () => kitchenSinkXlsx() },
      expect: { outcome: 'loaded', table: { types: { code: 'text', name: 'text' }, rows: [{ code: 'X1', name: 'hidden data' }] }, parse: { sheet: 'Lookup' } } },
    { id: 'dates-1900', what: 'xlsx date and date-time columns (1900 system) in Europe/Paris across DST', rule: { timeZone: 'Europe/Paris' },
      file: { name: 'Fmt-dates-1900.xlsx', body: () => shiftsXlsx(false) }, expect: { outcome: 'loaded', table: SHIFTS } },
    { id: 'leap-1900', what: 'xlsx serials 1, 59, 60 (1900-02-29, which never was), 61, 45351', file: { name: 'Fmt-leap-1900.xlsx', body: () => leapBugXlsx() },
      expect: { outcome: 'loaded', table: { types: { n: 'integer', day: 'date' }, rows: rowsOf(['n', 'day'], [['1', '1900-01-01'], ['2', '1900-02-28'], ['3', null], ['4', '1900-03-01'], ['5', '2024-02-29']]) } } },
    { id: 'dates-1904', what: 'the same in the 1904 system', rule: { timeZone: 'Europe/Paris' },
      file: { name: 'Fmt-dates-1904.xlsx', body: () => shiftsXlsx(true) }, expect: { outcome: 'loaded', table: SHIFTS } },
    { id: 'xls', what: 'xls (BIFF8): title row, hidden first sheet, dates, a boolean, an error cell', rule: COUNT_RULE,
      file: { name: 'Fmt-xls.xls', body: () => sheetjsBytes(stockCountWorkbook(), 'biff8') }, expect: { outcome: 'loaded', table: COUNT, parse: { format: 'xls', sheet: 'Count', headerRow: 2, errorCells: 1 } } },
    { id: 'xls-1904', what: 'xls (BIFF8) in the 1904 date system', rule: COUNT_RULE,
      file: { name: 'Fmt-xls-1904.xls', body: () => sheetjsBytes(stockCountWorkbook({ date1904: true }), 'biff8') }, expect: { outcome: 'loaded', table: COUNT } },
    { id: 'xlsb', what: 'xlsb', rule: COUNT_RULE,
      file: { name: 'Fmt-xlsb.xlsb', body: () => sheetjsBytes(stockCountWorkbook(), 'xlsb') }, expect: { outcome: 'loaded', table: COUNT, parse: { format: 'xlsb', sheet: 'Count' } } },
    // SheetJS writes an ODS with its manifest first, not the mimetype entry (which ODF says should be
    // first); its ODS writer keeps no sheet visibility, so the sheet is named.
    { id: 'ods', what: 'ods, told by content (format auto)', rule: { ...COUNT_RULE, sheet: 'Count' },
      file: { name: 'Fmt-ods.ods', body: () => sheetjsBytes(stockCountWorkbook(), 'ods') },
      expect: { outcome: 'loaded', table: COUNT, parse: { format: 'ods', sheet: 'Count' } } },
    { id: 'ods-declared', what: 'ods, format declared', rule: { ...COUNT_RULE, sheet: 'Count', format: 'ods' },
      file: { name: 'Fmt-ods-declared.ods', body: () => sheetjsBytes(stockCountWorkbook(), 'ods') },
      expect: { outcome: 'loaded', table: COUNT, parse: { format: 'ods' } } },
    { id: 'html-xls', what: 'an HTML table named .xls, read as HTML (leading zeros kept as text)',
      file: { name: 'Fmt-html-xls.xls', body: () => htmlTable() },
      expect: { outcome: 'loaded', parse: { format: 'html', detected: 'an HTML table named .xls' },
        table: { types: { item_code: 'text', description: 'text', qty: 'integer', unit_price: 'text' },
          rows: rowsOf(['item_code', 'description', 'qty', 'unit_price'], [['00123', 'Crème fraîche & herbs', '3', '4.50'], ['00124', 'Tomatoes 1e3', null, '2026-03-09']]) } } },
    { id: 'csv-xls', what: 'CSV text named .xls, read as CSV', file: { name: 'Fmt-csv-xls.xls', body: () => utf8(PEOPLE(';')) },
      expect: { outcome: 'loaded', table: people, parse: { format: 'csv', detected: 'CSV text named .xls', delimiter: ';' } } },

    // ── types and schema evolution ────────────────────────────────────────────────────────────────
    { id: 'widening', what: `${WIDE_ROWS} rows whose values widen mid-file: integer → numeric, → text, → bigint`,
      file: { name: 'Fmt-widening.csv', body: () => utf8(csv('id,amount,code,big', ...WIDENING.map((r) => `${r.id},${r.amount},${r.code},${r.big}`))) },
      expect: { outcome: 'loaded', table: { types: { id: 'integer', amount: 'numeric', code: 'text', big: 'bigint' }, rows: WIDENING } } },
    { id: 'evolve', what: 'a later file widens the table\'s integer column to numeric and adds a column',
      before: { name: 'Fmt-evolve.a.csv', body: () => utf8(csv('id,amount', '1,5', '2,6')), sourceTime: '2026-02-28T06:00:00.000Z' },
      file: { name: 'Fmt-evolve.b.csv', body: () => utf8(csv('id,amount,note', '3,7.25,new')), sourceTime: '2026-03-01T06:00:00.000Z' },
      expect: { outcome: 'loaded',
        table: { types: { id: 'integer', amount: 'numeric', note: 'text' }, rows: rowsOf(['id', 'amount', 'note'], [['1', '5', null], ['2', '6', null], ['3', '7.25', 'new']]), orderBy: 'id' },
        schemaHistory: [{ column_name: 'note', from_type: null, to_type: 'text' }, { column_name: 'amount', from_type: 'integer', to_type: 'numeric' }] } },

    { id: 'strict', what: 'schema strict: a file that would widen integer to numeric is quarantined naming the column and both types', rule: { schema: 'strict' },
      before: { name: 'Fmt-strict.a.csv', body: () => utf8(csv('id,amount', '1,5')) },
      file: { name: 'Fmt-strict.b.csv', body: () => utf8(csv('id,amount', '2,7.25')) },
      expect: { outcome: 'quarantined', stage: 'load', reason: /column amount is integer in table .*f_strict but numeric in the file, and its import rule is schema 'strict'/,
        table: { types: { id: 'integer', amount: 'integer' }, rows: [{ id: '1', amount: '5' }] } } },

    // ── compressed input ──────────────────────────────────────────────────────────────────────────
    { id: 'gz', what: 'a .gz: its member (the name without .gz) loaded by the rule',
      file: { name: 'Fmt-gz.csv.gz', body: () => gzipSync(utf8(PEOPLE(','))) },
      expect: { outcome: 'expanded', tables: { f_gz: people } } },
    { id: 'zip2', what: 'a zip of two members, each loaded by its own rule into its own table',
      extraRules: [
        { name: 'f-zip2-orders', match: '^Orders-zip2', table: 'f_zip2_orders' },
        { name: 'f-zip2-stock', match: '^Stock-zip2', table: 'f_zip2_stock', csv: { encoding: 'windows-1252' } },
      ],
      file: { name: 'Fmt-zip2.zip', body: () => writeZip([
        { name: 'Orders-zip2.csv', data: csv('order_id,item_code,qty', '10,007,2', '11,012,1') },
        { name: 'export/Stock-zip2.csv', data: iconv.encode(csv('item_code;on_hand;name', '007;12,5;Café'), 'windows-1252'), method: 'store' },
      ]) },
      expect: { outcome: 'expanded', tables: {
        f_zip2_orders: { types: ORDERS_TYPES, rows: rowsOf(['order_id', 'item_code', 'qty'], [['10', '007', '2'], ['11', '012', '1']]) },
        f_zip2_stock: { types: { item_code: 'text', on_hand: 'text', name: 'text' }, rows: [{ item_code: '007', on_hand: '12,5', name: 'Café' }] },
      } } },
    { id: 'zip-bomb', what: 'a zip whose second member declares 20 MiB from a few KiB', file: { name: 'Fmt-zip-bomb.zip', body: () => writeZip([
      { name: 'Fmt-zip-bomb.csv', data: PEOPLE(',') },
      { name: 'Fmt-zip-bomb.zeros.csv', data: Buffer.alloc(20 * 2 ** 20, 0x30) },
    ]) },
    expect: { outcome: 'quarantined', stage: 'transform', reason: /member "Fmt-zip-bomb\.zeros\.csv" declares 20971520 bytes .*over 200 times.*zip bomb/ } },

    { id: 'gz-bomb', what: 'a .gz inflating 30 MiB from a few KiB (gzip declares nothing: counted as inflated)', file: { name: 'Fmt-gz-bomb.csv.gz', body: () => gzipSync(Buffer.alloc(30 * 2 ** 20, 0x30)) },
      expect: { outcome: 'quarantined', stage: 'transform', reason: /member "Fmt-gz-bomb\.csv" inflates more than 200 times its compressed size of \d+ bytes.*zip bomb/ } },

    // ── bad bytes ─────────────────────────────────────────────────────────────────────────────────
    { id: 'invalid-byte', what: 'an invalid UTF-8 byte on row 3 (a real U+FFFD on row 1 is data)',
      file: { name: 'Fmt-invalid-byte.csv', body: () => Buffer.concat([utf8('id,name\n1,\uFFFD ok\n2,Bo\n3,caf'), Buffer.from([0xe9]), utf8('\n')]) },
      expect: { outcome: 'quarantined', stage: 'transform', reason: /row 3, column "name": bytes that are not valid utf-8/, row: 3 } },

    // ── write modes ───────────────────────────────────────────────────────────────────────────────
    { id: 'replace', what: 'replace: the second file\'s rows are the table\'s content', rule: { mode: 'replace' },
      before: { name: 'Fmt-replace.mon.csv', body: () => utf8(csv('sku,qty', 'A,1', 'B,2', 'C,3')), sourceTime: '2026-03-02T06:00:00.000Z' },
      file: { name: 'Fmt-replace.tue.csv', body: () => utf8(csv('sku,qty', 'B,20', 'D,4')), sourceTime: '2026-03-03T06:00:00.000Z' },
      expect: { outcome: 'loaded', table: { types: { sku: 'text', qty: 'integer' }, rows: rowsOf(['sku', 'qty'], [['B', '20'], ['D', '4']]), orderBy: 'sku' } } },
    { id: 'merge-delete', what: 'merge on sku with deleteMissing: updated, inserted, missing keys deleted', rule: { mode: 'merge', key: ['sku'], deleteMissing: true },
      before: { name: 'Fmt-merge-delete.mon.csv', body: () => utf8(csv('sku,qty,note', 'A,1,x', 'B,2,y', 'C,3,z')), sourceTime: '2026-03-02T06:00:00.000Z' },
      file: { name: 'Fmt-merge-delete.tue.csv', body: () => utf8(csv('sku,qty,note', 'B,20,y', 'C,3,z', 'D,4,')), sourceTime: '2026-03-03T06:00:00.000Z' },
      expect: { outcome: 'loaded', table: { types: { sku: 'text', qty: 'integer', note: 'text' }, rows: rowsOf(['sku', 'qty', 'note'], [['B', '20', 'y'], ['C', '3', 'z'], ['D', '4', null]]), orderBy: 'sku' } } },
    { id: 'merge', what: 'merge on sku (a delta): updated and inserted, the rest kept', rule: { mode: 'merge', key: ['sku'] },
      before: { name: 'Fmt-merge.mon.csv', body: () => utf8(csv('sku,qty', 'A,1', 'B,2', 'C,3')), sourceTime: '2026-03-02T06:00:00.000Z' },
      file: { name: 'Fmt-merge.tue.csv', body: () => utf8(csv('sku,qty', 'B,20', 'D,4')), sourceTime: '2026-03-03T06:00:00.000Z' },
      expect: { outcome: 'loaded', table: { types: { sku: 'text', qty: 'integer' }, rows: rowsOf(['sku', 'qty'], [['A', '1'], ['B', '20'], ['C', '3'], ['D', '4']]), orderBy: 'sku' } } },
    { id: 'replace-late', what: 'replace: Monday\'s snapshot arriving after Tuesday\'s is superseded, not applied', rule: { mode: 'replace' },
      before: { name: 'Fmt-replace-late.tue.csv', body: () => utf8(csv('sku,qty', 'B,20', 'D,4')), sourceTime: '2026-03-03T06:00:00.000Z' },
      file: { name: 'Fmt-replace-late.mon.csv', body: () => utf8(csv('sku,qty', 'A,1', 'B,2', 'C,3')), sourceTime: '2026-03-02T06:00:00.000Z' },
      expect: { outcome: 'superseded', table: { types: { sku: 'text', qty: 'integer' }, rows: rowsOf(['sku', 'qty'], [['B', '20'], ['D', '4']]), orderBy: 'sku' } } },
    { id: 'rejects-over', what: 'maxRejectPercent 20 (1 of 8 rows): two failing is over it, nothing of the file loaded', rule: { types: { qty: 'integer' }, maxRejectPercent: 20 },
      file: { name: 'Fmt-rejects-over.csv', body: () => utf8(csv('sku,qty', 'A,1', 'B,x', 'C,3', 'D,y', 'E,5', 'F,6', 'G,7', 'H,8')) },
      expect: { outcome: 'quarantined', stage: 'load', row: 2,
        reason: /(2|more than 1) of the file's 8 rows fail their column's type or a constraint, more than maxRejectPercent 20 allows \(1 rows\); nothing of the file was loaded; the first is row 2, column qty/ } },
    { id: 'rejects', what: 'maxRejectPercent 25: two of eight rows fail their declared types and go to the rejects table', rule: { types: { qty: 'integer', day: 'date' }, maxRejectPercent: 25 },
      file: { name: 'Fmt-rejects.csv', body: () => utf8(csv('sku,qty,day', 'A,1,2026-03-01', 'B,2,2026-03-02', 'C,lots,2026-03-03', 'D,4,2026-03-04', 'E,5,2026-13-05', 'F,6,2026-03-06', 'G,7,', 'H,8,2026-03-08')) },
      expect: { outcome: 'loaded',
        table: { types: { sku: 'text', qty: 'integer', day: 'date' }, rows: rowsOf(['sku', 'qty', 'day'], [['A', '1', '2026-03-01'], ['B', '2', '2026-03-02'], ['D', '4', '2026-03-04'], ['F', '6', '2026-03-06'], ['G', '7', null], ['H', '8', '2026-03-08']]) },
        rejects: [
          { row_number: '3', column_name: 'qty', sql_state: '22P02', raw_row: { sku: 'C', qty: 'lots', day: '2026-03-03' } },
          { row_number: '5', column_name: 'day', sql_state: '22008', raw_row: { sku: 'E', qty: '5', day: '2026-13-05' } },
        ] } },
  ];
}

// Every case gets a rule of its own (matching `Fmt-<id>`, not `Fmt-<id>-more`), writing to its own table.
export function ruleOf(c: FormatCase): RuleInput {
  return { name: `f-${c.id}`, match: `^Fmt-${c.id}(?![a-z0-9-])`, table: `f_${c.id.replace(/-/g, '_')}`, ...c.rule };
}
