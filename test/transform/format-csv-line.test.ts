import { describe, expect, it } from 'vitest';
import { formatCsvLine, formatTypedCsvLine } from '../../functions/transform/format-csv-line';
import { ColumnTypeInference } from '../../functions/transform/infer-column-types';

const NEEDS_QUOTES = /[",\r\n\\]/;

describe('formatCsvLine', () => {
  it('writes NULL as nothing, an empty string as "", and quotes what COPY would misread', () => {
    expect(formatCsvLine([null, '', 'a', 'x,y', 'say "hi"', 'two\nlines', 'cr\r', '\\.', 'é'])).toBe(
      ',"",a,"x,y","say ""hi""","two\nlines","cr\r","\\.",é\n',
    );
  });
});

describe('formatTypedCsvLine', () => {
  it("gives the same line as formatCsvLine, with typed columns left unchecked", () => {
    const rows: Array<Array<string | null>> = [
      ['1', 'Airport "T2"', '2024-01-02 03:04:05', null, 'true'],
      ['-2.5e3', 'Uptown, North', '2024-01-02T03:04:05.123', 'note\nmore', 'no'],
      ['0', '', '2024-01-02', '\\N', 'T'],
      ['12', 'Mall', '2024-02-29 00:00', 'ünïcödé "q"', null],
    ];
    const inference = new ColumnTypeInference(['a', 'b', 'c', 'd', 'e']);
    for (const row of rows) {
      const expected = formatCsvLine(row);
      inference.observe(row);
      expect(formatTypedCsvLine(row, inference.typed)).toBe(expected);
    }
    // Typed columns: the number, date and boolean ones.
    expect([...inference.typed]).toEqual([1, 0, 1, 0, 1]);
  });

  it('skips the check only where no typed value can need quotes', () => {
    // Every value a column keeps its typed flag for is a number, boolean, date or time shape.
    const typedValues = ['1', '-0.5', '1e+10', 'yes', 'F', '2024-01-02', '2024-01-02 03:04', '2024-01-02T03:04:05.123456-08:00', '2024-01-02 03:04:05Z'];
    for (const value of typedValues) {
      const inference = new ColumnTypeInference(['x']);
      inference.observe([value]);
      expect({ value, typed: inference.typed[0] }).toEqual({ value, typed: 1 });
      expect(NEEDS_QUOTES.test(value)).toBe(false);
    }
  });
});
