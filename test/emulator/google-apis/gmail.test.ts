// Gmail v1 on the double through the real googleapis client: mail seeded from real MIME
// (fixtures/build-eml.ts) comes back in Gmail's payload shapes; q, labels, paging, modify,
// history (and its expiry), watch, faults and the quota-unit log behave as the connector needs.
import { google, type gmail_v1 } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';
import { buildEml } from '../../../emulator/google-apis/fixtures/build-eml';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';

let double: GoogleApiDouble;
let seed: GoogleApiDoubleClient;
let counter = 0;

beforeAll(async () => {
  double = await startGoogleApiDouble();
  seed = new GoogleApiDoubleClient(double);
});
afterAll(() => double.stop());

/** A fresh mailbox and a Gmail client for it (bearer token straight from the seed API). */
async function mailbox(scopes = ['gmail.modify']): Promise<{ user: string; gmail: gmail_v1.Gmail }> {
  const user = `inbox-${++counter}@example.com`;
  const accessToken = await seed.issueAccessToken({ principal: user, scopes });
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: accessToken });
  return { user, gmail: google.gmail({ version: 'v1', auth, rootUrl: double.apiRoot }) };
}

const csv = Buffer.from('date,amount\n2026-11-30,12.50\n');
const xlsxBytes = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(600, 7)]);
const partsOf = (part: gmail_v1.Schema$MessagePart): gmail_v1.Schema$MessagePart[] => [part, ...(part.parts ?? []).flatMap(partsOf)];

describe('messages.get payload shapes', () => {
  it('nested mixed inside alternative, encoded names, the same name twice, octet-stream spreadsheets', async () => {
    const { user, gmail } = await mailbox();
    const eml = await buildEml({
      from: 'Vendor <billing@vendor.example>',
      to: user,
      subject: 'Rechnung =?? November',
      date: new Date('2026-11-30T08:00:00Z'),
      text: 'Attached.',
      layout: 'mixed-in-alternative',
      attachments: [
        { filename: 'Übersicht November.xlsx', content: xlsxBytes, encodedName: 'rfc2047' },
        { filename: 'Übersicht November.xlsx', content: xlsxBytes, encodedName: 'rfc2231' },
        { filename: 'totals.csv', contentType: 'text/csv', content: csv },
      ],
    });
    const { id } = await seed.insertMessage(user, eml);
    const { data } = await gmail.users.messages.get({ userId: 'me', id });
    const payload = data.payload!;
    expect(payload.partId).toBe('');
    expect(payload.mimeType).toBe('multipart/alternative');
    expect(payload.parts!.map((p) => [p.partId, p.mimeType])).toEqual([['0', 'text/plain'], ['1', 'multipart/mixed']]);
    const files = partsOf(payload).filter((p) => p.filename);
    expect(files.map((p) => [p.partId, p.filename, p.mimeType])).toEqual([
      ['1.1', 'Übersicht November.xlsx', 'application/octet-stream'],
      ['1.2', 'Übersicht November.xlsx', 'application/octet-stream'],
      ['1.3', 'totals.csv', 'text/csv'],
    ]);
    for (const file of files) {
      expect(file.body!.attachmentId).toBeTruthy();
      expect(file.body!.data).toBeUndefined();
      const attachment = await gmail.users.messages.attachments.get({ userId: 'me', messageId: id, id: file.body!.attachmentId! });
      expect(attachment.data.size).toBe(file.body!.size);
      expect(Buffer.from(attachment.data.data!, 'base64url')).toEqual(file.filename === 'totals.csv' ? csv : xlsxBytes);
    }
    const text = payload.parts![0]!;
    expect(Buffer.from(text.body!.data!, 'base64url').toString()).toBe('Attached.');
    expect(payload.headers!.find((h) => h.name === 'Subject')!.value).toBe('Rechnung =?? November');
    expect(data.internalDate).toBe(String(Date.parse('2026-11-30T08:00:00Z')));
    expect(data.sizeEstimate).toBe(eml.length);
    expect(data.labelIds).toEqual(['INBOX', 'UNREAD']);
  });

  it('a forwarded message/rfc822 shows the inner message as nested parts; raw and minimal formats', async () => {
    const { user, gmail } = await mailbox();
    const inner = { from: 'pos@restaurant.example', to: 'manager@restaurant.example', subject: 'POS export', text: 'export', attachments: [{ filename: 'pos.csv', contentType: 'text/csv', content: csv }] };
    const eml = await buildEml({ from: 'manager@restaurant.example', to: user, subject: 'Fwd: POS export', text: 'fyi', forwarded: inner });
    const { id } = await seed.insertMessage(user, eml);
    const full = (await gmail.users.messages.get({ userId: 'me', id })).data;
    const forwarded = full.payload!.parts!.find((p) => p.mimeType === 'message/rfc822')!;
    expect(forwarded.partId).toBe('1');
    expect(forwarded.parts).toHaveLength(1);
    const innerTop = forwarded.parts![0]!;
    expect(innerTop.partId).toBe('1.0');
    expect(innerTop.headers!.find((h) => h.name === 'Subject')!.value).toBe('POS export');
    const file = partsOf(innerTop).find((p) => p.filename === 'pos.csv')!;
    expect(file.partId).toBe('1.0.1');
    const att = await gmail.users.messages.attachments.get({ userId: 'me', messageId: id, id: file.body!.attachmentId! });
    expect(Buffer.from(att.data.data!, 'base64url')).toEqual(csv);
    const raw = (await gmail.users.messages.get({ userId: 'me', id, format: 'raw' })).data;
    expect(Buffer.from(raw.raw!, 'base64url')).toEqual(eml);
    expect(raw.payload).toBeUndefined();
    const minimal = (await gmail.users.messages.get({ userId: 'me', id, format: 'minimal' })).data;
    expect(Object.keys(minimal).sort()).toEqual(['historyId', 'id', 'internalDate', 'labelIds', 'sizeEstimate', 'snippet', 'threadId']);
    const metadata = (await gmail.users.messages.get({ userId: 'me', id, format: 'metadata', metadataHeaders: ['From', 'Date'] })).data;
    expect(metadata.payload!.headers!.map((h) => h.name)).toEqual(['From', 'Date']);
  });

  it('attachmentIds differ between two gets of the same part (as at Gmail) unless settings say stable; small files inline on request', async () => {
    const { user, gmail } = await mailbox();
    const { id } = await seed.insertMessage(user, await buildEml({ from: 'a@x.example', to: user, subject: 's', text: 't', attachments: [{ filename: 'a.csv', contentType: 'text/csv', content: csv }] }));
    const idOf = async () => partsOf((await gmail.users.messages.get({ userId: 'me', id })).data.payload!).find((p) => p.filename)!.body!.attachmentId!;
    const [first, second] = [await idOf(), await idOf()];
    expect(first).not.toBe(second);
    for (const attachmentId of [first, second]) expect((await gmail.users.messages.attachments.get({ userId: 'me', messageId: id, id: attachmentId })).data.size).toBe(csv.length);
    const inline = await seed.insertMessage(user, await buildEml({ from: 'a@x.example', to: user, subject: 's', text: 't', attachments: [{ filename: 'b.csv', contentType: 'text/csv', content: csv }] }), { inlineAttachmentMaxBytes: 1024 });
    const part = partsOf((await gmail.users.messages.get({ userId: 'me', id: inline.id })).data.payload!).find((p) => p.filename === 'b.csv')!;
    expect(part.body!.attachmentId).toBeUndefined();
    expect(Buffer.from(part.body!.data!, 'base64url')).toEqual(csv);
    await expect(gmail.users.messages.get({ userId: 'me', id: 'ffffffffffffffff' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('messages.list', () => {
  it('filters by q and labelIds, newest first, and pages with a cursor that survives relabelling', async () => {
    const { user, gmail } = await mailbox();
    const day = (d: number) => new Date(Date.UTC(2026, 10, d, 12));
    const ids: string[] = [];
    for (let d = 1; d <= 7; d++) {
      const attachments = d % 2 === 1 ? [{ filename: `report-${d}.xlsx`, content: xlsxBytes }] : [];
      ids.push((await seed.insertMessage(user, await buildEml({ from: d === 3 ? 'Other <x@other.example>' : 'Vendor <billing@vendor.example>', to: user, subject: `Report ${d}`, date: day(d), text: 'x', attachments }))).id);
    }
    const list = async (q: string, extra: Partial<gmail_v1.Params$Resource$Users$Messages$List> = {}) => (await gmail.users.messages.list({ userId: 'me', q, ...extra })).data;
    expect((await list('has:attachment')).messages!.map((m) => m.id)).toEqual([ids[6], ids[4], ids[2], ids[0]]);
    expect((await list('has:attachment from:vendor.example filename:xlsx')).messages!.map((m) => m.id)).toEqual([ids[6], ids[4], ids[0]]);
    expect((await list('after:2026/11/3 before:2026/11/5')).messages!.map((m) => m.id)).toEqual([ids[3], ids[2]]);
    expect((await list(`after:${Math.floor(day(6).getTime() / 1000)}`)).messages!.map((m) => m.id)).toEqual([ids[6], ids[5]]);
    expect((await list('subject:"Report 2"')).messages!.map((m) => m.id)).toEqual([ids[1]]);
    expect(await list('filename:pdf')).toEqual({ resultSizeEstimate: 0 });
    await expect(list('has:attachment OR from:x')).rejects.toMatchObject({ status: 400 });
    await expect(list('larger:5M')).rejects.toMatchObject({ status: 400 });

    const processed = await seed.createLabel(user, 'Processed');
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await list('in:inbox -label:Processed', { maxResults: 3, pageToken });
      for (const m of page.messages ?? []) {
        seen.push(m.id!);
        await gmail.users.messages.modify({ userId: 'me', id: m.id!, requestBody: { addLabelIds: [processed.id], removeLabelIds: ['INBOX'] } });
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toEqual([...ids].reverse());
    expect((await list('label:processed', { labelIds: [processed.id] })).messages).toHaveLength(7);
    expect(await list('in:inbox')).toEqual({ resultSizeEstimate: 0 });
    expect((await list('newer_than:2d')).messages ?? []).toHaveLength(0);
  });
});

describe('labels, modify and history', () => {
  it('creates labels once, records label changes in history, and answers 404 for an expired startHistoryId', async () => {
    const { user, gmail } = await mailbox();
    const start = (await gmail.users.getProfile({ userId: 'me' })).data.historyId!;
    const label = (await gmail.users.labels.create({ userId: 'me', requestBody: { name: 'Processed' } })).data;
    expect(label.id).toMatch(/^Label_/);
    await expect(gmail.users.labels.create({ userId: 'me', requestBody: { name: 'processed' } })).rejects.toMatchObject({ status: 409 });
    expect((await gmail.users.labels.list({ userId: 'me' })).data.labels!.map((l) => l.name)).toContain('Processed');
    const { id } = await seed.insertMessage(user, await buildEml({ from: 'a@x.example', to: user, subject: 's', text: 't' }));
    const modified = (await gmail.users.messages.modify({ userId: 'me', id, requestBody: { addLabelIds: [label.id!], removeLabelIds: ['INBOX'] } })).data;
    expect(modified.labelIds!.sort()).toEqual([label.id, 'UNREAD'].sort());
    await expect(gmail.users.messages.modify({ userId: 'me', id, requestBody: { addLabelIds: ['Label_999'] } })).rejects.toMatchObject({ status: 400 });

    const history = (await gmail.users.history.list({ userId: 'me', startHistoryId: start })).data;
    expect(history.history!.map((h) => Object.keys(h).filter((k) => k !== 'id' && k !== 'messages').sort())).toEqual([['messagesAdded'], ['labelsAdded', 'labelsRemoved']]);
    expect(history.history![1]!.labelsAdded![0]!.labelIds).toEqual([label.id]);
    expect(history.historyId).toBe((await gmail.users.getProfile({ userId: 'me' })).data.historyId);
    const added = (await gmail.users.history.list({ userId: 'me', startHistoryId: start, historyTypes: ['messageAdded'] })).data;
    expect(added.history!.map((h) => h.messagesAdded![0]!.message!.id)).toEqual([id]);
    expect((await gmail.users.history.list({ userId: 'me', startHistoryId: history.historyId! })).data.history).toBeUndefined();

    await seed.expireHistory(user);
    await expect(gmail.users.history.list({ userId: 'me', startHistoryId: start })).rejects.toMatchObject({ status: 404 });
    const fresh = (await gmail.users.getProfile({ userId: 'me' })).data.historyId!;
    expect((await gmail.users.history.list({ userId: 'me', startHistoryId: fresh })).status).toBe(200);
    await seed.armFault({ route: 'gmail.users.history.list', principal: user, fault: { kind: 'history_expired' } });
    await expect(gmail.users.history.list({ userId: 'me', startHistoryId: fresh })).rejects.toMatchObject({ status: 404 });
  });

  it('watch records the topic; stop clears it', async () => {
    const { user, gmail } = await mailbox();
    const watch = (await gmail.users.watch({ userId: 'me', requestBody: { topicName: 'projects/p/topics/gmail-push', labelIds: ['INBOX'] } })).data;
    expect(Number(watch.expiration)).toBeGreaterThan(Date.now());
    expect((await seed.mailbox(user)).watch).toMatchObject({ topicName: 'projects/p/topics/gmail-push', labelIds: ['INBOX'] });
    await expect(gmail.users.watch({ userId: 'me', requestBody: { topicName: 'gmail-push' } })).rejects.toMatchObject({ status: 400 });
    await gmail.users.stop({ userId: 'me' });
    expect((await seed.mailbox(user)).watch).toBeNull();
  });
});

describe('faults, scopes and the request log', () => {
  it('429 with Retry-After and 503 are answered in Google shape, count-limited and per principal', async () => {
    const { user, gmail } = await mailbox();
    await seed.armFault({ route: 'gmail.users.messages.list', principal: user, times: 2, fault: { kind: 'status', status: 429, retryAfterSeconds: 7 } });
    const raw = await fetch(`${double.apiRoot}gmail/v1/users/me/messages`, { headers: { authorization: `Bearer ${(gmail.context._options.auth as InstanceType<typeof google.auth.OAuth2>).credentials.access_token}` } });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(await raw.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }] } });
    await expect(gmail.users.messages.list({ userId: 'me' }, { retry: false })).rejects.toMatchObject({ status: 429 });
    expect((await gmail.users.messages.list({ userId: 'me' })).status).toBe(200);
    await seed.armFault({ route: '*', principal: user, fault: { kind: 'status', status: 503 } });
    await expect(gmail.users.getProfile({ userId: 'me' }, { retry: false })).rejects.toMatchObject({ status: 503 });
  });

  it('metadata scope may not read bodies; the log sums Gmail quota units per principal', async () => {
    const { user, gmail } = await mailbox(['gmail.metadata']);
    const { id } = await seed.insertMessage(user, await buildEml({ from: 'a@x.example', to: user, subject: 's', text: 't' }));
    await expect(gmail.users.messages.get({ userId: 'me', id })).rejects.toMatchObject({ status: 403 });
    await expect(gmail.users.messages.list({ userId: 'me', q: 'has:attachment' })).rejects.toMatchObject({ status: 403 });
    const since = (await seed.requests()).at(-1)?.seq ?? 0;
    await gmail.users.messages.list({ userId: 'me' });
    await gmail.users.messages.get({ userId: 'me', id, format: 'metadata' });
    await gmail.users.labels.list({ userId: 'me' });
    await gmail.users.getProfile({ userId: 'me' });
    expect(await seed.quotaUnits({ since, principal: user })).toBe(5 + 5 + 1 + 1);
  });
});
