import { describe, expect, it } from 'vitest';
import { normalizeHeader, toSnakeCase } from '../../functions/transform/normalize-header';
import { matchImportRule, noRuleReason } from '../../functions/transform/match-import-rule';
import { restaurantPos } from '../../pipelines/restaurant-pos';

describe('normalizeHeader', () => {
  it('turns headers into lower_snake_case identifiers', () => {
    expect(['Order ID', 'orderId', 'HTTPStatus', 'Café Crème', '  Net-Amount ($) ', 'a__b'].map(toSnakeCase)).toEqual([
      'order_id', 'order_id', 'http_status', 'cafe_creme', 'net_amount', 'a_b',
    ]);
  });

  it('makes names unique, non-empty, not starting with a digit and at most 63 bytes', () => {
    const long = 'x'.repeat(80);
    expect(normalizeHeader(['Order ID', 'order_id', 'order id', '', '1st', long, long])).toEqual([
      'order_id', 'order_id_2', 'order_id_3', 'column_4', 'c_1st', 'x'.repeat(63), `${'x'.repeat(61)}_2`,
    ]);
  });

  it('does not let a generated suffix take a name a later column has', () => {
    expect(normalizeHeader(['a', 'a', 'a_2'])).toEqual(['a', 'a_3', 'a_2']);
  });
});

describe('matchImportRule', () => {
  it('takes the first rule whose regex matches the base name', () => {
    expect(matchImportRule(restaurantPos.imports, 'OrderDetails.csv')?.name).toBe('orders');
    expect(matchImportRule(restaurantPos.imports, 'Unknown.csv')).toBeNull();
    expect(noRuleReason(restaurantPos.imports, 'Unknown.csv')).toMatch(/^no import rule matches "Unknown.csv" \(rules: orders: \/\^OrderDetails/);
  });
});

describe('normalizeHeader at the 63-byte limit', () => {
  it('refuses two different headers that only the cut to 63 bytes makes one', async () => {
    const { HeaderCollisionError } = await import('../../functions/transform/normalize-header');
    const stem = 'x'.repeat(63);
    expect(() => normalizeHeader([`${stem}_net`, `${stem}_gross`])).toThrow(HeaderCollisionError);
    expect(() => normalizeHeader([`${stem}_net`, `${stem}_gross`])).toThrow(/are the same in their first 63 bytes/);
    // The same long header twice is a plain duplicate: suffixed, as before.
    expect(normalizeHeader([`${stem}_net`, `${stem}_net`])).toEqual([stem, `${'x'.repeat(61)}_2`]);
  });
});
