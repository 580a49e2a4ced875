import { describe, expect, it } from 'vitest';
import { decimalCommaToPoint } from '../../functions/transform/parsers/decimal-comma';

describe('decimalCommaToPoint', () => {
  it('rewrites numbers in decimal-comma notation', () => {
    expect(['1,5', '-0,25', '+3,0', '1.234,56', '1.234.567', '1 234,5', '12\u00a0345', '1\u202f000,01', ' 2,5 '].map(decimalCommaToPoint))
      .toEqual(['1.5', '-0.25', '+3.0', '1234.56', '1234567', '1234.5', '12345', '1000.01', '2.5']);
  });

  it('leaves everything else exactly as it is', () => {
    for (const cell of ['12', '007', 'abc', '1,2,3', '1.23,4', '01.02.2024', '12,5 kg', '1.5', '1.2345,6', '1 23,4', '1.234 567', '', '  ', 'x1,5']) {
      expect(decimalCommaToPoint(cell)).toBe(cell);
    }
  });
});
