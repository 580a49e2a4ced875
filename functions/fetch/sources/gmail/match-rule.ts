// Which rule a mail belongs to. Gmail's search has no regular expressions, so the listing is only
// narrowed by a query (query.ts) and the rules' regexes are tested here. First match wins, in the
// order the definition declares them; a rule that needs an attachment matches only a mail with at
// least one attachment whose name fits.
import type { GmailRule } from './config';
import type { MailAttachment } from './mime-parts';

export interface MailFacts {
  from: string;
  subject: string;
  attachments: MailAttachment[];
}

export interface RuleMatch {
  rule: GmailRule;
  // The attachments the rule takes (those whose name fits its attachmentName), in part order.
  attachments: MailAttachment[];
}

// Compiled once per session: a definition's patterns are case-insensitive, as the config says.
export interface CompiledRule {
  rule: GmailRule;
  from: RegExp | null;
  subject: RegExp | null;
  attachmentName: RegExp | null;
}

export function compileRules(rules: readonly GmailRule[]): CompiledRule[] {
  const compile = (source: string | undefined) => (source === undefined ? null : new RegExp(source, 'i'));
  return rules.map((rule) => ({ rule, from: compile(rule.from), subject: compile(rule.subject), attachmentName: compile(rule.attachmentName) }));
}

// `extraQueryHolds(rule)`: whether the mail also fits the rule's own Gmail `q` (which only Gmail can
// tell); asked only for a rule that has one and whose patterns already fit.
export async function matchRule(
  rules: readonly CompiledRule[],
  mail: MailFacts,
  extraQueryHolds: (rule: GmailRule) => Promise<boolean>,
): Promise<RuleMatch | null> {
  for (const compiled of rules) {
    const attachments = patternMatch(compiled, mail);
    if (attachments === null) continue;
    if (compiled.rule.q !== undefined && !(await extraQueryHolds(compiled.rule))) continue;
    return { rule: compiled.rule, attachments };
  }
  return null;
}

// Whether the rule's From and Subject patterns fit (attachments aside).
export function headersFit(compiled: CompiledRule, mail: Pick<MailFacts, 'from' | 'subject'>): boolean {
  return (!compiled.from || compiled.from.test(mail.from)) && (!compiled.subject || compiled.subject.test(mail.subject));
}

// The rule's attachments when its patterns fit the mail, else null.
export function patternMatch(compiled: CompiledRule, mail: MailFacts): MailAttachment[] | null {
  if (!headersFit(compiled, mail)) return null;
  const nameFits = compiled.attachmentName;
  const attachments = nameFits ? mail.attachments.filter((a) => nameFits.test(a.fileName)) : mail.attachments;
  if (compiled.rule.hasAttachment && attachments.length === 0) return null;
  return attachments;
}
