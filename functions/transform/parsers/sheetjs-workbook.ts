// The workbook formats read whole by SheetJS: XLS (BIFF8), XLSB, ODS, HTML tables. The reader is
// @e965/xlsx 0.20.3, a republication on npm of SheetJS' own 0.20.3 build: npm's `xlsx` stopped at
// 0.18.5, which has the prototype pollution CVE-2023-30533 (fixed in 0.19.3) and the ReDoS
// CVE-2024-22363 (fixed in 0.20.2); 0.20.3 has both fixes. Since the input is untrusted and read whole
// into memory, a file over `limits.maxFileBytes` is refused before it is read (by its declared size,
// and by counting bytes while collecting), and SheetJS is asked for as little as possible: cached
// values only (no formula text), no VBA, no HTML rendering of cells, no formatted text, dense sheets.
// BIFF8 itself holds at most 65,536 rows, so a .xls is small by construction.
import XLSX from '@e965/xlsx';
import type { FileFormat } from '../../../shared/pipeline-definition';
import { CellText } from '../excel/cell-text';
import { chooseSheet, hiddenSheetNames, type SheetEntry } from '../excel/choose-sheet';
import { RowBatcher } from '../excel/row-batcher';
import { ENCRYPTED_MESSAGE, ole2Content } from '../excel/ole2-container';
import { CFB_SIGNATURE, collectCapped, startsWith } from '../excel/source-bytes';
import { MalformedFileError } from '../malformed-file-error';
import type { Cell, FileParser, ParsedFile, ParseFacts, ParserInput, RowBatch } from './file-parser';

export interface SheetjsFormat {
  format: FileFormat;
  // What the file is called in messages ("an Excel 97-2003 (.xls) workbook").
  label: string;
  // Whether the first bytes can be this format; SheetJS reads almost anything (falling back to CSV
  // or plain text), so the format is checked first and a file of another kind is refused as such.
  accepts(head: Buffer): boolean;
  // HTML cells are text: SheetJS would otherwise guess numbers and dates from the cell text.
  cellsAreText?: boolean;
}

export function sheetjsParser(kind: SheetjsFormat): FileParser {
  return {
    format: kind.format,
    async parse(input: ParserInput): Promise<ParsedFile> {
      if (!kind.accepts(input.head)) throw new MalformedFileError(`not ${kind.label}: its first bytes say otherwise (corrupt, or another format)`);
      const bytes = await collectCapped(input.bytes, input.size, input.rule.limits.maxFileBytes, kind.label);
      if (startsWith(bytes, CFB_SIGNATURE)) {
        // SheetJS' own messages for these are misleading ("Unsupported ZIP encryption" for a corrupt one).
        const content = ole2Content(bytes);
        if (content === 'encrypted-package') throw new MalformedFileError(ENCRYPTED_MESSAGE);
        if (content === 'corrupt') throw new MalformedFileError(`cannot be read as ${kind.label}: a corrupt OLE2 compound file`);
      }
      const workbook = readWorkbook(bytes, kind);
      const facts: ParseFacts = { format: kind.format };
      const rows = sheetRows(workbook, input, kind, facts);
      // BIFF and XLSB strings are any UTF-16, U+0000 included.
      return { batches: rows, facts: () => facts, mayHoldNul: true };
    },
  };
}

function readWorkbook(bytes: Buffer, kind: SheetjsFormat): XLSX.WorkBook {
  try {
    return XLSX.read(bytes, {
      type: 'buffer',
      dense: true,
      cellFormula: false,
      cellHTML: false,
      cellText: false,
      cellDates: false,
      cellNF: true,
      cellStyles: true,
      bookVBA: false,
      bookFiles: false,
      bookDeps: false,
      raw: kind.cellsAreText === true,
      WTF: false,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // BIFF8 with a FILEPASS record: "File is password-protected".
    if (/password/i.test(message)) throw new MalformedFileError(ENCRYPTED_MESSAGE);
    throw new MalformedFileError(`cannot be read as ${kind.label}: ${message.split('\n')[0]}`);
  }
}

async function* sheetRows(workbook: XLSX.WorkBook, input: ParserInput, kind: SheetjsFormat, facts: ParseFacts): AsyncGenerator<RowBatch> {
  const sheets: SheetEntry[] = workbook.SheetNames.map((name, i) => ({ name, hidden: (workbook.Workbook?.Sheets?.[i]?.Hidden ?? 0) !== 0 }));
  const chosen = sheets[chooseSheet(sheets, input.rule.sheet)]!;
  facts.sheet = chosen.name;
  const hidden = hiddenSheetNames(sheets);
  if (hidden.length > 0) facts.hiddenSheets = hidden;
  const sheet = workbook.Sheets[chosen.name];
  if (!sheet) throw new MalformedFileError(`the sheet "${chosen.name}" holds no cells this reader understands (a chart sheet?)`);
  const cellText = new CellText({ date1904: workbook.Workbook?.WBProps?.date1904 === true, timeZone: input.rule.timeZone });
  const batcher = new RowBatcher();
  // Dense sheets keep rows in `!data`, indexed by the 0-based sheet row.
  const data = (sheet['!data'] ?? []) as Array<Array<XLSX.CellObject | undefined> | undefined>;
  for (let r = 0; r < data.length; r++) {
    const source = data[r];
    if (!source) continue;
    const cells: Cell[] = [];
    for (let c = 0; c < source.length; c++) {
      const cell = source[c];
      cells[c] = cell ? cellValue(cell, cellText) : null;
    }
    batcher.add(r + 1, cells);
    yield* batcher.take();
  }
  yield* batcher.finish();
  facts.hiddenRows = (sheet['!rows'] ?? []).filter((row) => row?.hidden === true).length;
  facts.mergedRanges = sheet['!merges']?.length ?? 0;
  facts.errorCells = cellText.errorCells;
  const notes = cellText.notes();
  if (notes.length > 0) facts.notes = notes;
}

function cellValue(cell: XLSX.CellObject, cellText: CellText): Cell {
  switch (cell.t) {
    case 'n':
      if (typeof cell.v !== 'number') return null;
      return cellText.number(cell.v, typeof cell.z === 'string' ? cell.z : undefined);
    case 'b':
      return cellText.boolean(cell.v === true);
    case 'e':
      return cellText.error();
    case 's':
      return typeof cell.v === 'string' ? cell.v : null;
    case 'd':
      // Only when a reader hands back a JS Date despite cellDates: false; its UTC fields are the wall clock.
      return cell.v instanceof Date ? cell.v.toISOString().replace(/\.000Z$/, 'Z') : null;
    default:
      return null;
  }
}
