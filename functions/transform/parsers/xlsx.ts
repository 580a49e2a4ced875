// .xlsx (Office Open XML workbook), streamed: the zip is read entry by entry as it arrives (exceljs'
// WorkbookReader, which also parses the shared strings, the styles and the workbook part: sheet
// names, visibility, the date1904 system) and the chosen worksheet is read row by row with a SAX
// parser (../excel/xlsx-sheet-rows.ts), so memory does not grow with the row count; it grows only
// with the shared-string table, which Excel needs whole anyway.
// Caveat: in most files (Excel's own order) the worksheets precede sharedStrings.xml in the zip, and
// the reader then spools each worksheet's XML to a temporary file until the strings are read; on
// Cloud Functions the temp folder is memory, so that costs the sheet's uncompressed XML size.
import type { Readable } from 'node:stream';
import { Readable as NodeReadable } from 'node:stream';
import ExcelJS from 'exceljs';
import { CellText } from '../excel/cell-text';
import { chooseSheet, hiddenSheetNames, type SheetEntry } from '../excel/choose-sheet';
import { CFB_SIGNATURE, EMPTY_ZIP_SIGNATURE, TrackedSource, ZIP_SIGNATURE, collectCapped, isSystemError, startsWith } from '../excel/source-bytes';
import { readSheetRows, type SheetCounts, unescapeXstring } from '../excel/xlsx-sheet-rows';
import { MalformedFileError } from '../malformed-file-error';
import type { FileParser, ParsedFile, ParseFacts, ParserInput, RowBatch } from './file-parser';

// What this parser uses of exceljs' reader beyond its published types (exceljs 4.4.0,
// lib/stream/xlsx/workbook-reader.js and worksheet-reader.js).
type SharedString = string | null | { richText: Array<{ text: string | null }> };
interface ReaderInternals {
  parse(): AsyncIterable<{ eventType: string; value: unknown }>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  sharedStrings?: SharedString[];
  styles: { getStyleModel(id: number): { numFmt?: string } | null };
  properties?: { model?: { date1904?: boolean } };
  model?: { sheets?: Array<{ name: string; state?: string; rId: string }> };
  workbookRels?: Array<{ Id: string; Target: string }>;
}
interface WorksheetReaderInternals {
  id: string | number;
  name: string;
  iterator: AsyncIterable<Buffer> & { destroy?: () => void; on?: (event: 'error', listener: () => void) => void };
}

const ReaderBase = (ExcelJS.stream.xlsx.WorkbookReader as unknown) as new (input: Readable, options: object) => ReaderInternals;

// exceljs decodes each chunk of sharedStrings.xml on its own, so a multi-byte character split across
// two chunks becomes U+FFFD; a stream with an encoding set hands it whole characters instead.
class WorkbookReader extends ReaderBase {
  override _parseSharedStrings(entry: Readable): AsyncGenerator<unknown> {
    entry.setEncoding('utf8');
    return super._parseSharedStrings(entry);
  }
}

export const xlsxParser: FileParser = {
  format: 'xlsx',
  async parse(input: ParserInput): Promise<ParsedFile> {
    if (!startsWith(input.head, ZIP_SIGNATURE)) throw await notAZip(input);
    const facts: ParseFacts = { format: 'xlsx' };
    // No NUL can be in XML text, but the _x0000_ escape of an OOXML string decodes to one.
    return { batches: readWorkbook(input, facts), facts: () => facts, mayHoldNul: true };
  },
};

async function* readWorkbook(input: ParserInput, facts: ParseFacts): AsyncGenerator<RowBatch> {
  const source = new TrackedSource(input.bytes);
  const stream = NodeReadable.from(source);
  // The source's error reaches the caller through source.racing(); unheard here it would crash the process.
  stream.on('error', () => {});
  const reader = new WorkbookReader(stream, {
    worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore',
  });
  const counts: SheetCounts = { hiddenRows: 0, mergedRanges: 0, formulaCells: 0 };
  let cellText: CellText | null = null;
  let target: SheetEntry | null = null;
  let found = false;
  try {
    for await (const { eventType, value } of source.racing(reader.parse())) {
      if (eventType !== 'worksheet') continue;
      const worksheet = value as WorksheetReaderInternals;
      if (target === null) {
        const sheets = listSheets(reader);
        target = sheets[chooseSheet(sheets, input.rule.sheet)]!;
        facts.sheet = target.name;
        const hidden = hiddenSheetNames(sheets);
        if (hidden.length > 0) facts.hiddenSheets = hidden;
      }
      if (found || worksheet.name !== target.name) {
        // Not the sheet wanted: an entry still in the zip is drained by the reader; a spooled one
        // is a file stream to close.
        // (The reader deletes the spool file right after, so a late open's ENOENT is expected.)
        worksheet.iterator.on?.('error', () => {});
        worksheet.iterator.destroy?.();
        continue;
      }
      found = true;
      cellText = new CellText({ date1904: reader.properties?.model?.date1904 === true, timeZone: input.rule.timeZone });
      yield* readSheetRows(source.racing(worksheet.iterator), sheetContext(reader, cellText), counts);
    }
  } catch (error) {
    if (source.error !== undefined) throw source.error;
    if (error instanceof MalformedFileError || isSystemError(error)) throw error;
    throw new MalformedFileError(`not a readable .xlsx workbook: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (target === null) throw new MalformedFileError('not an .xlsx workbook: it holds no worksheet (xl/worksheets/sheetN.xml)');
  if (!found) throw new MalformedFileError(`the sheet "${target.name}" is not a worksheet this reader can stream (a chart sheet, or a part missing from the zip)`);
  facts.hiddenRows = counts.hiddenRows;
  facts.mergedRanges = counts.mergedRanges;
  facts.formulaCells = counts.formulaCells;
  facts.errorCells = cellText!.errorCells;
  const notes = cellText!.notes();
  if (notes.length > 0) facts.notes = notes;
}

function listSheets(reader: ReaderInternals): SheetEntry[] {
  const sheets = reader.model?.sheets;
  if (!sheets) throw new MalformedFileError('not a streamable .xlsx workbook: its worksheets come before xl/workbook.xml in the zip');
  return sheets.map((s) => ({ name: s.name, hidden: s.state === 'hidden' || s.state === 'veryHidden' }));
}

function sheetContext(reader: ReaderInternals, cellText: CellText) {
  const strings = reader.sharedStrings ?? [];
  const formats = new Map<number, string | undefined>();
  return {
    cellText,
    sharedString(index: number): string | undefined {
      if (!(index in strings)) return undefined;
      const entry = strings[index];
      if (entry === null || entry === undefined) return '';
      const text = typeof entry === 'string' ? entry : entry.richText.map((run) => run.text ?? '').join('');
      return unescapeXstring(text);
    },
    formatCode(style: number): string | undefined {
      if (!formats.has(style)) formats.set(style, reader.styles.getStyleModel(style)?.numFmt);
      return formats.get(style);
    },
  };
}

// Not a zip: say what it is instead. Excel saves a password-protected workbook as an OLE2 compound
// file holding an EncryptedPackage stream; a legacy .xls is an OLE2 file holding a Workbook stream.
async function notAZip(input: ParserInput): Promise<MalformedFileError> {
  if (startsWith(input.head, EMPTY_ZIP_SIGNATURE)) return new MalformedFileError('not an .xlsx workbook: the zip is empty');
  if (!startsWith(input.head, CFB_SIGNATURE)) return new MalformedFileError('not an .xlsx workbook: the file is not a zip archive (corrupt, or another format)');
  const bytes = await collectCapped(input.bytes, input.size, input.rule.limits.maxFileBytes, 'an OLE2 compound file');
  // Loaded only here: SheetJS is large, and a streamed .xlsx never needs it.
  const { ENCRYPTED_MESSAGE, ole2Content } = await import('../excel/ole2-container');
  const content = ole2Content(bytes);
  if (content === 'encrypted-package') return new MalformedFileError(ENCRYPTED_MESSAGE);
  if (content === 'biff-workbook') {
    return new MalformedFileError("not an .xlsx workbook: it is a legacy Excel 97-2003 (.xls) workbook; use format 'xls' or 'auto'");
  }
  if (content === 'corrupt') return new MalformedFileError('not an .xlsx workbook: a corrupt OLE2 compound file');
  return new MalformedFileError('not an .xlsx workbook: an OLE2 compound file holding no workbook');
}
