// Delimited text. Cells through papaparse (csv-cells.ts) for parse(); stage() takes the byte path
// (../csv-bytes/) for the files it reads exactly as papaparse would (UTF-8, '"' quotes, '.'
// decimals, no footer), about three times faster, and the cell path for the rest.
import { stageCsvBytes } from '../csv-bytes/stage-csv-bytes';
import type { FileParser } from './file-parser';
import { parseCsvCells } from './csv-cells';

export const csvParser: FileParser = {
  format: 'csv',
  parse: parseCsvCells,
  stage: stageCsvBytes,
};
