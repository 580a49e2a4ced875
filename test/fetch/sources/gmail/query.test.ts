// Unit tests: the Gmail search queries a listing runs.
import { describe, expect, it } from 'vitest';
import { gmailRuleSchema } from '../../../../functions/fetch/sources/gmail/config';
import { listingQueries, ruleQuerySince, ruleTerms, windowTerm } from '../../../../functions/fetch/sources/gmail/query';

const rule = (fields: Record<string, unknown>) => gmailRuleSchema.parse({ name: 'r', ...fields });

describe('gmail queries', () => {
  it('windows by epoch seconds, not by a date Gmail reads in the owner zone', () => {
    expect(windowTerm(new Date('2026-03-08T00:00:00Z'), 7)).toBe(`after:${Date.parse('2026-03-01T00:00:00Z') / 1000}`);
  });

  it('shares one listing between rules without their own terms', () => {
    const rules = [rule({ name: 'a', from: 'acme' }), rule({ name: 'b', subject: 'prices' })];
    expect(listingQueries(rules, 'after:100')).toEqual([{ q: 'has:attachment after:100', rule: null }]);
  });

  it('widens the shared listing when one rule takes mail without attachments', () => {
    const rules = [rule({ name: 'a' }), rule({ name: 'b', hasAttachment: false, saveMessage: true })];
    expect(listingQueries(rules, 'after:100')).toEqual([{ q: 'after:100', rule: null }]);
  });

  it('gives a rule with its own q a listing of its own, its terms grouped', () => {
    const own = rule({ name: 'own', q: 'from:a OR from:b' });
    const rules = [rule({ name: 'a' }), own];
    expect(listingQueries(rules, 'after:100')).toEqual([
      { q: 'has:attachment after:100', rule: null },
      { q: 'has:attachment (from:a OR from:b) after:100', rule: own },
    ]);
    expect(listingQueries([own], 'after:1').map((l) => l.q)).toEqual(['has:attachment (from:a OR from:b) after:1']);
  });

  it('groups a rule q only when it holds an alternative, and lists a rule since an instant', () => {
    expect(ruleTerms(rule({ q: ' category:primary -label:x ', hasAttachment: false }))).toBe('category:primary -label:x');
    expect(ruleTerms(rule({ q: '{from:a from:b}' }))).toBe('has:attachment ({from:a from:b})');
    expect(ruleQuerySince(rule({ q: 'label:vendors' }), 1_700_000_000_999)).toBe('has:attachment label:vendors after:1700000000');
  });
});
