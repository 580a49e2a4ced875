// The byte scanner of a worksheet's rows against the SAX reader alone, on generated worksheet parts:
// for every part, read with the scanner (handing over to the SAX reader where it must) and without it,
// the same rows with the same counts, or the same refusal. The parts mix what spreadsheet writers
// produce (every cell type, shared and inline strings, formulas, styles, hidden and empty rows, rows
// and cells without references, entities, non-ASCII, whitespace between attributes) with what the
// scanner leaves to the SAX reader (comments, CDATA, processing instructions, other entities,
// rich text, phonetic runs, CR, prefixed elements) and one fault at most per part (truncation,
// mismatched tags, duplicate or unquoted attributes, invalid UTF-8, U+FFFE, "]]>", a missing shared
// string, a row out of order, a reference naming no column, a number that is none). Each part is cut
// into chunks of random sizes so that rows cross chunk edges.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../emulator/seeded-random';
import { CellText } from '../../../functions/transform/excel/cell-text';
import { readSheetRows, type SheetCounts } from '../../../functions/transform/excel/xlsx-sheet-rows';
import type { Cell } from '../../../functions/transform/parsers/file-parser';

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const SHARED = ['Espresso', 'Oat & milk', 'Crème brûlée €', '日本語', 'x_x000D_y', '', ' padded '];
const FORMATS: Record<number, string> = { 1: '0.00', 2: 'yyyy-mm-dd', 3: 'yyyy-mm-dd hh:mm:ss', 4: 'hh:mm:ss', 5: '[h]:mm:ss' };

const FAULTS = [
  'truncate', 'mismatch', 'duplicate-attribute', 'unquoted', 'no-space', 'invalid-utf8', 'fffe', 'cdata-end', 'missing-shared',
  'row-order', 'no-column', 'not-a-number', 'control-char', 'bad-entity',
] as const;
type Fault = (typeof FAULTS)[number] | null;

interface Part {
  bytes: Buffer;
  chunk: number;
}

function space(random: Random): string {
  return random() < 0.9 ? ' ' : pick(random, ['  ', '\n  ', '\t', '\r\n', ' \n']);
}

function attr(random: Random, name: string, value: string): string {
  const quote = random() < 0.95 ? '"' : "'";
  const eq = random() < 0.97 ? '=' : pick(random, [' =', '= ', ' = ']);
  return `${space(random)}${name}${eq}${quote}${value}${quote}`;
}

function text(random: Random, rare: number): string {
  const plain = ['Fries', 'a &amp; b', '&lt;tag&gt;', '&quot;q&quot; &apos;s&apos;', 'Zoë', '日本語 €', '😀', 'x]y', 'tab\there', 'line\nbreak', '', ' lead',
    'A&#10;B', '&#65;&#x1F600;&#x1f600;', '&#0000000065;', 'cr&#13;kept'];
  const odd = ['cr\r\nlf', '&#00000000065;', '<![CDATA[raw <b>]]>', 'a<!-- note -->b', 'a<?pi x?>b'];
  return random() < rare ? pick(random, odd) : pick(random, plain);
}

function numberText(random: Random): string {
  return pick(random, ['0', '1', '42', '100001', '007', '-7', '3.25', '28.11', '45537', '45485.159062499995', '0.5', '1e3', '1E-2', '123456789012345678', ' 12 ', '', '-0', '45351.999999']);
}

function cell(random: Random, rowNumber: number, column: number, fault: { kind: Fault; done: boolean }, rare: number): string {
  const letters = columnLetters(column);
  const take = (kind: Fault) => {
    if (fault.kind !== kind || fault.done || random() > 0.2) return false;
    fault.done = true;
    return true;
  };
  let attributes = '';
  const ref = random();
  if (take('no-column')) attributes += attr(random, 'r', pick(random, ['12', '', 'XFE1']));
  else if (ref < 0.85) attributes += attr(random, 'r', `${random() < 0.97 ? letters : letters.toLowerCase()}${rowNumber}`);
  const style = pick(random, [0, 0, 0, 1, 2, 3, 4, 5]);
  const kind = pick(random, ['n', 'n', 'n', 's', 's', 's', 'str', 'inlineStr', 'b', 'e', 'd', 'none']);
  const typed = kind === 'none' ? '' : kind === 'n' && random() < 0.7 ? '' : attr(random, 't', kind);
  const styled = style === 0 && random() < 0.8 ? '' : attr(random, 's', String(style));
  const parts = random() < 0.5 ? [typed, styled] : [styled, typed];
  attributes += parts.join('');
  if (take('duplicate-attribute')) attributes += attr(random, 's', '1');
  if (take('unquoted')) attributes += ' t=s';
  if (take('no-space')) attributes += 'x="1"y="2"';
  if (random() < 0.03) attributes += attr(random, 'cm', '1');
  if (random() < 0.05) return `<c${attributes}${random() < 0.5 ? '/>' : '></c>'}`;
  const formula = random() < 0.1 ? pick(random, ['<f>SUM(A1:A3)</f>', '<f t="shared" si="0"/>', '<f>IF(A1&gt;2,"a","b")</f>', '<f/>']) : '';
  let value: string;
  switch (kind) {
    case 's':
      value = take('missing-shared') ? '99' : pick(random, ['0', '1', '2', '3', '4', '5', '6', '06']);
      break;
    case 'inlineStr': {
      const t = `<t${random() < 0.3 ? ' xml:space="preserve"' : ''}>${text(random, rare)}</t>`;
      const odd = random() < rare * 3;
      const inline = odd ? pick(random, ['<is><r><t>a</t></r><r><rPr><b/></rPr><t>b</t></r></is>', `<is>${t}<rPh sb="0" eb="1"><t>ふ</t></rPh></is>`, '<is/>', `<is>${t}${t}</is>`]) : `<is>${t}</is>`;
      return `<c${attributes}>${formula}${inline}</c>`;
    }
    case 'str':
      value = take('cdata-end') ? 'a]]>b'
        : take('bad-entity') ? pick(random, ['&nbsp;', '&#0;', '&#X41;', '&#xD800;', '&#xFFFE;', '&#;', '&#x;', '&#1114112;', '&amp'])
        : take('control-char') ? 'bell\u0007' : text(random, rare);
      break;
    case 'b':
      value = pick(random, ['0', '1', 'true', 'false']);
      break;
    case 'e':
      value = pick(random, ['#N/A', '#DIV/0!', '#REF!']);
      break;
    case 'd':
      value = pick(random, ['2024-02-29', '2024-01-02T03:04:05Z', '']);
      break;
    default:
      value = take('not-a-number') ? 'abc' : numberText(random);
  }
  const v = random() < 0.03 ? '<v/>' : `<v>${value}</v>`;
  return `<c${attributes}>${formula}${v}${random() < 0.02 ? '<extLst><ext uri="x"/></extLst>' : ''}</c>`;
}

function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

function generate(random: Random): Part {
  const broken = random() < 0.35;
  const fault = { kind: (broken ? pick(random, FAULTS) : null) as Fault, done: false };
  const rare = random() < 0.5 ? 0 : 0.03;
  const prefixed = random() < 0.03;
  let xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">';
  if (random() < 0.1) xml += '<!-- <sheetData> is below -->';
  xml += '<dimension ref="A1:J40"/><cols><col min="1" max="2" width="12" customWidth="1"/></cols>';
  const rows = Math.floor(random() * 60);
  if (rows === 0 && random() < 0.5) {
    xml += '<sheetData/>';
  } else {
    xml += prefixed ? '<x:sheetData xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' : '<sheetData>';
    let rowNumber = 0;
    const columns = 1 + Math.floor(random() * 12);
    for (let r = 0; r < rows; r++) {
      const step = random() < 0.9 ? 1 : 2 + Math.floor(random() * 3);
      rowNumber += step;
      let attributes = '';
      if (fault.kind === 'row-order' && !fault.done && r > 2 && random() < 0.2) {
        fault.done = true;
        attributes += attr(random, 'r', String(Math.max(1, rowNumber - 3)));
      } else if (random() < 0.9 || step > 1) {
        attributes += attr(random, 'r', String(rowNumber));
      }
      if (random() < 0.5) attributes += attr(random, 'spans', `1:${columns}`);
      if (random() < 0.1) attributes += attr(random, 'hidden', pick(random, ['1', 'true', '0', 'false']));
      if (random() < 0.3) attributes += attr(random, 'x14ac:dyDescent', '0.25');
      const between = random() < rare ? pick(random, ['<!-- row -->', '<?pi data?>']) : random() < 0.2 ? '\n  ' : '';
      if (random() < 0.05) {
        xml += `${between}<row${attributes}/>`;
        continue;
      }
      let cells = '';
      let column = 0;
      const count = Math.floor(random() * (columns + 1));
      for (let c = 0; c < count; c++) {
        column += random() < 0.9 ? 1 : 2;
        cells += (random() < 0.1 ? space(random) : '') + cell(random, rowNumber, column, fault, rare);
      }
      const name = prefixed ? 'x:row' : 'row';
      const close = fault.kind === 'mismatch' && !fault.done && random() < 0.1 ? ((fault.done = true), '</rows>') : `</${name}${random() < 0.05 ? ' ' : ''}>`;
      xml += `${between}<${name}${attributes}>${cells}${close}`;
    }
    xml += prefixed ? '</x:sheetData>' : '</sheetData>';
  }
  xml += '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>';
  let bytes = Buffer.from(xml, 'utf8');
  if (fault.kind === 'fffe') bytes = Buffer.from(xml.replace('</v>', '\uFFFE</v>'), 'utf8');
  if (fault.kind === 'invalid-utf8') {
    const at = bytes.indexOf('</v>');
    if (at > 0) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc3, 0x28]), bytes.subarray(at)]);
  }
  if (fault.kind === 'truncate') bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
  const chunk = pick(random, [1, 7, 64, 500, 4096, 65_536]);
  return { bytes, chunk };
}

type Outcome = { rows: Array<[number, Cell[]]>; counts: SheetCounts; errorCells: number; impossibleDates: number } | { error: string };

async function read(part: Part, scanRows: boolean, scanned: { rows: number }): Promise<Outcome> {
  const cellText = new CellText({ date1904: false, timeZone: 'Europe/Paris' });
  const counts: SheetCounts = { hiddenRows: 0, mergedRanges: 0, formulaCells: 0 };
  const context = { cellText, sharedString: (i: number) => SHARED[i], formatCode: (s: number) => FORMATS[s] };
  async function* chunks() {
    for (let at = 0; at < part.bytes.length; at += part.chunk) yield part.bytes.subarray(at, at + part.chunk);
  }
  const rows: Array<[number, Cell[]]> = [];
  try {
    for await (const batch of readSheetRows(chunks(), context, counts, { scanRows, onScanned: (n) => (scanned.rows += n) })) {
      batch.rows.forEach((row, i) => rows.push([batch.firstRow + i, row]));
    }
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
  return { rows, counts, errorCells: cellText.errorCells, impossibleDates: cellText.impossibleDates };
}

describe('the worksheet byte scanner', () => {
  const cases = Number(process.env.SLUICE_XLSX_CASES ?? 2000);
  const seed = Number(process.env.SLUICE_XLSX_SEED ?? 1);

  it(`reads ${cases} generated worksheet parts as the SAX reader alone does`, async () => {
    const random = seededRandom(seed);
    const scanned = { rows: 0 };
    const unscanned = { rows: 0 };
    let refused = 0;
    let totalRows = 0;
    for (let n = 0; n < cases; n++) {
      const part = generate(random);
      const withScanner = await read(part, true, scanned);
      const saxOnly = await read(part, false, unscanned);
      if (JSON.stringify(withScanner) !== JSON.stringify(saxOnly)) {
        expect({ case: n, xml: part.bytes.toString('utf8'), chunk: part.chunk, outcome: withScanner }).toEqual({ case: n, xml: part.bytes.toString('utf8'), chunk: part.chunk, outcome: saxOnly });
      }
      if ('error' in saxOnly) refused++;
      else totalRows += saxOnly.rows.length;
    }
    expect(unscanned.rows).toBe(0);
    // The scanner did most of the reading, and the SAX reader its share: both were tested.
    expect(scanned.rows).toBeGreaterThan(totalRows * 0.25);
    expect(refused).toBeGreaterThan(cases * 0.1);
    expect(refused).toBeLessThan(cases * 0.5);
  }, 120_000);

  it.each([
    ['Excel', '<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" t="str"><f>A1&amp;"x"</f><v>Espressox</v></c><c r="C1" s="2"><f t="shared" ref="C1:C2" si="0"/><v>45537</v></c></row><row r="2" ht="30" customHeight="1"><c r="A2" cm="1"><f t="array" ref="A2:A3">SEQUENCE(2)</f><v>1</v></c><c r="C2" s="2"><f t="shared" si="0"/><v>45538</v></c></row>'],
    ['LibreOffice', '<row r="1" customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" collapsed="false"><c r="A1" s="0" t="s"><v>2</v></c><c r="B1" s="0" t="n"><v>3.25</v></c><c r="C1" s="0" t="b"><v>1</v></c></row><row r="2" hidden="true"><c r="A2" t="e"><v>#N/A</v></c></row>'],
    ['a streaming writer', '<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve"> Zoë &amp; 日本語 </t></is></c><c r="B1" t="d"><v>2024-02-29</v></c></row>\n<row r="2"/>\n'],
  ])('reads the rows %s writes itself, without handing over', async (_, rows) => {
    const xml = `<worksheet xmlns:x14ac="x"><sheetData>${rows}</sheetData></worksheet>`;
    const scanned = { rows: 0 };
    const outcome = await read({ bytes: Buffer.from(xml), chunk: 7 }, true, scanned);
    expect(outcome).toEqual(await read({ bytes: Buffer.from(xml), chunk: 7 }, false, { rows: 0 }));
    expect(scanned.rows).toBe(2);
  });

  it('hands the rows over at the first it cannot read, and reads none twice', async () => {
    const xml = '<worksheet><sheetData><row r="1"><c t="e"><v>#N/A</v></c></row><row r="2"><c t="e"><v>#N/A</v></c><!-- x --></row><row r="3"><c><v>1</v></c></row></sheetData></worksheet>';
    const scanned = { rows: 0 };
    const outcome = await read({ bytes: Buffer.from(xml), chunk: 1 << 16 }, true, scanned);
    expect(scanned.rows).toBe(1);
    expect(outcome).toEqual({ rows: [[1, []], [2, []], [3, ['1']]], counts: { hiddenRows: 0, mergedRanges: 0, formulaCells: 0 }, errorCells: 2, impossibleDates: 0 });
  });
});
