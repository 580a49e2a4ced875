// The Gmail search queries (`q`) a listing runs. Gmail's search cannot test a regex, so a query only
// narrows the listing (attachments, a time window, the rule's own extra terms) and match-rule.ts
// decides. Rules without extra terms share one listing; a rule with its own `q` needs a listing of
// its own, because Gmail alone can tell which mails fit those terms.
import type { GmailRule } from './config';

export interface ListingQuery {
  q: string;
  // The rules this listing answers for: null for the shared listing (every rule without its own q).
  rule: GmailRule | null;
}

// `after:` takes epoch seconds (a date would be read in the mailbox owner's zone, not ours).
export function windowTerm(now: Date, days: number): string {
  return `after:${Math.floor(now.getTime() / 1000) - days * 86_400}`;
}

// What a rule asks of Gmail, without the window: `has:attachment` when it needs an attachment, and
// its own terms — grouped when they hold an OR or braces, so the alternative cannot swallow the
// window (plain terms are ANDed either way, and stay plain for searches that know no grouping).
export function ruleTerms(rule: GmailRule): string {
  const terms: string[] = [];
  if (rule.hasAttachment) terms.push('has:attachment');
  const own = rule.q?.trim() ?? '';
  if (own !== '') terms.push(/\bOR\b|[{}]/.test(own) ? `(${own})` : own);
  return terms.join(' ');
}

// The listings of a first run (or one whose history id expired): the shared one when any rule has no
// extra terms, then one per rule that has. Already-labelled mail is not excluded: a redelivery of
// the run must see the mail its first delivery claimed and labelled (the fetch ledger skips the rest).
export function listingQueries(rules: readonly GmailRule[], window: string): ListingQuery[] {
  const queries: ListingQuery[] = [];
  const plain = rules.filter((rule) => rule.q === undefined || rule.q.trim() === '');
  if (plain.length > 0) {
    // One rule taking mail without attachments widens the shared listing to all mail in the window.
    const terms = plain.every((rule) => rule.hasAttachment) ? 'has:attachment ' : '';
    queries.push({ q: `${terms}${window}`, rule: null });
  }
  for (const rule of rules) {
    if (rule.q === undefined || rule.q.trim() === '') continue;
    queries.push({ q: `${ruleTerms(rule)} ${window}`, rule });
  }
  return queries;
}

// A rule's own listing since an instant, for mail found by history (which has no query): whether
// the rule's terms find a mail is read off this listing, one per rule and run.
export function ruleQuerySince(rule: GmailRule, sinceMs: number): string {
  return `${ruleTerms(rule)} after:${Math.floor(sinceMs / 1000)}`;
}
