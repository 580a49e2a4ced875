// Unit tests: which rule a mail belongs to (first match wins, in declared order).
import { describe, expect, it } from 'vitest';
import { gmailRuleSchema } from '../../../../functions/fetch/sources/gmail/config';
import { compileRules, matchRule } from '../../../../functions/fetch/sources/gmail/match-rule';
import type { MailAttachment } from '../../../../functions/fetch/sources/gmail/mime-parts';

const rule = (fields: Record<string, unknown>) => gmailRuleSchema.parse(fields);
const file = (fileName: string, partId = '1'): MailAttachment => ({ partId, fileName, originalName: fileName, mimeType: 'application/octet-stream', size: 1 });
const always = async () => true;

describe('matching a mail to a rule', () => {
  const rules = compileRules([
    rule({ name: 'acme', from: '@acme\\.example>?$', attachmentName: '\\.xlsx$' }),
    rule({ name: 'any-prices', subject: '^prices' }),
    rule({ name: 'bodies', from: 'notes@', hasAttachment: false, saveMessage: true }),
  ]);

  it('takes the first rule that fits, case-insensitively, with only the attachments whose name fits', async () => {
    const match = await matchRule(rules, { from: 'Acme <Billing@ACME.example>', subject: 'Prices', attachments: [file('a.XLSX'), file('b.pdf', '2')] }, always);
    expect(match?.rule.name).toBe('acme');
    expect(match?.attachments.map((a) => a.fileName)).toEqual(['a.XLSX']);
  });

  it('moves on when the attachment names do not fit, and matches no rule when nothing fits', async () => {
    const match = await matchRule(rules, { from: 'billing@acme.example', subject: 'PRICES march', attachments: [file('b.pdf')] }, always);
    expect(match?.rule.name).toBe('any-prices');
    expect(match?.attachments.map((a) => a.fileName)).toEqual(['b.pdf']);
    expect(await matchRule(rules, { from: 'someone@else.example', subject: 'hello', attachments: [file('x.csv')] }, always)).toBeNull();
  });

  it('needs an attachment unless the rule says hasAttachment: false', async () => {
    expect(await matchRule(rules, { from: 'billing@acme.example', subject: 'Prices', attachments: [] }, always)).toBeNull();
    const body = await matchRule(rules, { from: 'notes@x.example', subject: 'x', attachments: [] }, always);
    expect(body?.rule.name).toBe('bodies');
    expect(body?.attachments).toEqual([]);
  });

  it('asks Gmail about a rule with its own q only when its patterns fit', async () => {
    const asked: string[] = [];
    const withQ = compileRules([rule({ name: 'q1', from: 'a@', q: 'category:primary' }), rule({ name: 'q2', q: 'label:vendors' })]);
    const holds = async (r: { name: string }) => { asked.push(r.name); return r.name === 'q2'; };
    const match = await matchRule(withQ, { from: 'b@x', subject: '', attachments: [file('x.csv')] }, holds);
    expect(match?.rule.name).toBe('q2');
    expect(asked).toEqual(['q2']);
  });
});
