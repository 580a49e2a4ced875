// Text → CSV records, chunk by chunk, with papaparse's incremental parser (Papa.Parser, the engine
// under Papa.parse's streaming modes). We drive it directly rather than through Papa.NODE_STREAM_INPUT
// because that duplex drops the parser's errors (an unterminated quote would pass silently) and the
// readable-stream mode keeps reading while paused. Here the consumer pulls, so memory stays bounded
// by one chunk plus one record.
import Papa from 'papaparse';
import { InvalidBytesError } from './byte-decoder';

export interface CsvParseOptions {
  // Declared delimiter; detected from the first chunk when absent.
  delimiter?: string;
  quote: string;
  // A single record longer than this is refused rather than buffered (almost always an unclosed quote).
  maxRecordChars?: number;
  // Records end at LF, whatever the text shows: the CSV byte path, handing over the rest of a file
  // whose line break it has already judged from the file's start (csv-bytes/stage-csv-bytes.ts).
  splitAtLf?: boolean;
}

export interface CsvRecordBatch {
  records: string[][];
  // 0-based position in the file of records[0], counting the header record and blank lines.
  firstIndex: number;
}

export interface ParsedCsv {
  delimiter: string;
  linebreak: string;
  batches: AsyncGenerator<CsvRecordBatch>;
}

export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
  // 0-based position of the offending record in the file, counting the header; `field`: the 0-based
  // field of that record, when the problem is in one (invalid bytes).
  constructor(message: string, readonly recordIndex: number, readonly field?: number) {
    super(message);
  }
}

// The text the delimiter and line break are judged from (at least this much: whole decoded chunks).
export const SAMPLE_CHARS = 64 * 1024;
// The parser is fed this much text per call, whatever size the stream's chunks are. Every record of a
// call stays alive until the whole batch is consumed; with big batches V8 sees most of papaparse's row
// arrays survive a scavenge while its young generation is still small (startup) and starts allocating
// them in old space, where, dead, they keep every field string they reference alive until a full GC.
const PARSE_CHARS = 16 * 1024;
const DEFAULT_MAX_RECORD_CHARS = 16 * 1024 * 1024;
const DELIMITERS_TO_GUESS = [',', ';', '\t', '|'];

interface PapaResult {
  data: string[][];
  errors: Array<{ code: string; message: string; row?: number }>;
  meta: { cursor: number; delimiter: string; linebreak: string };
}

// Papa wants the same number of fields on most lines; a title line above the header or notes below
// the data (one field each) make it give up. Then the candidate found on the most lines wins; none at
// all is a legitimate one-column file, read with ','.
function mostCommonDelimiter(lines: string): string {
  let best = ',';
  let bestLines = 0;
  const sample = lines.split('\n', 101).slice(0, 100);
  for (const candidate of DELIMITERS_TO_GUESS) {
    const count = sample.filter((line) => line.includes(candidate)).length;
    if (count > bestLines) {
      best = candidate;
      bestLines = count;
    }
  }
  return best;
}

// Delimiter and line break from a sample of whole lines, as Papa.parse would guess them.
export function sniff(sample: string, options: CsvParseOptions): { delimiter: string; linebreak: string } {
  const cut = sample.lastIndexOf('\n');
  const lines = cut > 0 ? sample.slice(0, cut + 1) : sample;
  const result = Papa.parse<string[]>(lines, {
    preview: 100,
    quoteChar: options.quote,
    delimiter: options.delimiter ?? '',
    delimitersToGuess: DELIMITERS_TO_GUESS,
    skipEmptyLines: true,
  });
  const undetectable = result.errors.some((e) => e.code === 'UndetectableDelimiter');
  const delimiter = options.delimiter ?? (undetectable ? mostCommonDelimiter(lines) : result.meta.delimiter);
  return { delimiter, linebreak: result.meta.linebreak || '\n' };
}

export async function parseCsvStream(text: AsyncIterable<string>, options: CsvParseOptions): Promise<ParsedCsv> {
  const iterator = text[Symbol.asyncIterator]();
  const maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  let pending = '';
  let ended = false;
  // Invalid bytes stop the text (decode-stream.ts): the records before them are still read, then the
  // record being read when they came is the one at fault.
  let invalid: InvalidBytesError | null = null;
  const pull = async (): Promise<IteratorResult<string>> => {
    try {
      return await iterator.next();
    } catch (error) {
      if (!(error instanceof InvalidBytesError)) throw error;
      invalid = error;
      return { done: true, value: undefined };
    }
  };
  while (pending.length < SAMPLE_CHARS) {
    const next = await pull();
    if (next.done) {
      ended = true;
      break;
    }
    pending += next.value;
  }
  const { delimiter, linebreak } = options.splitAtLf && options.delimiter ? { delimiter: options.delimiter, linebreak: '\n' } : sniff(pending, options);
  // A CRLF file is split at LF: files edited or appended by another tool mix CRLF and LF lines, and
  // split at CRLF a lone LF would glue two rows into one (corpus case mixed-eol). The CR left at the
  // end of an unquoted last field goes with the trimming of values (and blank lines, isBlankRecord);
  // papaparse already takes `"x"\r\n` as a closed quote.
  const newline = linebreak === '\r\n' ? '\n' : linebreak;
  const parser = new Papa.Parser({ delimiter, newline: newline as Papa.ParseConfig['newline'], quoteChar: options.quote });

  // The last parse call. Given text that ends with a line break (a small file read whole), papaparse
  // adds a record after it: an empty one that is not in the file (a streamed file's last call gets
  // only what follows its last line break, nothing). Dropped, so a file's rows do not depend on its
  // size (rows.stopAtEmptyRow would end the data at that phantom row).
  const finalParse = (input: string): PapaResult => {
    const result = parser.parse(input, 0, false) as PapaResult;
    const last = result.data[result.data.length - 1];
    if (input.endsWith(newline) && last?.length === 1 && last[0] === '' && result.meta.cursor === input.length) result.data.pop();
    return result;
  };

  let index = 0;
  // The records of one parse call. The records before a malformed one are yielded first, so the
  // reader has seen the rows above it (the header among them) when the error comes.
  function* take(result: PapaResult, final: boolean): Generator<CsvRecordBatch> {
    // Before the end, an error in the trailing partial record is not final: that record is parsed again
    // with the next chunk appended.
    const problem = result.errors.find((e) => (e.code === 'MissingQuotes' || e.code === 'InvalidQuotes') && (final || (e.row ?? Infinity) < result.data.length));
    if (problem) {
      const before = Math.min(problem.row ?? result.data.length, result.data.length);
      if (before > 0) yield { records: result.data.slice(0, before), firstIndex: index };
      index += before;
      const what = problem.code === 'MissingQuotes' ? 'a quoted field is never closed' : 'a quoted field has text after its closing quote';
      throw new CsvFormatError(`malformed CSV: ${what}`, index);
    }
    const batch = { records: result.data, firstIndex: index };
    index += result.data.length;
    yield batch;
  }

  // The text ended at invalid bytes: the complete records of `input` are read, then the error names
  // the partial one that follows them, and its field.
  function* failAt(input: string, error: InvalidBytesError): Generator<CsvRecordBatch> {
    const result = parser.parse(input, 0, true) as PapaResult;
    if (result.data.length > 0) yield* take(result, false);
    const partial = Papa.parse<string[]>(input.slice(result.meta.cursor), { delimiter, quoteChar: options.quote, newline: newline as Papa.ParseConfig['newline'] });
    const fields = partial.data[0]?.length ?? 1;
    throw new CsvFormatError(error.message, index, Math.max(0, fields - 1));
  }

  async function* batches(): AsyncGenerator<CsvRecordBatch> {
    try {
      if (ended && invalid) {
        yield* failAt(pending, invalid);
        return;
      }
      if (ended) {
        // The whole file came with the sample: one final parse.
        const result = finalParse(pending);
        pending = '';
        if (result.data.length > 0 || result.errors.length > 0) yield* take(result, true);
        return;
      }
      // Text received but not yet parsed: chunk[offset..]. The parser gets it PARSE_CHARS at a time.
      let chunk = pending;
      let offset = 0;
      // The last, possibly partial, record of the previous round, parsed again with the next piece.
      let rest = '';
      pending = '';
      for (;;) {
        if (offset < chunk.length) {
          // A record longer than a piece takes the rest of the chunk, so it is not re-parsed piece by piece.
          const end = rest.length < PARSE_CHARS ? Math.min(chunk.length, offset + PARSE_CHARS) : chunk.length;
          const input = rest + chunk.slice(offset, end);
          offset = end;
          const result = parser.parse(input, 0, true) as PapaResult;
          rest = input.slice(result.meta.cursor);
          if (result.data.length > 0) yield* take(result, false);
          // Judged once per received chunk, as the stream delivers it.
          if (offset === chunk.length && rest.length > maxRecordChars) {
            throw new CsvFormatError(`malformed CSV: a record runs past ${maxRecordChars} characters (unclosed quote?)`, index);
          }
          continue;
        }
        const next = await pull();
        if (!next.done) {
          chunk = next.value;
          offset = 0;
          continue;
        }
        if (invalid) {
          yield* failAt(rest, invalid);
          return;
        }
        const result = finalParse(rest);
        if (result.data.length > 0 || result.errors.length > 0) yield* take(result, true);
        return;
      }
    } finally {
      await iterator.return?.();
    }
  }

  return { delimiter, linebreak, batches: batches() };
}

// A blank line parses as one empty field (a lone CR for a blank CRLF line, see the newline above);
// such lines are skipped, not loaded as rows of NULLs.
export function isBlankRecord(record: readonly string[]): boolean {
  return record.length === 1 && (record[0] === '' || record[0] === '\r');
}
