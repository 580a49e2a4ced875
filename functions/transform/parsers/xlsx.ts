// .xlsx (Office Open XML workbook), streamed: the zip is read entry by entry as it arrives
// (unzipper, exceljs' zip reader), the workbook-wide parts with exceljs' part parsers
// (../excel/xlsx-workbook-parts.ts), and the chosen worksheet row by row with a SAX parser
// (../excel/xlsx-sheet-rows.ts), so memory does not grow with the row count; only with the
// shared-string table, which any reader needs whole.
// Excel writes the worksheets before sharedStrings.xml, so a worksheet that arrives before the
// strings (and styles) it refers to is spooled to a temporary file until they are read: the chosen
// one only (exceljs' own WorkbookReader spools every sheet, and leaves its files behind when the zip
// turns out corrupt). On Cloud Functions the temp folder is memory: that costs the chosen sheet's
// uncompressed XML while the rest of the zip is read, and it is removed when the parse ends, however
// it ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import unzipper, { type Entry } from 'unzipper';
import { CellText } from '../excel/cell-text';
import { ExpansionBudget } from '../excel/expansion-budget';
import { chooseSheet, hiddenSheetNames, type SheetEntry } from '../excel/choose-sheet';
import { CFB_SIGNATURE, EMPTY_ZIP_SIGNATURE, TrackedSource, ZIP_SIGNATURE, collectCapped, isSystemError, startsWith } from '../excel/source-bytes';
import { WorkbookParts, isWorksheetPart } from '../excel/xlsx-workbook-parts';
import { readSheetRows, type SheetCounts } from '../excel/xlsx-sheet-rows';
import { MalformedFileError } from '../malformed-file-error';
import type { FileParser, ParsedFile, ParseFacts, ParserInput, RowBatch } from './file-parser';

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
  const zip = unzipper.Parse({ forceStream: true });
  const bytes = Readable.from(source);
  // The source's error reaches the caller through source.racing(); unheard here it would crash the process.
  bytes.on('error', () => {});
  bytes.pipe(zip);
  const parts = new WorkbookParts();
  const budget = new ExpansionBudget(input.rule.limits, () => source.bytesRead);
  const counts: SheetCounts = { hiddenRows: 0, mergedRanges: 0, formulaCells: 0 };
  let spoolDir: string | null = null;
  // Worksheet parts kept for later (path in the zip → spool file), and whether the chosen one was read.
  const spooled = new Map<string, string>();
  let target: { sheet: SheetEntry; part: string | undefined } | null = null;
  let cellText: CellText | null = null;
  let done = false;

  const choose = () => {
    const sheets = parts.sheets();
    const sheet = sheets[chooseSheet(sheets, input.rule.sheet)]!;
    facts.sheet = sheet.name;
    const hidden = hiddenSheetNames(sheets);
    if (hidden.length > 0) facts.hiddenSheets = hidden;
    return { sheet, part: parts.partOf(sheet.name) };
  };
  const rows = (xml: AsyncIterable<Buffer>) => {
    cellText = new CellText({ date1904: parts.date1904, timeZone: input.rule.timeZone });
    return readSheetRows(source.racing(xml), { cellText, sharedString: (i) => parts.sharedString(i), formatCode: (s) => parts.formatCode(s) }, counts);
  };

  try {
    for await (const raw of source.racing(zip as AsyncIterable<Entry>)) {
      const name = raw.path;
      if (parts.isPart(name)) {
        await parts.read(name, budget.meter(raw, name));
        continue;
      }
      if (!isWorksheetPart(name) || done) {
        // Drained without inflating (unzipper skips the inflate for a drained entry).
        await raw.autodrain().promise();
        continue;
      }
      if (target === null && parts.structureKnown) target = choose();
      // A sheet that is not the chosen one is skipped; while it is not known which one is (the
      // workbook part comes later in this zip), every worksheet is kept.
      if (target !== null && target.part !== name) {
        await raw.autodrain().promise();
        continue;
      }
      const entry = budget.meter(raw, name);
      if (target !== null && parts.sharedStringsRead && parts.stylesRead) {
        yield* rows(entry);
        done = true;
        continue;
      }
      spoolDir ??= await fs.promises.mkdtemp(path.join(os.tmpdir(), 'sluice-xlsx-'));
      const file = path.join(spoolDir, `part-${spooled.size}.xml`);
      await pipeline(entry, fs.createWriteStream(file));
      spooled.set(name, file);
    }
    if (target === null) {
      if (!parts.structureKnown) throw new MalformedFileError('not an .xlsx workbook: it has no workbook part (xl/workbook.xml) or its relationships');
      target = choose();
    }
    if (!done) {
      const file = target.part === undefined ? undefined : spooled.get(target.part);
      if (file === undefined) throw new MalformedFileError(`the sheet "${target.sheet.name}" is not a worksheet this reader can read (a chart sheet, or a part missing from the zip)`);
      yield* rows(fs.createReadStream(file, { highWaterMark: 64 * 1024 }));
    }
  } catch (error) {
    if (source.error !== undefined) throw source.error;
    if (error instanceof MalformedFileError || isSystemError(error)) throw error;
    throw new MalformedFileError(`not a readable .xlsx workbook: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    zip.destroy();
    bytes.destroy();
    if (spoolDir !== null) await fs.promises.rm(spoolDir, { recursive: true, force: true });
  }
  facts.hiddenRows = counts.hiddenRows;
  facts.mergedRanges = counts.mergedRanges;
  facts.formulaCells = counts.formulaCells;
  const text = cellText as CellText | null;
  facts.errorCells = text?.errorCells ?? 0;
  const notes = text?.notes() ?? [];
  if (notes.length > 0) facts.notes = notes;
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
