// The subset of Gmail's search syntax (the `q` of messages.list) the double understands. Terms
// are ANDed; any term can be negated with '-'. A term the double does not know (OR, braces,
// parentheses, larger:, ...) is a 400, not silently ignored: a query generator's mistake shows
// up in the tests instead of matching more mail than it would at Google.
//   has:attachment  filename:<name or extension>  from:  to:  subject:  (substring, case-insensitive)
//   in:inbox|spam|trash|sent|drafts|starred|important|anywhere  label:<name>  is:unread|read|starred|important
//   newer_than:/older_than:<n>d|m|y  after:/before:<yyyy/mm/dd (Pacific time, as Gmail) | epoch seconds>
//   bare words and "quoted phrases": substring of subject, from, to or the text body
import { badRequest } from './errors';

export interface SearchableMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  internalDate: number;
  labelIds: ReadonlySet<string>;
  filenames: readonly string[];
}

export interface QueryLabels {
  /** Label id for a name as written in q (case-insensitive; '-' and ' ' alike), if any. */
  idOf(name: string): string | undefined;
}

export interface ParsedQuery {
  matches(message: SearchableMessage): boolean;
  /** True when the query itself asks for spam or trash (then they are not excluded). */
  mentionsSpamOrTrash: boolean;
}

type Predicate = (m: SearchableMessage) => boolean;

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { d: DAY_MS, m: 30 * DAY_MS, y: 365 * DAY_MS };
const IN_LABELS: Record<string, string> = { inbox: 'INBOX', spam: 'SPAM', trash: 'TRASH', sent: 'SENT', drafts: 'DRAFT', starred: 'STARRED', important: 'IMPORTANT', chats: 'CHAT' };

function tokenize(q: string): string[] {
  const tokens: string[] = [];
  const pattern = /-?[^\s"(){}]*"[^"]*"|[^\s]+/g;
  for (const match of q.matchAll(pattern)) tokens.push(match[0]);
  return tokens;
}

const unquote = (value: string) => (value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value);
const contains = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());

/** Midnight of a calendar day in America/Los_Angeles, as epoch ms (Gmail reads dates in Pacific time). */
export function pacificMidnight(year: number, month: number, day: number): number {
  const guess = Date.UTC(year, month - 1, day, 8);
  const offsetText = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', timeZoneName: 'longOffset' }).format(new Date(guess));
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(offsetText);
  const offsetMinutes = match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : -480;
  return Date.UTC(year, month - 1, day) - offsetMinutes * 60_000;
}

function instantOf(term: string, value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(value);
  if (!date) throw badRequest(`Invalid query: ${term}:${value} (expected yyyy/mm/dd or epoch seconds)`);
  return pacificMidnight(Number(date[1]), Number(date[2]), Number(date[3]));
}

export function parseGmailQuery(q: string, labels: QueryLabels, now: number): ParsedQuery {
  const predicates: Predicate[] = [];
  let mentionsSpamOrTrash = false;
  for (const token of tokenize(q.trim())) {
    const negated = token.startsWith('-') && token.length > 1;
    const body = negated ? token.slice(1) : token;
    if (/^(OR|AND)$/.test(body) || /[(){}]/.test(body.replace(/"[^"]*"/g, ''))) {
      throw badRequest(`Invalid query: '${token}' (OR, AND, braces and parentheses are not supported by the local Gmail double)`);
    }
    const colon = body.startsWith('"') ? -1 : body.indexOf(':');
    let predicate: Predicate;
    if (colon <= 0) {
      const word = unquote(body);
      predicate = (m) => contains(m.subject, word) || contains(m.from, word) || contains(m.to, word) || contains(m.text, word);
    } else {
      const operator = body.slice(0, colon).toLowerCase();
      const value = unquote(body.slice(colon + 1));
      if (value === '') throw badRequest(`Invalid query: '${token}' has no value`);
      predicate = termPredicate(operator, value, labels, now, token);
      if ((operator === 'in' && ['spam', 'trash', 'anywhere'].includes(value.toLowerCase())) || (operator === 'label' && ['spam', 'trash'].includes(value.toLowerCase()))) {
        mentionsSpamOrTrash = true;
      }
    }
    predicates.push(negated ? (m) => !predicate(m) : predicate);
  }
  return { matches: (m) => predicates.every((p) => p(m)), mentionsSpamOrTrash };
}

function termPredicate(operator: string, value: string, labels: QueryLabels, now: number, token: string): Predicate {
  const lower = value.toLowerCase();
  switch (operator) {
    case 'has':
      if (lower !== 'attachment') throw badRequest(`Invalid query: '${token}' (only has:attachment is supported)`);
      return (m) => m.filenames.length > 0;
    case 'filename':
      return (m) => m.filenames.some((name) => (lower.includes('.') ? contains(name, lower) : name.toLowerCase().endsWith('.' + lower) || contains(name, lower)));
    case 'from':
      return (m) => contains(m.from, value);
    case 'to':
      return (m) => contains(m.to, value);
    case 'subject':
      return (m) => contains(m.subject, value);
    case 'in': {
      if (lower === 'anywhere') return () => true;
      const id = IN_LABELS[lower];
      if (!id) throw badRequest(`Invalid query: '${token}'`);
      return (m) => m.labelIds.has(id);
    }
    case 'label': {
      const id = labels.idOf(value);
      return (m) => id !== undefined && m.labelIds.has(id);
    }
    case 'is': {
      if (lower === 'read') return (m) => !m.labelIds.has('UNREAD');
      const id = { unread: 'UNREAD', starred: 'STARRED', important: 'IMPORTANT' }[lower];
      if (!id) throw badRequest(`Invalid query: '${token}'`);
      return (m) => m.labelIds.has(id);
    }
    case 'newer_than':
    case 'older_than': {
      const match = /^(\d+)([dmy])$/.exec(lower);
      if (!match) throw badRequest(`Invalid query: '${token}' (expected <n>d, <n>m or <n>y)`);
      const cutoff = now - Number(match[1]) * UNIT_MS[match[2]!]!;
      return operator === 'newer_than' ? (m) => m.internalDate > cutoff : (m) => m.internalDate < cutoff;
    }
    case 'after': {
      const at = instantOf(operator, value);
      return (m) => m.internalDate >= at;
    }
    case 'before': {
      const at = instantOf(operator, value);
      return (m) => m.internalDate < at;
    }
    default:
      throw badRequest(`Invalid query: '${token}' (operator ${operator}: is not supported by the local Gmail double)`);
  }
}
