// Every format of `fileFormats` (shared/pipeline-definition.ts) → its parser. A Record, so a format
// added to the list without a parser fails the type check.
import type { FileFormat } from '../../../shared/pipeline-definition';
import { csvParser } from './csv';
import type { FileParser } from './file-parser';
import { htmlParser } from './html';
import { odsParser } from './ods';
import { xlsParser } from './xls';
import { xlsbParser } from './xlsb';
import { xlsxParser } from './xlsx';

export const parsers: Record<FileFormat, FileParser> = {
  csv: csvParser,
  xlsx: xlsxParser,
  xls: xlsParser,
  xlsb: xlsbParser,
  ods: odsParser,
  html: htmlParser,
};

export function parserFor(format: FileFormat): FileParser {
  return parsers[format];
}
