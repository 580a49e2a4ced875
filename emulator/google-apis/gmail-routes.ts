// Gmail v1, the subset the Gmail source uses: profile, labels, messages (list with q, get in
// every format, attachments, modify), history and the push watch. userId 'me' (or the token's
// own address) is the mailbox of the bearer token's principal.
import type { DoubleContext, Route, RouteRequest } from './context';
import { ApiError, badRequest, notFound } from './errors';
import { parseGmailQuery } from './gmail-query';
import { partForAttachmentId, renderMessage, type MessageFormat } from './gmail-render';
import { refOf, type Mailbox } from './gmail-state';
import { intParam, readJson, sendEmpty, sendJson } from './http';
import { GMAIL_LABELS_READ, GMAIL_LABELS_WRITE, GMAIL_MODIFY, GMAIL_READ, GMAIL_READ_CONTENT, SCOPES } from './scopes';

const WATCH_TTL_MS = 7 * 86_400_000;
const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];
const TYPE_OF_KEY = { messagesAdded: 'messageAdded', labelsAdded: 'labelAdded', labelsRemoved: 'labelRemoved' } as const;

function mailboxOf(ctx: DoubleContext, r: RouteRequest): Mailbox {
  const userId = r.params[0] ?? '';
  const principal = r.token.principal.toLowerCase();
  if (userId !== 'me' && userId.toLowerCase() !== principal) {
    throw new ApiError(403, `Delegation denied for ${principal}`, { reason: 'forbidden' });
  }
  return ctx.gmail.mailbox(principal);
}

const encodeToken = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function decodeToken<T>(token: string | null): T | undefined {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    throw badRequest('Invalid pageToken');
  }
}

const metadataOnly = (r: RouteRequest) => r.token.scopes.has(SCOPES.gmailMetadata) && !GMAIL_READ_CONTENT.some((s) => r.token.scopes.has(s));

async function getProfile(ctx: DoubleContext, r: RouteRequest) {
  const box = mailboxOf(ctx, r);
  sendJson(r.res, 200, { emailAddress: box.email, messagesTotal: box.messages.size, threadsTotal: box.messages.size, historyId: String(box.historyId) });
}

async function listLabels(ctx: DoubleContext, r: RouteRequest) {
  sendJson(r.res, 200, { labels: [...mailboxOf(ctx, r).labels.values()] });
}

async function getLabel(ctx: DoubleContext, r: RouteRequest) {
  const box = mailboxOf(ctx, r);
  const label = box.labels.get(r.params[1] ?? '');
  if (!label) throw notFound();
  const tagged = [...box.messages.values()].filter((m) => m.labelIds.has(label.id));
  const unread = tagged.filter((m) => m.labelIds.has('UNREAD')).length;
  sendJson(r.res, 200, { ...label, messagesTotal: tagged.length, messagesUnread: unread, threadsTotal: tagged.length, threadsUnread: unread });
}

async function createLabel(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ name?: string; messageListVisibility?: 'show' | 'hide'; labelListVisibility?: 'labelShow' | 'labelShowIfUnread' | 'labelHide' }>(r.req);
  sendJson(r.res, 200, mailboxOf(ctx, r).createLabel({ name: body.name ?? '', messageListVisibility: body.messageListVisibility, labelListVisibility: body.labelListVisibility }));
}

async function listMessages(ctx: DoubleContext, r: RouteRequest) {
  const box = mailboxOf(ctx, r);
  const q = r.query.get('q') ?? '';
  if (q && metadataOnly(r)) throw new ApiError(403, "Metadata scope does not support 'q' parameter", { reason: 'forbidden' });
  const query = parseGmailQuery(q, { idOf: (name) => box.labelIdOf(name) }, ctx.now());
  const labelIds = r.query.getAll('labelIds');
  const includeSpamTrash = r.query.get('includeSpamTrash') === 'true' || query.mentionsSpamOrTrash || labelIds.some((l) => l === 'SPAM' || l === 'TRASH');
  const maxResults = intParam(r.query, 'maxResults', 100, 500) || 100;
  const after = decodeToken<[number, string]>(r.query.get('pageToken'));
  const matching = box
    .sorted()
    .filter((m) => includeSpamTrash || (!m.labelIds.has('SPAM') && !m.labelIds.has('TRASH')))
    .filter((m) => labelIds.every((l) => m.labelIds.has(l)))
    .filter((m) => query.matches(m.searchable));
  // The cursor is the last message answered, not an offset: relabelling while paging (e.g. removing
  // INBOX from listed mail) must not make the next page skip messages.
  const start = after ? matching.findIndex((m) => m.internalDate < after[0] || (m.internalDate === after[0] && m.id < after[1])) : 0;
  const page = start < 0 ? [] : matching.slice(start, start + maxResults);
  const last = page[page.length - 1];
  const more = start >= 0 && start + maxResults < matching.length;
  sendJson(r.res, 200, {
    ...(page.length ? { messages: page.map((m) => refOf(m)) } : {}),
    ...(more && last ? { nextPageToken: encodeToken([last.internalDate, last.id]) } : {}),
    resultSizeEstimate: page.length === 0 ? 0 : matching.length,
  });
}

async function getMessage(ctx: DoubleContext, r: RouteRequest) {
  const message = mailboxOf(ctx, r).message(r.params[1] ?? '');
  const format = (r.query.get('format') ?? 'full') as MessageFormat;
  if (!['minimal', 'metadata', 'full', 'raw'].includes(format)) throw badRequest(`Invalid value at 'format' (${format})`);
  if (metadataOnly(r) && (format === 'full' || format === 'raw')) throw new ApiError(403, `Metadata scope doesn't allow format ${format.toUpperCase()}`, { reason: 'forbidden' });
  sendJson(r.res, 200, renderMessage(message, format, ctx.gmail.settings, r.query.getAll('metadataHeaders')));
}

async function getAttachment(ctx: DoubleContext, r: RouteRequest) {
  const message = mailboxOf(ctx, r).message(r.params[1] ?? '');
  const part = partForAttachmentId(message, r.params[2] ?? '');
  sendJson(r.res, 200, { size: part.body.length, data: part.body.toString('base64url') });
}

async function modifyMessage(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ addLabelIds?: string[]; removeLabelIds?: string[] }>(r.req);
  const message = mailboxOf(ctx, r).modify(r.params[1] ?? '', body.addLabelIds ?? [], body.removeLabelIds ?? []);
  sendJson(r.res, 200, { id: message.id, threadId: message.threadId, labelIds: [...message.labelIds] });
}

async function batchModify(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<{ ids?: string[]; addLabelIds?: string[]; removeLabelIds?: string[] }>(r.req);
  const box = mailboxOf(ctx, r);
  for (const id of body.ids ?? []) if (box.messages.has(id)) box.modify(id, body.addLabelIds ?? [], body.removeLabelIds ?? []);
  sendEmpty(r.res, 204);
}

async function listHistory(ctx: DoubleContext, r: RouteRequest) {
  const box = mailboxOf(ctx, r);
  const startRaw = r.query.get('startHistoryId');
  if (!startRaw || !/^\d+$/.test(startRaw)) throw badRequest('Missing or invalid startHistoryId', 'invalidArgument');
  const start = Number(startRaw);
  if (start < box.historyFloor || ctx.faults.take('gmail.users.history.list', ['history_expired'], box.email)) {
    throw notFound();
  }
  const types = r.query.getAll('historyTypes');
  for (const t of types) if (!HISTORY_TYPES.includes(t)) throw badRequest(`Invalid value at 'history_types' (${t})`);
  const labelId = r.query.get('labelId');
  const maxResults = intParam(r.query, 'maxResults', 100, 500) || 100;
  const after = decodeToken<number>(r.query.get('pageToken')) ?? start;
  const wantedKey = (key: keyof typeof TYPE_OF_KEY) => types.length === 0 || types.includes(TYPE_OF_KEY[key]);
  const records = box.history
    .filter((h) => h.id > after)
    .map((h) => filterRecord(h, wantedKey, labelId, box))
    .filter((h): h is NonNullable<typeof h> => h !== undefined);
  const page = records.slice(0, maxResults);
  const last = page[page.length - 1];
  sendJson(r.res, 200, {
    ...(page.length ? { history: page } : {}),
    ...(records.length > maxResults && last ? { nextPageToken: encodeToken(last.id) } : {}),
    historyId: String(box.historyId),
  });
}

function filterRecord(h: Mailbox['history'][number], wanted: (key: keyof typeof TYPE_OF_KEY) => boolean, labelId: string | null, box: Mailbox) {
  const out: Record<string, unknown> = { id: String(h.id), messages: h.messages };
  let any = false;
  for (const key of ['messagesAdded', 'labelsAdded', 'labelsRemoved'] as const) {
    const entries = h[key];
    if (!entries || !wanted(key)) continue;
    const kept = labelId ? entries.filter((e) => labelMatches(e, key, labelId, box)) : entries;
    if (kept.length) {
      out[key] = kept;
      any = true;
    }
  }
  return any ? out : undefined;
}

function labelMatches(entry: { message: { id: string; labelIds?: string[] }; labelIds?: string[] }, key: string, labelId: string, box: Mailbox): boolean {
  if (key !== 'messagesAdded') return entry.labelIds?.includes(labelId) ?? false;
  return entry.message.labelIds?.includes(labelId) ?? box.messages.get(entry.message.id)?.labelIds.has(labelId) ?? false;
}

async function watch(ctx: DoubleContext, r: RouteRequest) {
  const box = mailboxOf(ctx, r);
  const body = await readJson<{ topicName?: string; labelIds?: string[]; labelFilterBehavior?: string; labelFilterAction?: string }>(r.req);
  if (!body.topicName || !/^projects\/[^/]+\/topics\/[^/]+$/.test(body.topicName)) throw badRequest('Invalid topicName does not match projects/*/topics/*');
  if (ctx.watchTopicExists && !(await ctx.watchTopicExists(body.topicName))) throw notFound(`Resource not found (resource=${body.topicName.split('/').pop()}).`);
  const behavior = (body.labelFilterBehavior ?? body.labelFilterAction ?? 'include').toLowerCase() === 'exclude' ? 'exclude' : 'include';
  box.watch = { topicName: body.topicName, labelIds: body.labelIds ?? [], labelFilterBehavior: behavior, expiration: ctx.now() + WATCH_TTL_MS };
  sendJson(r.res, 200, { historyId: String(box.historyId), expiration: String(box.watch.expiration) });
}

async function stop(ctx: DoubleContext, r: RouteRequest) {
  mailboxOf(ctx, r).watch = undefined;
  sendEmpty(r.res, 204);
}

const U = '^\\/gmail\\/v1\\/users\\/([^/]+)';
const p = (rest: string) => new RegExp(U + rest + '$');
export const gmailRoutes: Route[] = [
  { method: 'GET', pattern: p('\\/profile'), operation: 'gmail.users.getProfile', scopes: GMAIL_LABELS_READ, handle: getProfile },
  { method: 'GET', pattern: p('\\/labels'), operation: 'gmail.users.labels.list', scopes: GMAIL_LABELS_READ, handle: listLabels },
  { method: 'POST', pattern: p('\\/labels'), operation: 'gmail.users.labels.create', scopes: GMAIL_LABELS_WRITE, handle: createLabel },
  { method: 'GET', pattern: p('\\/labels\\/([^/]+)'), operation: 'gmail.users.labels.get', scopes: GMAIL_LABELS_READ, handle: getLabel },
  { method: 'GET', pattern: p('\\/messages'), operation: 'gmail.users.messages.list', scopes: GMAIL_READ, handle: listMessages },
  { method: 'POST', pattern: p('\\/messages\\/batchModify'), operation: 'gmail.users.messages.batchModify', scopes: GMAIL_MODIFY, handle: batchModify },
  { method: 'GET', pattern: p('\\/messages\\/([^/]+)'), operation: 'gmail.users.messages.get', scopes: GMAIL_READ, handle: getMessage },
  { method: 'POST', pattern: p('\\/messages\\/([^/]+)\\/modify'), operation: 'gmail.users.messages.modify', scopes: GMAIL_MODIFY, handle: modifyMessage },
  { method: 'GET', pattern: p('\\/messages\\/([^/]+)\\/attachments\\/([^/]+)'), operation: 'gmail.users.messages.attachments.get', scopes: GMAIL_READ_CONTENT, handle: getAttachment },
  { method: 'GET', pattern: p('\\/history'), operation: 'gmail.users.history.list', scopes: GMAIL_READ, handle: listHistory },
  { method: 'POST', pattern: p('\\/watch'), operation: 'gmail.users.watch', scopes: GMAIL_READ, handle: watch },
  { method: 'POST', pattern: p('\\/stop'), operation: 'gmail.users.stop', scopes: GMAIL_READ, handle: stop },
];
