// Which messages a run looks at. The first run (no stored history id, or one Gmail no longer keeps)
// lists by query over the initial window; later runs list what history.list says was added since
// the run's cursor. Either way the ids come back oldest first (Gmail's ids grow with time), so file
// names made unique across the run are given in the same order by every delivery.
import type { Logger } from '../../../../shared/logger';
import type { GmailRule, GmailSource } from './config';
import { isGoogleNotFound } from './gmail-errors';
import type { Mailbox } from './mailbox';
import { listingQueries, ruleQuerySince, windowTerm } from './query';

export interface CandidateListing {
  ids: string[];
  mode: 'query' | 'history';
  // Whether a mail (received at `internalDateMs`) fits a rule's own `q`: only Gmail can tell.
  extraQueryHolds(rule: GmailRule, messageId: string, internalDateMs: number): Promise<boolean>;
}

const PAGE = 500;
// Mail history.list reports that no rule is for: drafts, and mail already in spam or trash.
const IGNORED_LABELS = new Set(['DRAFT', 'SPAM', 'TRASH']);

export function oldestFirst(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

export async function listCandidates(options: {
  mailbox: Mailbox;
  source: GmailSource;
  from: string | null;
  deferred: string[];
  now: Date;
  log: Logger;
}): Promise<CandidateListing> {
  const { mailbox, source, from, log } = options;
  if (from !== null) {
    const added = await historySince(mailbox, from);
    if (added !== null) {
      log.info('gmail listing by history', { from, added: added.length, deferred: options.deferred.length });
      return { ids: oldestFirst([...options.deferred, ...added]), mode: 'history', extraQueryHolds: askGmail(mailbox) };
    }
    log.warn('gmail history id too old (Gmail answered 404): listing by query over the initial window instead', { from, initialWindowDays: source.initialWindowDays });
  }
  const listed = await listByQuery(mailbox, source, options.now, log);
  // Mail a run left for later (its byte cap) may be older than the window by now: listed all the same.
  return { ...listed, ids: oldestFirst([...options.deferred, ...listed.ids]) };
}

async function listByQuery(mailbox: Mailbox, source: GmailSource, now: Date, log: Logger): Promise<CandidateListing> {
  const ids: string[] = [];
  const byRule = new Map<string, Set<string>>();
  for (const { q, rule } of listingQueries(source.rules, windowTerm(now, source.initialWindowDays))) {
    const found = await listQuery(mailbox, q);
    ids.push(...found);
    if (rule) byRule.set(rule.name, new Set(found));
    log.info('gmail listing by query', { q, messages: found.length });
  }
  return {
    ids: oldestFirst(ids),
    mode: 'query',
    extraQueryHolds: async (rule, messageId) => byRule.get(rule.name)?.has(messageId) ?? false,
  };
}

export async function listQuery(mailbox: Mailbox, q: string, limit = Infinity): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const page = await mailbox.calls.call(`Gmail messages.list (q "${q}")`, () => mailbox.gmail.users.messages.list({
      userId: mailbox.user, q, maxResults: Math.min(PAGE, limit), ...(token ? { pageToken: token } : {}),
    }));
    for (const m of page.data.messages ?? []) if (m.id) ids.push(m.id);
    pageToken = page.data.nextPageToken ?? undefined;
  } while (pageToken && ids.length < limit);
  return ids;
}

// Message ids added since `from`, or null when Gmail no longer keeps history that old (404).
async function historySince(mailbox: Mailbox, from: string): Promise<string[] | null> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    let page;
    try {
      page = await mailbox.gmail.users.history.list({
        userId: mailbox.user, startHistoryId: from, historyTypes: ['messageAdded'], maxResults: PAGE, ...(token ? { pageToken: token } : {}),
      });
    } catch (error) {
      if (isGoogleNotFound(error)) return null;
      throw mailbox.calls.classify(error, `Gmail history.list since ${from}`);
    }
    for (const record of page.data.history ?? []) {
      for (const { message } of record.messagesAdded ?? []) {
        if (!message?.id) continue;
        if ((message.labelIds ?? []).some((label) => IGNORED_LABELS.has(label))) continue;
        ids.push(message.id);
      }
    }
    pageToken = page.data.nextPageToken ?? undefined;
  } while (pageToken);
  return ids;
}

// For mail found by history: the rule's own listing since the oldest mail asked about (a day
// earlier, as slack for Gmail's coarse dates), read once per rule and again only for an older mail.
// Candidates are asked about oldest first, and all of them existed before this listing ran.
const SLACK_MS = 86_400_000;
function askGmail(mailbox: Mailbox): CandidateListing['extraQueryHolds'] {
  const listings = new Map<string, { sinceMs: number; ids: Promise<Set<string>> }>();
  return async (rule, messageId, internalDateMs) => {
    const at = Number.isFinite(internalDateMs) ? internalDateMs : 0;
    let listing = listings.get(rule.name);
    if (!listing || at < listing.sinceMs) {
      const sinceMs = Math.max(0, at - SLACK_MS);
      listing = { sinceMs, ids: listQuery(mailbox, ruleQuerySince(rule, sinceMs)).then((ids) => new Set(ids)) };
      listings.set(rule.name, listing);
    }
    return (await listing.ids).has(messageId);
  };
}
