// The seam every input format plugs into: raw bytes in, batches of cell rows out, plus what was
// learned about the file. Everything after the cells (header row choice, footer skipping, renames,
// header normalizing, type inference, the staged CSV) is shared by every format and lives outside
// the parsers (transform-file.ts). One file per format in this folder; `parsers/index.ts` maps each
// name of `fileFormats` (shared/pipeline-definition.ts) to its parser.
import type { Writable } from 'node:stream';
import type { FileFormat, ImportRule } from '../../../shared/pipeline-definition';
import type { TransformFileOptions, TransformSummary } from '../staged-rows';

// A cell as staged: text (numbers in plain decimal, dates and times ISO-8601, booleans true/false),
// or null for an empty cell (and for an error cell such as #N/A, which the parser counts).
export type Cell = string | null;

export interface RowBatch {
  // Consecutive rows of the source, blank ones included (as empty arrays or all-null rows), so that
  // row numbers stay right: rows[i] is source row firstRow + i. The reader takes them over: it trims
  // the cells in place, so a parser must not reuse a row array it has yielded.
  rows: Cell[][];
  // 1-based number of rows[0] in the source (the CSV record or the sheet's row number).
  firstRow: number;
}

// What the run record shows about how the file was read. Only what applies is set.
export interface ParseFacts {
  format: FileFormat;
  // Set when the format was detected from the content and differs from what the name says
  // (e.g. "an HTML table named .xls").
  detected?: string;
  encoding?: string;
  bom?: string | null;
  delimiter?: string;
  sheet?: string;
  hiddenSheets?: string[];
  hiddenRows?: number;
  mergedRanges?: number;
  formulaCells?: number;
  // Error cells (#N/A, #DIV/0!, …) staged as NULL.
  errorCells?: number;
  // Set by the shared row reader (transform-file.ts), not by parsers: the source row taken as the
  // header, the rows dropped as a footer (rows.skipFooter), and the empty row the data ended at
  // (rows.stopAtEmptyRow).
  headerRow?: number;
  footerRows?: number;
  endedAtRow?: number;
  // Anything else worth telling the operator, one short sentence each.
  notes?: string[];
}

export interface ParserInput {
  // The raw object's bytes, streamed (already expanded when it was compressed).
  bytes: AsyncIterable<Buffer>;
  // The first bytes of the stream (also the start of `bytes`), for signature checks.
  head: Buffer;
  rule: ImportRule;
  // The base name the rule matched (after .gz / zip member expansion).
  fileName: string;
  // The raw object's size in bytes when known (formats read whole check it against limits first).
  size?: number;
  // A single CSV record longer than this is refused rather than buffered.
  maxRecordChars?: number;
}

export interface ParsedFile {
  batches: AsyncIterable<RowBatch>;
  // Complete once `batches` is exhausted.
  facts(): ParseFacts;
  // Set when a cell of that source row held a NUL character (PostgreSQL text cannot hold one): the
  // shared row reader then checks values for it. Parsers that can never produce one leave it false.
  // Read once per batch, before its rows: set it no later than yielding the batch with such a row.
  readonly mayHoldNul?: boolean;
  // true: a data row must have exactly as many cells as the header (CSV: a ragged row is a broken
  // file). Otherwise (workbooks) a shorter row is padded with NULLs and empty cells past the header's
  // last column are dropped; only a value out there is an error.
  readonly strictWidth?: boolean;
}

// A problem at one row of the source, thrown by a parser's `batches`: the shared row reader turns it
// into a MalformedFileError naming the row as the user counts it (and the column, when known).
export class SourceRowError extends Error {
  override name = 'SourceRowError';
  // `problem` completes "row 3, column "x": …" (or "the header row has …"); `sourceRow` is 1-based
  // like RowBatch.firstRow; `column` is the 0-based cell index, when the problem is in one cell.
  constructor(readonly problem: string, readonly sourceRow: number, readonly column?: number) {
    super(`${problem} (source row ${sourceRow})`);
  }
}

// By name as well as by class (a parser bundled with its own copy of this module).
export function isSourceRowError(error: unknown): error is SourceRowError {
  return error instanceof SourceRowError || (error instanceof Error && error.name === 'SourceRowError' && typeof (error as SourceRowError).sourceRow === 'number');
}

export interface FileParser {
  readonly format: FileFormat;
  // Throws MalformedFileError (../malformed-file-error.ts) for a file that can never be read, naming
  // the row when there is one; any other error is the source's or the caller's to classify.
  parse(input: ParserInput): Promise<ParsedFile>;
  // Optional: the whole staging of the file, cells and all, when the parser can do it faster than
  // parse() + the shared row reader with the very same result (the CSV byte path). Writes the staged
  // CSV to `sink` and answers what transformFile would; destroys the sink when it throws.
  stage?(input: ParserInput, sink: Writable, options: TransformFileOptions): Promise<TransformSummary>;
}
