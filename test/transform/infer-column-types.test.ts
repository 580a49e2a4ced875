import { describe, expect, it } from 'vitest';
import {
  ColumnTypeInference, DECIMAL_SHAPE, INTEGER_RE, INTEGER_SHAPE, NOT_A_NUMBER, NUMERIC_RE, numberShape,
  numberShapeOfBytes,
} from '../../functions/transform/infer-column-types';

// Every string up to `length` characters over `alphabet`.
function* strings(alphabet: string, length: number): Generator<string> {
  if (length === 0) {
    yield '';
    return;
  }
  for (const shorter of strings(alphabet, length - 1)) {
    for (const c of alphabet) yield shorter + c;
  }
}

describe('numberShape', () => {
  it('agrees with INTEGER_RE and NUMERIC_RE on every short string of number characters', () => {
    let checked = 0;
    for (let length = 1; length <= 6; length++) {
      for (const value of strings('01+-.eE9x', length)) {
        const expected = INTEGER_RE.test(value) ? INTEGER_SHAPE : NUMERIC_RE.test(value) ? DECIMAL_SHAPE : NOT_A_NUMBER;
        if (numberShape(value) !== expected) expect({ value, shape: numberShape(value) }).toEqual({ value, shape: expected });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500_000);
  });

  it('reads the usual values', () => {
    expect(['0', '7', '-12', '+3', '2147483648'].map(numberShape)).toEqual(Array(5).fill(INTEGER_SHAPE));
    expect(['0.5', '-.5', '.5', '1e5', '1.25E-3', '12.00'].map(numberShape)).toEqual(Array(6).fill(DECIMAL_SHAPE));
    expect(['007', '1.', '1e', '1e1234', '1,5', '١٢', '', '-', '1 ', ' 1', '0x10', 'NaN', 'Infinity'].map(numberShape)).toEqual(Array(13).fill(NOT_A_NUMBER));
  });
});

describe('numberShapeOfBytes', () => {
  it('reads every short string of number characters as numberShape does, inside a longer buffer', () => {
    // The value sits between bytes that would extend a number ('9', 'e', '+'): a read past its end shows.
    let checked = 0;
    for (let length = 1; length <= 5; length++) {
      for (const value of strings('01+-.eE9x', length)) {
        const bytes = Buffer.from(`9e+${value}9e+`, 'latin1');
        const shape = numberShapeOfBytes(bytes, 3, 3 + value.length);
        if (shape !== numberShape(value)) expect({ value, shape }).toEqual({ value, shape: numberShape(value) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60_000);
  });
});

describe('ColumnTypeInference.observeBytes', () => {
  it('infers what observe infers from the same values as text', () => {
    const rows = [
      ['1', '2.5', '2024-01-02', 'yes', '12345678901', 'x', '-0', '1e3'],
      ['22', '3', '2024-02-30', 'no', '99999999999999999999', '7', '+5', '.5'],
      ['-7', '1e5', '2024-03-04', 'TRUE', '3', 'y', '10', '2'],
    ];
    const names = rows[0]!.map((_, i) => `c${i}`);
    const text = new ColumnTypeInference(names);
    const bytes = new ColumnTypeInference(names);
    for (const row of rows) {
      text.observe(row);
      const line = Buffer.from(row.join(','), 'latin1');
      let at = 0;
      row.forEach((value, i) => {
        bytes.observeBytes(i, line, at, at + value.length);
        at += value.length + 1;
      });
      expect(Array.from(bytes.typed)).toEqual(Array.from(text.typed));
    }
    expect(bytes.result()).toEqual(text.result());
  });

  it('reads dates and timestamps from bytes as observe reads their text, ranges included', () => {
    // Random values around the shapes the bytes are read for (and others, which go through the text).
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const two = (n: number) => String(n).padStart(2, '0');
    const value = (): string => {
      const date = `${String(Math.floor(random() * 3000)).padStart(4, '0')}-${two(Math.floor(random() * 14))}-${two(Math.floor(random() * 33))}`;
      const time = `${two(Math.floor(random() * 26))}:${two(Math.floor(random() * 62))}:${two(Math.floor(random() * 62))}`;
      const shapes = [date, `${date} ${time}`, `${date}T${time}`, `${date}x${time}`, `${date} ${time}Z`, `${date} ${time}.5`, `${date} ${time.slice(0, 5)}+02`, date.replace('-', '/'), `${date}T${time.slice(0, 5)}`];
      return shapes[Math.floor(random() * shapes.length)] as string;
    };
    for (let round = 0; round < 300; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 6) }, value);
      const text = new ColumnTypeInference(['t']);
      const bytes = new ColumnTypeInference(['t']);
      for (const v of values) {
        text.observe([v]);
        bytes.observeBytes(0, Buffer.from(`;${v};`, 'latin1'), 1, 1 + v.length);
      }
      expect({ values, result: bytes.result() }).toEqual({ values, result: text.result() });
    }
  });
});

describe('ColumnTypeInference.typed', () => {
  it('stays 1 while every value fits a type other than text, then 0 for good', () => {
    const inference = new ColumnTypeInference(['n', 'when', 'flag', 'name']);
    inference.observe(['1', '2024-01-02 03:04:05', 'yes', 'Bob']);
    expect([...inference.typed]).toEqual([1, 1, 1, 0]);
    inference.observe([null, null, null, null]);
    expect([...inference.typed]).toEqual([1, 1, 1, 0]);
    inference.observe(['x,y', '2024-01-03', 'no', '12']);
    expect([...inference.typed]).toEqual([0, 1, 1, 0]);
    inference.observe(['3', '2024-01-04T00:00:00Z', 'true', '12']);
    expect([...inference.typed]).toEqual([0, 0, 1, 0]);
    expect(inference.result().types).toEqual(['text', 'text', 'boolean', 'text']);
  });

  it('a column of only NULLs is still text', () => {
    const inference = new ColumnTypeInference(['empty']);
    inference.observe([null]);
    expect(inference.result().types).toEqual(['text']);
  });
});

describe('time ranges', () => {
  it('orders naive dates and timestamps of every shape by their local time', () => {
    const inference = new ColumnTypeInference(['at']);
    for (const value of ['2024-01-02 03:04', '2024-01-02', '2024-01-02T03:04:05.5', '2024-01-02T03:04:05.499999', '2023-12-31T23:59:59.999999', '2024-01-02 03:04:05.51', '2024-01-02T00:00:00']) {
      inference.observe([value]);
    }
    expect(inference.result()).toEqual({ types: ['timestamp'], timeRanges: { at: { min: '2023-12-31T23:59:59.999999', max: '2024-01-02T03:04:05.51' } } });
  });

  it('gives dates their range as dates', () => {
    const inference = new ColumnTypeInference(['day']);
    for (const value of ['2024-02-29', '2023-02-28', '2024-12-31', '2024-01-01']) inference.observe([value]);
    expect(inference.result().timeRanges).toEqual({ day: { min: '2023-02-28', max: '2024-12-31' } });
  });
});
