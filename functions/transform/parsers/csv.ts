// Delimited text: bytes → text (encoding from the BOM, else declared; invalid bytes found by the
// decoder) → records (papaparse, delimiter declared or detected among , ; tab |) → cell rows. Cells
// come out as the file has them (untrimmed: the shared row reader trims every format alike), except
// that numbers in decimal-comma notation are rewritten in plain decimal when the rule declares it.
import type { ImportRule } from '../../../shared/pipeline-definition';
import { decodeStream, NotTextError, UnknownEncodingError, type DecodedText } from '../decode-stream';
import { MalformedFileError } from '../malformed-file-error';
import { CsvFormatError, parseCsvStream, type ParsedCsv } from '../parse-csv-stream';
import { decimalCommaToPoint } from './decimal-comma';
import { SourceRowError, type FileParser, type ParsedFile, type ParserInput, type RowBatch } from './file-parser';

async function* rowsOf(parsed: ParsedCsv, rule: ImportRule): AsyncGenerator<RowBatch> {
  const decimalComma = rule.csv.decimal === ',';
  try {
    for await (const batch of parsed.batches) {
      const rows = decimalComma ? batch.records.map((record) => record.map(decimalCommaToPoint)) : batch.records;
      yield { rows, firstRow: batch.firstIndex + 1 };
    }
  } catch (error) {
    if (error instanceof CsvFormatError) throw new SourceRowError(error.message, error.recordIndex + 1, error.field);
    throw error;
  }
}

export const csvParser: FileParser = {
  format: 'csv',
  async parse(input: ParserInput): Promise<ParsedFile> {
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
  },
};
