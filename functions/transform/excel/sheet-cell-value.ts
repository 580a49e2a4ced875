// What one worksheet cell of an .xlsx holds → its staged value, the same for both readers of a
// worksheet's rows (the byte scanner, sheet-data-scanner.ts, and the saxes reader, sheet-rows-sax.ts),
// so a cell reads the same whichever of them read it.
import type { Cell } from '../parsers/file-parser';
import { MalformedFileError } from '../malformed-file-error';
import type { CellText } from './cell-text';
import type { RowBatcher } from './row-batcher';

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

// What both readers share while one worksheet is read: rows go to one batcher, and a row without
// an `r` attribute is numbered after the last row read, by whichever reader read that one.
export interface SheetRowsTarget {
  context: SheetRowsContext;
  counts: SheetCounts;
  batcher: RowBatcher;
  // The number of the last row read (0: none yet).
  rowNumber: number;
}

// The cell as its XML gave it: `t` and `s` attributes, the text of its <v> (null: no <v>) and of its
// inline string <is> (null: none).
export interface CellXml {
  type: string;
  style: number;
  value: string | null;
  inline: string | null;
}

export function cellValue(cell: CellXml, context: SheetRowsContext, rowNumber: number): Cell {
  const { value } = cell;
  switch (cell.type) {
    case 'inlineStr':
      return unescapeXstring(cell.inline ?? value ?? '');
    case 's': {
      if (value === null) return null;
      return sharedStringCell(Number(value), value, context, rowNumber);
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

// `written` is the <v> text the index came from, for the error.
function sharedStringCell(index: number, written: string, context: SheetRowsContext, rowNumber: number): Cell {
  const text = context.sharedString(index);
  if (text === undefined) throw new MalformedFileError(`cell in sheet row ${rowNumber} refers to shared string ${written}, which the workbook does not have`);
  return text;
}

// "AB12" → 28; 0 when the reference names no column, or one past Excel's last (XFD = 16,384).
export function columnOfRef(ref: string): number {
  let column = 0;
  for (let i = 0; i < ref.length; i++) {
    const code = ref.charCodeAt(i) | 0x20;
    if (code < 0x61 || code > 0x7a) break;
    column = column * 26 + (code - 0x60);
    if (column > MAX_COLUMN) return 0;
  }
  return column;
}

export const MAX_COLUMN = 16_384;

export function noColumnError(ref: string): MalformedFileError {
  return new MalformedFileError(`a cell reference "${ref.slice(0, 20)}" names no column`);
}

// OOXML escapes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_); _x005F_ escapes
// a literal underscore before such a sequence.
export function unescapeXstring(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
