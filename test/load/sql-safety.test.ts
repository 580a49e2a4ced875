// Identifier quoting and the classification of database errors: pure functions, no servers.
import { describe, expect, it } from 'vitest';
import { classifyPgError } from '../../functions/load/classify-pg-error';
import { advisoryKey } from '../../functions/runtime/advisory-lock';
import { InvalidIdentifierError, qualifiedName, quoteIdentifier } from '../../functions/load/quote-identifier';

describe('quoteIdentifier', () => {
  it('always quotes and doubles embedded quotes', () => {
    expect(quoteIdentifier('order_id')).toBe('"order_id"');
    expect(quoteIdentifier('select')).toBe('"select"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(qualifiedName('pos', 'Orders')).toBe('"pos"."Orders"');
  });

  it('refuses empty, over-long and control-character names', () => {
    expect(() => quoteIdentifier('')).toThrow(InvalidIdentifierError);
    expect(() => quoteIdentifier('x'.repeat(64))).toThrow(/longer than 63 bytes/);
    expect(() => quoteIdentifier('é'.repeat(32))).toThrow(/longer than 63 bytes/);
    expect(() => quoteIdentifier('a\u0000b')).toThrow(/control characters/);
  });
});

describe('classifyPgError', () => {
  it('reads the line and column of a COPY data error', () => {
    const error = Object.assign(new Error('invalid input syntax for type integer: "lots"'), { code: '22P02', where: 'COPY stock, line 4, column qty: "lots"' });
    expect(classifyPgError(error)).toEqual({ kind: 'data', code: '22P02', line: 4, column: 'qty' });
    expect(classifyPgError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toEqual({ kind: 'data', code: '23505' });
  });

  it('treats connection trouble, shutdown and overload as transient', () => {
    for (const code of ['08006', '57P01', '53300', '40P01', 'ECONNREFUSED', 'ECONNRESET']) {
      expect(classifyPgError(Object.assign(new Error('x'), { code })).kind).toBe('transient');
    }
    expect(classifyPgError(new Error('Connection terminated unexpectedly')).kind).toBe('transient');
  });

  it('leaves anything else unknown (rethrown, retried by default)', () => {
    expect(classifyPgError(Object.assign(new Error('syntax error'), { code: '42601' })).kind).toBe('unknown');
    expect(classifyPgError('boom').kind).toBe('unknown');
  });
});

describe('advisoryKey', () => {
  it('is a stable signed 64-bit number per name', () => {
    expect(advisoryKey('sluice:table:pos.orders')).toBe(advisoryKey('sluice:table:pos.orders'));
    expect(advisoryKey('sluice:table:pos.orders')).not.toBe(advisoryKey('sluice:table:pos.payments'));
    const n = BigInt(advisoryKey('x'));
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});
