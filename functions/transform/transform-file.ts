// Everything after the cells, shared by every format: a parser's rows (parsers/file-parser.ts) → the
// staged CSV (through a Writable the caller provides) plus what the sidecar and the run record need.
// Header row choice and renames, footer skipping, width/NUL checks, type inference over the whole
// stream (one pass: the staged values do not depend on the types: only trimmed, empty → NULL).
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImportRule } from '../../shared/pipeline-definition';
import type { StagedColumn } from '../../shared/staged-sidecar';
import { formatCsvLine, formatTypedCsvLine } from './format-csv-line';
import { headerRowChoice, nonEmptyCells } from './header-row';
import { ColumnTypeInference, type TimeRange } from './infer-column-types';
import { MalformedFileError } from './malformed-file-error';
import { isSourceRowError, type Cell, type ParsedFile, type ParseFacts, type SourceRowError } from './parsers/file-parser';
import { stagedColumnsOf } from './staged-columns';

export interface TransformSummary {
  columns: StagedColumn[];
  rows: number;
  timeRanges: Record<string, TimeRange>;
  // How the source was read, for the run record and the log (not the sidecar).
  facts: ParseFacts;
}

export interface TransformFileOptions {
  // Set when the format was detected from the content and differs from what the name says.
  detected?: string;
}

// Flush the output in pieces of about this size: few enough writes, small enough buffers. As Latin-1
// text a piece stays under V8's large-object size (128 KiB): a bigger one, flattened for the write, is a
// large object, and one alive at a scavenge goes straight to old space (steady old-space growth).
const FLUSH_CHARS = 64 * 1024;

// Whether String.prototype.trim could change the value: only when it starts or ends with a character
// outside printable ASCII (trim strips Unicode spaces too, such as U+00A0, U+3000 and U+FEFF). The
// usual value then skips the call.
function mayNeedTrim(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first <= 0x20 || first >= 0x7f || last <= 0x20 || last >= 0x7f;
}

// Trimmed values, empty → NULL, written over the row's own cells (the reader owns the rows a parser
// yields: no second array per row); null for a row without any value (a blank row).
function valuesOf(row: Cell[]): Array<string | null> | null {
  const n = row.length;
  let any = false;
  for (let i = 0; i < n; i++) {
    const cell = row[i];
    if (cell === null || cell === undefined) {
      row[i] = null;
      continue;
    }
    const value = cell.length > 0 && mayNeedTrim(cell) ? cell.trim() : cell;
    if (value === '') row[i] = null;
    else {
      row[i] = value;
      any = true;
    }
  }
  return any ? row : null;
}

interface HeldRow {
  values: Array<string | null>;
  first: Cell | undefined;
  sourceRow: number;
}

function withoutUndefined(facts: ParseFacts): ParseFacts {
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as unknown as ParseFacts;
}

// Throws MalformedFileError (with the data row when there is one) for a file to quarantine; any
// other error comes from the source or the sink and is for the caller to classify.
export async function transformFile(parsed: ParsedFile, rule: ImportRule, sink: Writable, options: TransformFileOptions = {}): Promise<TransformSummary> {
  try {
    return await transformInto(parsed, rule, sink, options);
  } catch (error) {
    // Abort the upload: nothing half-written may appear as a staged object.
    if (!sink.destroyed) sink.destroy();
    throw error;
  }
}

async function transformInto(parsed: ParsedFile, rule: ImportRule, sink: Writable, options: TransformFileOptions): Promise<TransformSummary> {
  const headerless = !rule.csv.header;
  const strictWidth = parsed.strictWidth === true;
  const choice = headerRowChoice(rule);
  const skipFooter = rule.rows.skipFooter;
  const state = {
    columns: null as StagedColumn[] | null,
    inference: null as ColumnTypeInference | null,
    rows: 0,
    headerRow: 0,
    lastRow: 0,
    footerRows: 0,
    endedAtRow: undefined as number | undefined,
    notes: [] as string[],
  };

  const setColumns = (sourceNames: string[]): StagedColumn[] => {
    const staged = stagedColumnsOf(sourceNames, rule);
    for (const key of staged.unusedRenames) state.notes.push(`rename "${key}" matched no column`);
    state.columns = staged.columns;
    state.inference = new ColumnTypeInference(staged.columns.map((c) => c.name), staged.declared);
    return staged.columns;
  };
  if (headerless) setColumns([...(rule.csv.columns ?? [])]);

  // Rows as the user counts them: data rows from 1 below the header (or from the top without one),
  // and the row of the source as well when the header is not its first row (a title block above).
  const dataRow = (sourceRow: number) => (headerless ? sourceRow : sourceRow - state.headerRow);
  const rowName = (sourceRow: number) => {
    const row = dataRow(sourceRow);
    return !headerless && state.headerRow > 1 ? `row ${row} (source row ${sourceRow})` : `row ${row}`;
  };

  const fromSourceRowError = (error: SourceRowError): MalformedFileError => {
    const columns = state.columns;
    if (!headerless && (columns === null || error.sourceRow <= state.headerRow)) {
      const headerAt = columns !== null ? state.headerRow : typeof rule.rows.header === 'number' ? rule.rows.header : 0;
      if (error.sourceRow < headerAt) return new MalformedFileError(`${error.problem} (source row ${error.sourceRow}, above the header)`);
      return new MalformedFileError(error.column !== undefined ? `the header row has ${error.problem}` : `${error.problem} (the header row)`);
    }
    const row = dataRow(error.sourceRow);
    const column = error.column !== undefined ? columns?.[error.column] : undefined;
    if (column) return new MalformedFileError(`${rowName(error.sourceRow)}, column "${column.sourceName}": ${error.problem}`, row);
    return new MalformedFileError(`${error.problem} (${rowName(error.sourceRow)})`, row);
  };

  async function* output(): AsyncGenerator<string> {
    let buffer = '';
    let columns = state.columns;
    let inference = state.inference;
    if (headerless && columns) buffer += formatCsvLine(columns.map((c) => c.name));
    // Read once per batch: a parser sets it before it yields the rows that hold a NUL.
    let mayHoldNul = false;
    let width = columns?.length ?? 0;
    const held: HeldRow[] = [];

    // One data row, checked and written.
    const emit = (values: Array<string | null>, first: Cell | undefined, sourceRow: number) => {
      const cols = columns as StagedColumn[];
      // A byte-order mark opening a later line is where a second export was appended to the first
      // (its header usually follows): loading on would take that header as data (corpus case bom-mid).
      if (typeof first === 'string' && first.charCodeAt(0) === 0xfeff) {
        throw new MalformedFileError(`${rowName(sourceRow)} starts with a byte-order mark: two files joined into one?`, dataRow(sourceRow));
      }
      if (values.length !== width) {
        if (strictWidth) throw new MalformedFileError(`${rowName(sourceRow)} has ${values.length} fields, the header has ${width}`, dataRow(sourceRow));
        if (values.length < width) {
          for (let i = values.length; i < width; i++) values.push(null);
        } else {
          for (let i = width; i < values.length; i++) {
            if (values[i] !== null) throw new MalformedFileError(`${rowName(sourceRow)} has a value in column ${i + 1}, past the header's ${width} columns`, dataRow(sourceRow));
          }
          values.length = width;
        }
      }
      if (mayHoldNul) {
        for (let i = 0; i < width; i++) {
          // PostgreSQL text cannot hold NUL: COPY would refuse the file at load; here the reason names
          // the column too (corpus case nul-in-cell).
          if (values[i]?.includes('\u0000')) {
            throw new MalformedFileError(`${rowName(sourceRow)}, column "${cols[i]?.sourceName}": a NUL character, which PostgreSQL text cannot hold`, dataRow(sourceRow));
          }
        }
      }
      (inference as ColumnTypeInference).observe(values);
      buffer += formatTypedCsvLine(values, (inference as ColumnTypeInference).typed);
      state.rows++;
    };

    try {
      reading: for await (const batch of parsed.batches) {
        const rows = batch.rows;
        mayHoldNul = parsed.mayHoldNul === true;
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r] as Cell[];
          const sourceRow = batch.firstRow + r;
          if (columns === null) {
            if (nonEmptyCells(row) > 0) state.lastRow = sourceRow;
            if (!choice.isHeader(row, sourceRow)) continue;
            state.headerRow = sourceRow;
            if (nonEmptyCells(row) === 0) throw new MalformedFileError(`row ${sourceRow}, the header row (rows.header), is empty`);
            let cells = row;
            // A sheet's used range often runs past the last header: those empty cells are not columns.
            if (!strictWidth) {
              let end = cells.length;
              while (end > 0 && nonEmptyCells([cells[end - 1] ?? null]) === 0) end--;
              cells = cells.slice(0, end);
            }
            columns = setColumns(cells.map((cell) => (cell ?? '').trim()));
            inference = state.inference;
            width = columns.length;
            buffer += formatCsvLine(columns.map((c) => c.name));
            continue;
          }
          const first = row[0];
          const values = valuesOf(row);
          if (values === null) {
            if (rule.rows.stopAtEmptyRow) {
              state.endedAtRow = sourceRow;
              break reading;
            }
            continue;
          }
          if (skipFooter === 0) emit(values, first, sourceRow);
          else {
            // The last `skipFooter` rows with values are held back until the file shows more rows
            // below them: at the end, the ones still held are the footer.
            held.push({ values, first, sourceRow });
            if (held.length > skipFooter) {
              const next = held.shift() as HeldRow;
              emit(next.values, next.first, next.sourceRow);
            }
          }
          if (buffer.length >= FLUSH_CHARS) {
            yield buffer;
            buffer = '';
          }
        }
      }
    } catch (error) {
      if (isSourceRowError(error)) throw fromSourceRowError(error);
      throw error;
    }
    state.footerRows = held.length;
    if (columns === null) throw new MalformedFileError(choice.missing(state.lastRow));
    // A header-only file is a legitimate "nothing today" export; a header-less file with no rows is just empty.
    if (headerless && state.rows === 0) throw new MalformedFileError('the file is empty: no rows');
    if (buffer) yield buffer;
  }

  await pipeline(Readable.from(output(), { objectMode: false, highWaterMark: 1 }), sink);

  if (!state.columns || !state.inference) throw new MalformedFileError('the file is empty: no header row');
  const inferred = state.inference.result();
  const columns = state.columns.map((c, i) => ({ ...c, type: inferred.types[i] ?? 'text' }));
  const source = parsed.facts();
  const facts = withoutUndefined({
    ...source,
    detected: options.detected ?? source.detected,
    headerRow: headerless ? undefined : state.headerRow,
    footerRows: skipFooter > 0 ? state.footerRows : undefined,
    endedAtRow: state.endedAtRow,
    notes: [...(source.notes ?? []), ...state.notes].length > 0 ? [...(source.notes ?? []), ...state.notes] : undefined,
  });
  return { columns, rows: state.rows, timeRanges: inferred.timeRanges, facts };
}
