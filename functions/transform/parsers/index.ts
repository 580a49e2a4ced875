// Every format of `fileFormats` (shared/pipeline-definition.ts) → its parser. A Record, so a format
// added to the list without a parser fails the type check.
import type { FileFormat } from '../../../shared/pipeline-definition';
import { csvParser } from './csv';
import type { FileParser } from './file-parser';
import { notSupportedYet } from './not-supported-yet';

export const parsers: Record<FileFormat, FileParser> = {
  csv: csvParser,
  xlsx: notSupportedYet('xlsx'),
  xls: notSupportedYet('xls'),
  xlsb: notSupportedYet('xlsb'),
  ods: notSupportedYet('ods'),
  html: notSupportedYet('html'),
};

export function parserFor(format: FileFormat): FileParser {
  return parsers[format];
}
