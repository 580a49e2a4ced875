// The transform itself, storage-free: raw bytes in, normalized CSV text out (through a Writable the
// caller provides), plus what the sidecar needs. One pass: types are inferred while rows stream by,
// because the staged values do not depend on the types (values are only trimmed, empty → NULL).
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ColumnType, ImportRule } from '../../shared/pipeline-definition';
import { decodeStream, type DecodedText, NotTextError, UnknownEncodingError } from './decode-stream';
import { formatCsvLine } from './format-csv-line';
import { ColumnTypeInference, type TimeRange } from './infer-column-types';
import { MalformedFileError } from './malformed-file-error';
import { HeaderCollisionError, normalizeHeader } from './normalize-header';
import { CsvFormatError, isBlankRecord, parseCsvStream } from './parse-csv-stream';
import type { StagedColumn } from '../../shared/staged-sidecar';

export interface TransformSummary {
  columns: StagedColumn[];
  rows: number;
  timeRanges: Record<string, TimeRange>;
  encoding: string;
  bom: string | null;
  delimiter: string;
}

export interface TransformCsvOptions {
  maxRecordChars?: number;
}

// Flush the output in pieces of about this size: few enough writes, small enough buffers. As Latin-1
// text a piece stays under V8's large-object size (128 KiB): a bigger one, flattened for the write, is a
// large object, and one alive at a scavenge goes straight to old space (steady old-space growth).
const FLUSH_CHARS = 64 * 1024;
// PostgreSQL's limit on the columns of a table (MaxHeapAttributeNumber). A wider file could only fail
// at load, as SQLSTATE 54011; refused here it is quarantined at once, with the reason in its terms
// (corpus case cols-2000).
const MAX_COLUMNS = 1600;

// Throws MalformedFileError (with the data row when there is one) for a file to quarantine; any
// other error comes from the source or the sink and is for the caller to classify.
export async function transformCsv(raw: AsyncIterable<unknown>, rule: ImportRule, sink: Writable, options: TransformCsvOptions = {}): Promise<TransformSummary> {
  try {
    return await transformInto(raw, rule, sink, options);
  } catch (error) {
    // Abort the upload: nothing half-written may appear as a staged object.
    if (!sink.destroyed) sink.destroy();
    throw error;
  }
}

async function transformInto(raw: AsyncIterable<unknown>, rule: ImportRule, sink: Writable, options: TransformCsvOptions): Promise<TransformSummary> {
  const header = rule.csv.header;
  // Record index (0-based, header counted) → 1-based data row.
  const rowOf = (recordIndex: number) => (header ? recordIndex : recordIndex + 1);

  let decoded: DecodedText;
  try {
    decoded = await decodeStream(raw, rule.csv.encoding);
  } catch (error) {
    if (error instanceof UnknownEncodingError || error instanceof NotTextError) throw new MalformedFileError(error.message);
    throw error;
  }
  const parsed = await parseCsvStream(decoded.chunks, { delimiter: rule.csv.delimiter, quote: rule.csv.quote, maxRecordChars: options.maxRecordChars });

  // Set from the header row (or csv.columns); a holder object so the generators below see updates.
  const state: { columns: StagedColumn[] | null; inference: ColumnTypeInference | null; rows: number } = { columns: null, inference: null, rows: 0 };
  const setColumns = (sourceNames: string[], names: string[]): StagedColumn[] => {
    const declared: Record<string, ColumnType> = {};
    names.forEach((name, i) => {
      const type = rule.types[name] ?? rule.types[sourceNames[i] ?? ''];
      if (type) declared[name] = type;
    });
    state.columns = names.map((name, i) => ({ name, sourceName: sourceNames[i] ?? name, type: 'text' }));
    state.inference = new ColumnTypeInference(names, declared);
    return state.columns;
  };
  if (!header) {
    const names = [...(rule.csv.columns ?? [])];
    setColumns(names, names);
  }

  async function* output(): AsyncGenerator<string> {
    let buffer = '';
    let columns = state.columns;
    let inference = state.inference;
    for await (const batch of parsed.batches) {
      const { records, firstIndex } = batch;
      for (let r = 0; r < records.length; r++) {
        const record = records[r] as string[];
        if (isBlankRecord(record)) continue;
        if (columns === null || inference === null) {
          if (record.some((name) => name.includes('\uFFFD'))) {
            throw new MalformedFileError(`the header row has bytes that are not valid ${decoded.encoding}`);
          }
          const sourceNames = record.map((name) => name.trim());
          if (sourceNames.length > MAX_COLUMNS) {
            throw new MalformedFileError(`the header has ${sourceNames.length} columns; a PostgreSQL table holds at most ${MAX_COLUMNS}`);
          }
          try {
            columns = setColumns(sourceNames, normalizeHeader(sourceNames));
          } catch (error) {
            if (error instanceof HeaderCollisionError) throw new MalformedFileError(error.message);
            throw error;
          }
          inference = state.inference as ColumnTypeInference;
          buffer += formatCsvLine(columns.map((c) => c.name));
          continue;
        }
        const width = columns.length;
        const row = rowOf(firstIndex + r);
        // A byte-order mark opening a later line is where a second export was appended to the first
        // (its header usually follows): loading on would take that header as data (corpus case bom-mid).
        if ((record[0] as string).charCodeAt(0) === 0xfeff) {
          throw new MalformedFileError(`row ${row} starts with a byte-order mark: two files joined into one?`, row);
        }
        if (record.length !== width) {
          throw new MalformedFileError(`row ${row} has ${record.length} fields, the header has ${width}`, row);
        }
        const values: Array<string | null> = new Array(width);
        for (let i = 0; i < width; i++) {
          const value = (record[i] as string).trim();
          if (value === '') {
            values[i] = null;
          } else if (value.includes('\uFFFD')) {
            throw new MalformedFileError(`row ${row}, column "${columns[i]?.sourceName}": bytes that are not valid ${decoded.encoding}`, row);
          } else if (decoded.sawNul && value.includes('\u0000')) {
            // PostgreSQL text cannot hold NUL: COPY would refuse the file at load; here the reason names
            // the column too (corpus case nul-in-cell).
            throw new MalformedFileError(`row ${row}, column "${columns[i]?.sourceName}": a NUL character, which PostgreSQL text cannot hold`, row);
          } else {
            values[i] = value;
          }
        }
        inference.observe(values);
        buffer += formatCsvLine(values);
        state.rows++;
        if (buffer.length >= FLUSH_CHARS) {
          yield buffer;
          buffer = '';
        }
      }
    }
    if (columns === null) throw new MalformedFileError('the file is empty: no header row');
    // A header-only file is a legitimate "nothing today" export; a header-less file with no rows is just empty.
    if (!header && state.rows === 0) throw new MalformedFileError('the file is empty: no rows');
    if (buffer) yield buffer;
  }

  // Without a header row in the source, the staged CSV still gets one (load reads it with HEADER true).
  async function* withHeader(): AsyncGenerator<string> {
    if (!header && state.columns) yield formatCsvLine(state.columns.map((c) => c.name));
    yield* output();
  }

  try {
    await pipeline(Readable.from(withHeader(), { objectMode: false, highWaterMark: 1 }), sink);
  } catch (error) {
    if (error instanceof CsvFormatError) throw new MalformedFileError(`${error.message} (row ${rowOf(error.recordIndex)})`, rowOf(error.recordIndex));
    throw error;
  }

  if (!state.columns || !state.inference) throw new MalformedFileError('the file is empty: no header row');
  const inferred = state.inference.result();
  const finalColumns = state.columns.map((c, i) => ({ ...c, type: inferred.types[i] as ColumnType }));
  return { columns: finalColumns, rows: state.rows, timeRanges: inferred.timeRanges, encoding: decoded.encoding, bom: decoded.bom, delimiter: parsed.delimiter };
}
