// Import rules: exactly one must match, and none is fooled by names holding line terminators or
// control characters.
import { expect, it } from 'vitest';
import { IMPORT_RULES_METADATA_KEY, allowedImportRulesOf, matchImportRule, noRuleReason } from '../../functions/transform/match-import-rule';
import type { ImportRule } from '../../shared/pipeline-definition';

const rules = [{ name: 'orders', match: '^Orders' }, { name: 'any-csv', match: 'csv$' }] as unknown as ImportRule[];

it('takes no name with a control or line-separator character, and says so printably', () => {
  for (const name of ['Orders\n.csv', 'Orders\u2028x.csv', 'x.csv\r', 'Orders\u0000.csv']) {
    expect(matchImportRule(rules, name)).toBeNull();
    expect(noRuleReason(rules, name)).toMatch(/^no import rule takes "Orders|^no import rule takes "x\.csv/);
    expect(noRuleReason(rules, name)).not.toMatch(/[\r\n\u2028\u0000]/);
  }
  expect(matchImportRule(rules, 'x.csv')?.name).toBe('any-csv');
});

it('takes a file exactly one rule matches; a file two rules match is taken by neither, naming both', () => {
  expect(matchImportRule(rules, 'Orders.txt')?.name).toBe('orders');
  expect(matchImportRule(rules, 'Orders.csv')).toBeNull();
  expect(noRuleReason(rules, 'Orders.csv')).toBe('"Orders.csv" matches more than one import rule (orders, any-csv): each file must match exactly one');
});

it('lets only the rules a source allows take a file, and says so when none does', () => {
  expect(matchImportRule(rules, 'Orders.csv', ['any-csv'])?.name).toBe('any-csv');
  expect(matchImportRule(rules, 'x.csv', ['orders'])).toBeNull();
  expect(noRuleReason(rules, 'x.csv', ['orders'])).toBe('no import rule matches "x.csv" (rules: orders: /^Orders/; its source lets it feed only "orders")');
  expect(allowedImportRulesOf({ [IMPORT_RULES_METADATA_KEY]: 'a,b' })).toEqual(['a', 'b']);
  expect(allowedImportRulesOf({ sluiceRunId: 'r' })).toBeUndefined();
});
