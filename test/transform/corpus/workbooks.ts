// Workbooks generated in code for the parser tests (no committed binaries): each function returns
// the bytes of one file and is paired, in test/transform/parsers/, with the exact rows and facts a
// parser must give for it. XLSX files come from exceljs' writer; XLS (BIFF8), XLSB, ODS and HTML
// from SheetJS' writer.
import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import XLSX from '@e965/xlsx';

// Wall-clock times in the sheet: exceljs turns a JS Date into a serial from its UTC fields.
const at = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => new Date(Date.UTC(y, m - 1, d, h, min, s));
// 09:07:00 as a day fraction, a hair below (as a float computed by another program arrives).
export const TIME_0907_LOW = (9 * 3600 + 7 * 60) / 86400 - 1e-9;

async function xlsxBytes(workbook: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

// The kitchen sink: a hidden first sheet (so the default is the second, visible one), a merged
// title block, a date line, the header, then rows of shared strings, rich text, formulas with cached
// results of each type, booleans, error cells, dates and date-times across the US DST change, a time
// a hair below 09:07:00, float noise, a hidden row, a row missing from the XML and a totals row.
export async function kitchenSinkXlsx(options: { date1904?: boolean; sharedStrings?: boolean } = {}): Promise<Buffer> {
  // exceljs writes inline strings (<is>) only from its streaming writer, with useSharedStrings false.
  if (options.sharedStrings === false) {
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
    if (options.date1904) writer.properties.date1904 = true;
    fillKitchenSink(writer as unknown as ExcelJS.Workbook);
    await writer.commit();
    return Buffer.concat(chunks);
  }
  const workbook = new ExcelJS.Workbook();
  if (options.date1904) workbook.properties.date1904 = true;
  fillKitchenSink(workbook);
  return xlsxBytes(workbook);
}

function fillKitchenSink(workbook: ExcelJS.Workbook): void {
  const lookup = workbook.addWorksheet('Lookup', { state: 'hidden' });
  lookup.addRow(['code', 'name']);
  lookup.addRow(['X1', 'hidden data']);
  const sheet = workbook.addWorksheet('Prices');
  sheet.mergeCells('A1:F1');
  sheet.getCell('A1').value = 'Weekly price list';
  sheet.getCell('A2').value = 'Valid from';
  sheet.getCell('B2').value = at(2026, 3, 9);
  sheet.getCell('B2').numFmt = 'yyyy-mm-dd';
  sheet.getRow(3).values = ['item', 'price', 'in_stock', 'delivered_at', 'note', 'check'];
  const rows: ExcelJS.CellValue[][] = [
    ['Fries', 5.5, true, at(2026, 3, 7, 9, 0), { richText: [{ text: 'Hot ', font: { bold: true } }, { text: 'sauce' }] }, { formula: 'B4*2', result: 11 }],
    ['Lemonade', 0.1 + 0.2, false, at(2026, 3, 9, 9, 7), 'Crème brûlée €', { formula: '"a"&"b"', result: 'ab' }],
    ['Ribeye', 12345678901234567, { formula: 'TRUE()', result: true }, at(2026, 3, 9, 23, 59, 59), null, { formula: 'NA()', result: { error: '#N/A' } }],
    ['Espresso', -0.000001, null, null, { error: '#DIV/0!' }, TIME_0907_LOW],
  ];
  rows.forEach((values, i) => {
    const row = sheet.getRow(4 + i);
    row.values = values;
    row.getCell(4).numFmt = 'yyyy-mm-dd hh:mm:ss';
  });
  sheet.getCell('F7').numFmt = 'hh:mm:ss';
  sheet.getRow(5).hidden = true;
  // Row 8 is left out of the XML; row 9 is the totals row.
  sheet.getRow(9).values = ['Total', { formula: 'SUM(B4:B7)', result: 12345678901234572 }];
}

// Many non-ASCII shared strings: sharedStrings.xml spans many chunks, so characters fall on chunk
// boundaries (exceljs' own decoder turned those into U+FFFD).
export async function unicodeXlsx(rows: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Menu');
  sheet.addRow(['dish']);
  for (let i = 0; i < rows; i++) sheet.addRow([`Crème brûlée ${i} — 日本語 €`]);
  return xlsxBytes(workbook);
}

// A sheet written by exceljs' streaming writer: the shape of the 200k-row benchmark file.
export async function wideXlsx(rows: number, columns = 10): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: true });
  const sheet = workbook.addWorksheet('Data');
  sheet.addRow(Array.from({ length: columns }, (_, c) => `col_${c + 1}`)).commit();
  for (let r = 1; r <= rows; r++) sheet.addRow(wideRow(r, columns)).commit();
  await sheet.commit();
  await workbook.commit();
  return Buffer.concat(chunks);
}

export function wideRow(r: number, columns: number): Array<string | number> {
  return Array.from({ length: columns }, (_, c) => (c % 3 === 0 ? `item-${r % 1000}-${c}` : c % 3 === 1 ? r * 10 + c : (r % 997) / 4));
}

// --- SheetJS-written formats --------------------------------------------------------------------

// The same small stock count in each SheetJS format: a title row merged over the table, the header,
// numbers, a date, a date-time, a boolean, an error cell and a hidden second sheet.
export function stockCountWorkbook(options: { date1904?: boolean } = {}): XLSX.WorkBook {
  const sheet = XLSX.utils.aoa_to_sheet([
    ['Stock count — Kitchen'],
    ['sku', 'item', 'qty', 'counted_on', 'counted_at', 'ok', 'ratio'],
    ['S-1', 'Flour 25kg', 4, 0, 0, true, 0.1 + 0.2],
    ['S-2', 'Olive oil 5l', 2.5, 0, 0, false, { t: 'e', v: 0x07 }],
  ]);
  const date1904 = options.date1904 === true;
  const serial = (d: Date) => (d.getTime() - Date.UTC(1899, 11, 30)) / 86_400_000 - (date1904 ? 1462 : 0);
  const setDate = (ref: string, d: Date, z: string) => {
    sheet[ref] = { t: 'n', v: serial(d), z };
  };
  setDate('D3', at(2026, 3, 7), 'yyyy-mm-dd');
  setDate('D4', at(2026, 3, 9), 'yyyy-mm-dd');
  setDate('E3', at(2026, 3, 7, 22, 15), 'yyyy-mm-dd hh:mm:ss');
  setDate('E4', at(2026, 3, 9, 9, 7), 'yyyy-mm-dd hh:mm:ss');
  sheet['G4'] = { t: 'e', v: 0x07, w: '#DIV/0!' };
  sheet['!merges'] = [XLSX.utils.decode_range('A1:G1')];
  sheet['!rows'] = [];
  sheet['!rows'][3] = { hidden: true };
  const notes = XLSX.utils.aoa_to_sheet([['internal']]);
  const workbook = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(workbook, notes, 'Notes');
  XLSX.utils.book_append_sheet(workbook, sheet, 'Count');
  workbook.Workbook = { Sheets: [{ name: 'Notes', Hidden: 1 }, { name: 'Count', Hidden: 0 }], WBProps: { date1904 } };
  return workbook;
}

export function sheetjsBytes(workbook: XLSX.WorkBook, bookType: 'biff8' | 'xlsb' | 'ods' | 'html'): Buffer {
  return XLSX.write(workbook, { type: 'buffer', bookType, cellDates: false }) as Buffer;
}

// An HTML table as some vendor systems export it (often named .xls).
export function htmlTable(): Buffer {
  return Buffer.from(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Delivery</title></head><body>
<table>
<tr><th>item_code</th><th>description</th><th>qty</th><th>unit_price</th></tr>
<tr><td>00123</td><td>Crème fraîche &amp; herbs</td><td>3</td><td>4.50</td></tr>
<tr><td>00124</td><td>Tomatoes 1e3</td><td></td><td>2026-03-09</td></tr>
</table></body></html>`);
}

// What Excel writes for a password-protected workbook: an OLE2 file with EncryptionInfo and
// EncryptedPackage streams (contents here are filler: no reader gets past the container).
export function encryptedWorkbook(): Buffer {
  const container = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(container, '/EncryptionInfo', Buffer.alloc(256, 1));
  XLSX.CFB.utils.cfb_add(container, '/EncryptedPackage', Buffer.alloc(4096, 2));
  return Buffer.from(XLSX.CFB.write(container, { type: 'buffer' }) as Buffer);
}

// An .xlsx whose visible sheet expands from about 50 KB to about 27 MB of identical rows: the
// kitchen sink's parts, with the sheet replaced, zipped again with zlib's deflate.
export async function xlsxBomb(rows = 1_000_000): Promise<Buffer> {
  const archive = XLSX.CFB.read(await kitchenSinkXlsx(), { type: 'buffer' }) as { FullPaths: string[]; FileIndex: Array<{ type: number; content: Uint8Array }> };
  const files = archive.FullPaths.map((fullPath: string, i: number) => [fullPath.replace(/^[^/]*\//, ''), archive.FileIndex[i]!] as const)
    .filter(([name, entry]) => entry.type === 2 && name !== '');
  const parts = files.map(([name, entry]): [string, Buffer] => [name, name === 'xl/worksheets/sheet2.xml'
    ? Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${'<row><c><v>1</v></c></row>'.repeat(rows)}</sheetData></worksheet>`)
    : Buffer.from(entry.content)]);
  return zipDeflated(parts);
}

// A minimal zip writer (deflate, no data descriptors), enough for the bomb above.
function zipDeflated(files: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const nameBytes = Buffer.from(name);
    const data = zlib.deflateRawSync(content, { level: 9 });
    const crc = zlib.crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(content.length, 22); local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0); entry.writeUInt16LE(20, 4); entry.writeUInt16LE(20, 6); entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc, 16); entry.writeUInt32LE(data.length, 20); entry.writeUInt32LE(content.length, 24); entry.writeUInt16LE(nameBytes.length, 28); entry.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const size = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10); end.writeUInt32LE(size, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}
