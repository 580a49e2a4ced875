// Identifier quoting and advisory lock keys: pure functions, no servers.
import { describe, expect, it } from 'vitest';
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

describe('advisoryKey', () => {
  it('is a stable signed 64-bit number per name', () => {
    expect(advisoryKey('sluice:table:pos.orders')).toBe(advisoryKey('sluice:table:pos.orders'));
    expect(advisoryKey('sluice:table:pos.orders')).not.toBe(advisoryKey('sluice:table:pos.payments'));
    const n = BigInt(advisoryKey('x'));
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});
