// One worksheet part of an .xlsx (xl/worksheets/sheetN.xml) → RowBatches, streamed through a SAX
// parser so memory stays flat at any row count. exceljs' WorkbookReader finds the part and reads the
// workbook-wide parts (shared strings, styles, date system); its own worksheet parser is not used,
// because it turns date-formatted numbers into JS Dates by its own format test (it does honour
// date1904, but a time-only cell becomes a date in 1899 or 1904, and the raw serial is gone), keeps
// only the last run of an inline rich-text string, reads boolean and error formula results as numbers
// (NaN for #N/A), ignores hidden rows and merged ranges, and decodes each chunk of UTF-8 on its own
// (a character split across two chunks became U+FFFD; checked in test/transform/parsers/xlsx.test.ts).
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Cell, RowBatch } from '../parsers/file-parser';
import { MalformedFileError } from '../malformed-file-error';
import type { CellText } from './cell-text';
import { RowBatcher } from './row-batcher';

export interface SheetRowsContext {
  // Text of shared string i (rich text already concatenated); undefined past the table's end.
  sharedString(index: number): string | undefined;
  // The number format code of cell style s (the `s` attribute), undefined for General.
  formatCode(style: number): string | undefined;
  cellText: CellText;
}

export interface SheetCounts {
  hiddenRows: number;
  mergedRanges: number;
  formulaCells: number;
}

interface OpenCell {
  column: number;
  type: string;
  style: number;
  formula: boolean;
  value: string | null;
  inline: string | null;
}

export async function* readSheetRows(xml: AsyncIterable<Buffer | string>, context: SheetRowsContext, counts: SheetCounts): AsyncGenerator<RowBatch> {
  const batcher = new RowBatcher();
  const parser = new SaxesParser({ xmlns: false, position: false });
  let parseError: Error | null = null;
  let row: Cell[] | null = null;
  let rowNumber = 0;
  let lastColumn = 0;
  let cell: OpenCell | null = null;
  // Text is collected only inside <v>, and inside <t> of an inline string (not its phonetic <rPh> runs).
  let capture: 'v' | 't' | null = null;
  let inInline = false;
  let inPhonetic = false;

  parser.on('error', (error) => {
    parseError ??= error;
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    switch (localName(tag.name)) {
      case 'row': {
        const r = tag.attributes.r;
        rowNumber = r === undefined ? rowNumber + 1 : Number(r);
        row = [];
        lastColumn = 0;
        const hidden = tag.attributes.hidden;
        if (hidden === '1' || hidden === 'true') counts.hiddenRows++;
        break;
      }
      case 'c': {
        if (row === null) break;
        const ref = tag.attributes.r;
        const column = ref === undefined ? lastColumn + 1 : columnOf(ref);
        lastColumn = column;
        cell = { column, type: tag.attributes.t ?? 'n', style: Number(tag.attributes.s ?? 0), formula: false, value: null, inline: null };
        break;
      }
      case 'f':
        if (cell) cell.formula = true;
        break;
      case 'v':
        if (cell) {
          capture = 'v';
          cell.value = '';
        }
        break;
      case 'is':
        if (cell) {
          inInline = true;
          cell.inline = '';
        }
        break;
      case 'rPh':
        inPhonetic = true;
        break;
      case 't':
        if (cell && inInline && !inPhonetic) capture = 't';
        break;
      case 'mergeCell':
        counts.mergedRanges++;
        break;
    }
  });
  parser.on('text', (text) => {
    if (cell === null || capture === null) return;
    if (capture === 'v') cell.value += text;
    else cell.inline += text;
  });
  parser.on('closetag', (tag) => {
    switch (localName(tag.name)) {
      case 'v':
      case 't':
        capture = null;
        break;
      case 'is':
        inInline = false;
        break;
      case 'rPh':
        inPhonetic = false;
        break;
      case 'c':
        if (row !== null && cell !== null) {
          if (cell.formula) counts.formulaCells++;
          row[cell.column - 1] = cellValue(cell, context, rowNumber);
        }
        cell = null;
        break;
      case 'row':
        if (row !== null) batcher.add(rowNumber, row);
        row = null;
        break;
    }
  });

  const decoder = new TextDecoder('utf-8');
  for await (const chunk of xml) {
    parser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (parseError) throw corrupt(parseError);
    yield* batcher.take();
  }
  parser.write(decoder.decode());
  parser.close();
  if (parseError) throw corrupt(parseError);
  yield* batcher.finish();
}

function cellValue(cell: OpenCell, context: SheetRowsContext, rowNumber: number): Cell {
  const { value } = cell;
  switch (cell.type) {
    case 'inlineStr':
      return unescapeXstring(cell.inline ?? value ?? '');
    case 's': {
      if (value === null) return null;
      const text = context.sharedString(Number(value));
      if (text === undefined) throw new MalformedFileError(`cell in sheet row ${rowNumber} refers to shared string ${value}, which the workbook does not have`);
      return text;
    }
    case 'str':
      return value === null ? null : unescapeXstring(value);
    case 'b':
      return value === null ? null : context.cellText.boolean(value === '1' || value === 'true');
    case 'e':
      return context.cellText.error();
    case 'd':
      // An ISO-8601 date written as such (Strict OOXML); staged as written.
      return value === null || value === '' ? null : value;
    default: {
      if (value === null || value.trim() === '') return null;
      const number = Number(value);
      if (Number.isNaN(number)) throw new MalformedFileError(`a number cell in sheet row ${rowNumber} holds "${value.slice(0, 40)}"`);
      return context.cellText.number(number, context.formatCode(cell.style));
    }
  }
}

// "AB12" → 28.
function columnOf(ref: string): number {
  let column = 0;
  for (let i = 0; i < ref.length; i++) {
    const code = ref.charCodeAt(i) | 0x20;
    if (code < 0x61 || code > 0x7a) break;
    column = column * 26 + (code - 0x60);
  }
  if (column === 0 || column > 16_384) throw new MalformedFileError(`a cell reference "${ref.slice(0, 20)}" names no column`);
  return column;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

// OOXML escapes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_); _x005F_ escapes
// a literal underscore before such a sequence.
export function unescapeXstring(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function corrupt(error: Error): MalformedFileError {
  return new MalformedFileError(`the worksheet's XML is corrupt: ${error.message.split('\n')[0]}`);
}
