// Which source row is the header (rule.rows.header): a 1-based row number, the first row with at
// least `minCells` non-empty cells (skipping a title block above the header), or by default the first
// non-blank row. Rows above it are not data.
import type { ImportRule } from '../../shared/pipeline-definition';
import type { Cell } from './parsers/file-parser';

export interface HeaderRowChoice {
  // true when this row (the next one the reader saw) is the header.
  isHeader(row: readonly Cell[], sourceRow: number): boolean;
  // Why no row was the header, once the file ended without one.
  missing(lastRow: number): string;
}

export function nonEmptyCells(row: readonly Cell[]): number {
  let count = 0;
  for (const cell of row) if (cell !== null && cell.trim() !== '') count++;
  return count;
}

export function headerRowChoice(rule: ImportRule): HeaderRowChoice {
  const header = rule.rows.header;
  if (typeof header === 'number') {
    return {
      isHeader: (_row, sourceRow) => sourceRow >= header,
      missing: (lastRow) => lastRow === 0 ? 'the file is empty: no header row' : `the file has ${lastRow} rows; rows.header says the header is row ${header}`,
    };
  }
  if (header !== undefined) {
    const { minCells } = header;
    return {
      isHeader: (row) => nonEmptyCells(row) >= minCells,
      missing: () => `no row has at least ${minCells} non-empty cells (rows.header.minCells): no header row`,
    };
  }
  return {
    isHeader: (row) => nonEmptyCells(row) > 0,
    missing: () => 'the file is empty: no header row',
  };
}
