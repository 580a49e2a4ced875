// One worksheet part of an .xlsx (xl/worksheets/sheetN.xml) → RowBatches, streamed so memory stays
// flat at any row count. Two readers share the work: the SAX reader (sheet-rows-sax.ts, saxes) reads
// the whole part's structure, and a byte scanner (sheet-data-scanner.ts) reads the rows of
// <sheetData> in between, several times faster, for as long as they have the shape it knows; where
// they stop having it, the SAX reader reads on from that row. exceljs' WorkbookReader finds the part
// and reads the workbook-wide parts (shared strings, styles, date system); its own worksheet parser
// is not used, because it turns date-formatted numbers into JS Dates by its own format test (it does
// honour date1904, but a time-only cell becomes a date in 1899 or 1904, and the raw serial is gone),
// keeps only the last run of an inline rich-text string, reads boolean and error formula results as
// numbers (NaN for #N/A), ignores hidden rows and merged ranges, and decodes each chunk of UTF-8 on
// its own (a character split across two chunks became U+FFFD; checked in
// test/transform/parsers/xlsx.test.ts).
import type { RowBatch } from '../parsers/file-parser';
import { RowBatcher } from './row-batcher';
import { HAND_OVER, SheetDataScanner } from './sheet-data-scanner';
import { SaxSheetRows } from './sheet-rows-sax';
import type { SheetCounts, SheetRowsContext, SheetRowsTarget } from './sheet-cell-value';

export type { SheetCounts, SheetRowsContext } from './sheet-cell-value';

export interface SheetRowsOptions {
  // false: the SAX reader reads everything (tests compare the two readers with it).
  scanRows?: boolean;
  // Told how many rows the byte scanner read, at the end (tests).
  onScanned?: (rows: number) => void;
}

// 'head': the SAX reader reads up to <sheetData>; 'rows': the scanner reads; 'sax': the SAX reader to the end.
type Phase = 'head' | 'rows' | 'sax';

const SHEET_DATA = Buffer.from('<sheetData>');
// Bytes of unread rows the scanner holds at most; a row longer than that goes to the SAX reader
// (the scanner reads a row once it has all of it, and joining chunks for a long one would cost
// time and memory without end).
const MAX_HELD_BYTES = 1 << 20;

export async function* readSheetRows(xml: AsyncIterable<Buffer | string>, context: SheetRowsContext, counts: SheetCounts, options: SheetRowsOptions = {}): AsyncGenerator<RowBatch> {
  const target: SheetRowsTarget = { context, counts, batcher: new RowBatcher(), rowNumber: 0 };
  const sax = new SaxSheetRows(target);
  const scanner = new SheetDataScanner(target);
  let phase: Phase = options.scanRows === false ? 'sax' : 'head';
  // Bytes not yet read by either.
  let held: Buffer = Buffer.alloc(0);
  const joined = new JoinedChunks();

  const readHead = (): Phase => {
    for (;;) {
      const at = held.indexOf(SHEET_DATA);
      if (at < 0) {
        // Everything but what could be the start of "<sheetData>".
        const keep = Math.max(0, held.length - (SHEET_DATA.length - 1));
        sax.write(held.subarray(0, keep));
        held = held.subarray(keep);
        return 'head';
      }
      const after = at + SHEET_DATA.length;
      sax.write(held.subarray(0, after));
      held = held.subarray(after);
      // Not the start tag when the SAX reader did not just read one (those bytes were in a comment,
      // say): looked for again further on.
      if (sax.sheetDataJustOpened) return 'rows';
    }
  };
  const readRows = (last: boolean): Phase => {
    const [at, reason] = scanner.scan(held, 0);
    held = held.subarray(at);
    if (reason !== HAND_OVER && !last && held.length <= MAX_HELD_BYTES) return 'rows';
    sax.write(held);
    held = Buffer.alloc(0);
    return 'sax';
  };

  for await (const chunk of xml) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (phase === 'sax') {
      sax.write(bytes);
    } else if (phase === 'head') {
      held = held.length === 0 ? bytes : Buffer.concat([held, bytes]);
      phase = readHead();
      if (phase === 'rows') phase = readRows(false);
    } else {
      held = joined.join(held, bytes);
      phase = readRows(false);
    }
    yield* target.batcher.take();
  }
  if (phase === 'head') sax.write(held);
  if (phase === 'rows') readRows(true);
  sax.end();
  options.onScanned?.(scanner.rowsRead);
  yield* target.batcher.finish();
}

// The start of a row the last chunk ended in, joined to the next chunk, in one buffer kept for the
// whole part: a new buffer per chunk (Buffer.concat) is garbage outside the JS heap, which the GC
// frees late, and it showed in the transform's peak RSS.
class JoinedChunks {
  private buffer = Buffer.alloc(0);

  join(rest: Buffer, chunk: Buffer): Buffer {
    if (rest.length === 0) return chunk;
    const length = rest.length + chunk.length;
    if (this.buffer.length < length) {
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * this.buffer.length, 64 * 1024));
      rest.copy(grown, 0);
      this.buffer = grown;
    } else {
      // `rest` may lie in this buffer, further on: copy moves overlapping bytes correctly (memmove).
      rest.copy(this.buffer, 0);
    }
    chunk.copy(this.buffer, rest.length);
    return this.buffer.subarray(0, length);
  }
}
