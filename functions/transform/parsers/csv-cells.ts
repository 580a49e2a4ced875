// Delimited text as cells, through papaparse: bytes → text (encoding from the BOM, else declared;
// invalid bytes found by the decoder) → records (delimiter declared or detected among , ; tab |) →
// cell rows. Cells come out as the file has them (untrimmed: the shared row reader trims every format
// alike), except that numbers in decimal-comma notation are rewritten in plain decimal when the rule
// declares it. The path for every CSV the byte path (../csv-bytes/) does not stage itself, and where
// the byte path hands over a record it does not read.
import type { ImportRule } from '../../../shared/pipeline-definition';
import { byteDecoderFor } from '../byte-decoder';
import { decodeRest, decodeStream, NotTextError, UnknownEncodingError, type DecodedText } from '../decode-stream';
import { MalformedFileError } from '../malformed-file-error';
import { CsvFormatError, parseCsvStream, type ParsedCsv } from '../parse-csv-stream';
import { decimalCommaToPoint } from './decimal-comma';
import { SourceRowError, type ParsedFile, type ParserInput, type RowBatch } from './file-parser';

// `rowsBefore`: records of the file before the text's first one (the byte path's hand-over).
async function* rowsOf(parsed: ParsedCsv, rule: ImportRule, rowsBefore = 0): AsyncGenerator<RowBatch> {
  const decimalComma = rule.csv.decimal === ',';
  try {
    for await (const batch of parsed.batches) {
      const rows = decimalComma ? batch.records.map((record) => record.map(decimalCommaToPoint)) : batch.records;
      yield { rows, firstRow: rowsBefore + batch.firstIndex + 1 };
    }
  } catch (error) {
    if (error instanceof CsvFormatError) throw new SourceRowError(error.message, rowsBefore + error.recordIndex + 1, error.field);
    throw error;
  }
}

export async function parseCsvCells(input: ParserInput): Promise<ParsedFile> {
  const { rule } = input;
  let decoded: DecodedText;
  try {
    decoded = await decodeStream(input.bytes, rule.csv.encoding);
  } catch (error) {
    if (error instanceof UnknownEncodingError || error instanceof NotTextError) throw new MalformedFileError(error.message);
    throw error;
  }
  const parsed = await parseCsvStream(decoded.chunks, { delimiter: rule.csv.delimiter, quote: rule.csv.quote, maxRecordChars: input.maxRecordChars });
  return {
    batches: rowsOf(parsed, rule),
    facts: () => ({ format: 'csv', encoding: decoded.encoding, bom: decoded.bom, delimiter: parsed.delimiter }),
    get mayHoldNul() { return decoded.sawNul; },
    strictWidth: true,
  };
}

export interface CsvRest {
  batches: AsyncIterable<RowBatch>;
  readonly mayHoldNul: boolean;
}

// The rest of a UTF-8 file from a record's start, as cells: `first` and then the iterator's chunks,
// read with the delimiter already chosen and records split at LF, numbered after `rowsBefore`.
export async function continueCsvCells(iterator: AsyncIterator<unknown>, first: Buffer, rule: ImportRule, delimiter: string, rowsBefore: number, maxRecordChars?: number): Promise<CsvRest> {
  const decoded = decodeRest(iterator, first, false, byteDecoderFor('utf-8'));
  const parsed = await parseCsvStream(decoded.chunks, { delimiter, quote: rule.csv.quote, maxRecordChars, splitAtLf: true });
  return { batches: rowsOf(parsed, rule, rowsBefore), get mayHoldNul() { return decoded.sawNul; } };
}
