// The Gmail source through the fetch handler, against real parts: the local Google API double (the
// real googleapis client and google-auth-library talk to it over loopback), the GCS and Firestore
// emulators, the Firestore run recorder. Mail is real MIME (the double's .eml builder), inserted
// through the double's seeding API; faults are armed there too.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../../emulator/google-apis/index';
import { GoogleApiDoubleClient } from '../../../../emulator/google-apis/double-client';
import { buildEml, type EmlOptions } from '../../../../emulator/google-apis/fixtures/build-eml';
import { createFetchHandler } from '../../../../functions/fetch/handler';
import { connectors } from '../../../../functions/fetch/sources/connectors';
import { gmailConnector } from '../../../../functions/fetch/sources/gmail/connector';
import { parseTrigger } from '../../../../functions/fetch/parse-trigger';
import { runIdFor } from '../../../../functions/fetch/run-id';
import type { Pipeline, PipelineInput } from '../../../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../../../support/stage-test-context';

const CLIENT_ID = 'sluice-gmail-test.apps.googleusercontent.com';
const CLIENT_SECRET = 'gmail-client-Secret-9f2k1';
const handler = createFetchHandler();
// The mails' own date: 23:30 in New York on 1 March is 2 March in UTC, so the file names show the zone.
const MAIL_DATE = new Date('2026-03-02T04:30:00Z');
const DAY = '20260301';

let world: StageTestWorld;
let double: GoogleApiDouble;
let seed: GoogleApiDoubleClient;
const harnesses: StageHarness[] = [];

beforeAll(async () => {
  world = await startStageTestWorld({
    label: 'gmail',
    bucket: true,
    secrets: { 'gmail-client-id': CLIENT_ID, 'gmail-client-secret': CLIENT_SECRET },
  });
  double = await startGoogleApiDouble();
  seed = new GoogleApiDoubleClient(double);
  await seed.registerOAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await double?.stop();
  await world?.stop();
});

type GmailInput = Extract<PipelineInput['source'], { kind: 'gmail' }>;

interface Inbox {
  user: string;
  pipeline: Pipeline;
  harness: StageHarness;
  tokenSecret: string;
  // One delivery of the trigger `n` (its redeliveries repeat n); returns the run id.
  fetch(n: number, delivery?: { deliveryAttempt?: number }): Promise<string>;
  send(mail: Partial<EmlOptions>, options?: { inlineAttachmentMaxBytes?: number }): Promise<string>;
  labelsOf(messageId: string): Promise<string[]>;
}

const ACME_RULE = { name: 'acme', from: '@acme\\.example', attachmentName: '\\.xlsx$', imports: ['prices'] };
const FORWARD_RULE = { name: 'forwards', subject: '^fwd:', imports: ['prices'] };

async function inbox(source: Partial<GmailInput> = {}): Promise<Inbox> {
  const user = `${world.uniqueName('finance')}@example.com`;
  const tokenSecret = world.uniqueName('token');
  await writeFile(path.join(world.secretsDir, tokenSecret), await seed.issueRefreshToken({ clientId: CLIENT_ID, user, scopes: ['gmail.modify'] }));
  const pipeline = testPipeline(world, {
    schedule: { cron: '0 6 * * *', timeZone: 'America/New_York' },
    source: {
      kind: 'gmail',
      auth: { kind: 'oauth', clientId: { secret: 'gmail-client-id' }, clientSecret: { secret: 'gmail-client-secret' }, refreshToken: { secret: tokenSecret } },
      rules: [ACME_RULE, FORWARD_RULE],
      labelUnmatched: true,
      ...source,
    } as PipelineInput['source'],
    imports: [{ name: 'prices', match: '.*', table: 'prices' }],
    secrets: ['db-url', 'smtp-url', ...world.secretNames, tokenSecret],
  });
  const harness = await stageHarness(world, pipeline);
  harnesses.push(harness);
  const localEndpoints = { google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl } };
  return {
    user,
    pipeline,
    harness,
    tokenSecret,
    async fetch(n, delivery = {}) {
      const data = { v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'schedule' };
      const messageId = `${pipeline.name}-${n}`;
      const publishTime = new Date(Date.parse('2026-03-02T11:00:00.123Z') + n * 1000).toISOString();
      await harness.deliver('fetch', handler, data, { messageId, publishTime, localEndpoints, ...delivery });
      return runIdFor(parseTrigger(Buffer.from(JSON.stringify(data))), { messageId, publishTime });
    },
    async send(mail, options = {}) {
      const eml = await buildEml({ from: 'Acme Billing <billing@acme.example>', to: user, subject: 'Prices', date: MAIL_DATE, text: 'see attached', ...mail });
      // Received a minute ago: inside the first run's window (initialWindowDays) whatever the Date says.
      const { id } = await seed.insertMessage(user, eml, { labelIds: ['INBOX'], internalDate: Date.now() - 60_000, ...options });
      return id;
    },
    async labelsOf(messageId) {
      const box = await seed.mailbox(user);
      return box.messages.find((m) => m.id === messageId)?.labelNames ?? [];
    },
  };
}

const spreadsheet = (text: string) => Buffer.from(`PK-fake-xlsx:${text}`);
const rawNames = async (h: StageHarness) => (await h.rawObjects()).map((o) => o.name.split('/').slice(3).join('/'));
const logged = (text: string) => world.logLines.filter((line) => line.includes(text));

describe('gmail source: what a run stages', () => {
  it('stages every matched attachment under the mail date, of every MIME shape, and labels only after staging', async () => {
    const box = await inbox();
    // A first run over an empty inbox stores the cursor: this run lists by history, which (unlike the
    // double's has:attachment, which sees only named parts) also finds the forward whose attachment
    // sits inside a message/rfc822 part.
    await box.fetch(0);
    const acme = await box.send({
      layout: 'mixed-in-alternative',
      html: '<p>see attached</p>',
      attachments: [
        { filename: 'prices.xlsx', content: spreadsheet('one') },
        // The same name again, sent as application/octet-stream (the default).
        { filename: 'prices.xlsx', content: spreadsheet('two') },
        { filename: 'notes.pdf', contentType: 'application/pdf', content: 'not taken: the rule wants .xlsx' },
      ],
    });
    const encoded = await box.send({
      attachments: [
        { filename: 'Preise Änderung.xlsx', content: spreadsheet('2047'), encodedName: 'rfc2047' },
        { filename: '東京売上.xlsx', content: spreadsheet('2231'), encodedName: 'rfc2231' },
      ],
    }, { inlineAttachmentMaxBytes: 1_000_000 });
    const forward = await box.send({
      from: 'me@finance.example',
      subject: 'Fwd: march report',
      forwarded: { from: 'vendor@elsewhere.example', to: 'me@finance.example', subject: 'report', text: 'attached', attachments: [{ filename: 'report.csv', contentType: 'text/csv', content: 'a,b\n1,2\n' }] },
    });
    const stranger = await box.send({ from: 'someone@stranger.example', subject: 'hello', attachments: [{ filename: 'x.csv', content: 'x' }] });

    const runId = await box.fetch(1);
    expect(await rawNames(box.harness)).toEqual([
      `${DAY}/${DAY}_Preise Änderung.xlsx`,
      `${DAY}/${DAY}_prices (2).xlsx`,
      `${DAY}/${DAY}_prices.xlsx`,
      `${DAY}/${DAY}_report.csv`,
      `${DAY}/${DAY}_東京売上.xlsx`,
    ].sort());
    const objects = await box.harness.rawObjects();
    const bucket = world.clients.storage.bucket(world.bucket);
    const byName = new Map(objects.map((o) => [o.name.split('/').slice(4).join('/'), o]));
    const [second] = await bucket.file(byName.get(`${DAY}_prices (2).xlsx`)!.name).download();
    expect(second.toString()).toBe('PK-fake-xlsx:two');
    const [inline] = await bucket.file(byName.get(`${DAY}_東京売上.xlsx`)!.name).download();
    expect(inline.toString()).toBe('PK-fake-xlsx:2231');
    const [report] = await bucket.file(byName.get(`${DAY}_report.csv`)!.name).download();
    expect(report.toString()).toBe('a,b\n1,2\n');
    expect(JSON.stringify(byName.get(`${DAY}_prices (2).xlsx`)!.metadata)).toContain(acme);

    expect((await box.harness.run(runId))?.expectedFiles).toBe(5);
    for (const id of [acme, encoded, forward]) {
      const labels = await box.labelsOf(id);
      expect(labels).toContain('Processed');
      expect(labels).not.toContain('INBOX');
    }
    expect(await box.labelsOf(stranger)).toEqual(expect.arrayContaining(['Error', 'INBOX']));
    expect(await box.labelsOf(stranger)).not.toContain('Processed');

    // Labelling came after every copy: the request log shows batchModify only after the last attachment read.
    const requests = await seed.requests();
    const mine = requests.filter((r) => r.principal === box.user.toLowerCase());
    const isRead = (operation: string) => operation === 'gmail.users.messages.attachments.get' || operation === 'gmail.users.messages.get';
    const lastRead = mine.map((r) => r.operation).findLastIndex(isRead);
    expect(lastRead).toBeGreaterThan(0);
    const firstLabel = mine.map((r) => r.operation).indexOf('gmail.users.messages.batchModify');
    expect(firstLabel).toBeGreaterThan(lastRead);
  });

  it('stages the whole message as .eml beside its attachments when the rule says saveMessage', async () => {
    const box = await inbox({ rules: [{ ...ACME_RULE, saveMessage: true }] });
    const id = await box.send({ subject: 'Prices with body', attachments: [{ filename: 'p.xlsx', content: spreadsheet('p') }] });
    await box.fetch(1);
    expect(await rawNames(box.harness)).toEqual([`${DAY}/${DAY}_${id}.eml`, `${DAY}/${DAY}_p.xlsx`]);
    const eml = (await box.harness.rawObjects()).find((o) => o.name.endsWith('.eml'))!;
    const [bytes] = await world.clients.storage.bucket(world.bucket).file(eml.name).download();
    const parsed = await simpleParser(bytes);
    expect(parsed.subject).toBe('Prices with body');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['p.xlsx']);
  });
});

describe('gmail source: quota', () => {
  it('spends one messages.get per mail to match and one raw read for all its attachments, labels in one batch, looks labels up once', async () => {
    const box = await inbox();
    for (let i = 0; i < 10; i++) {
      await box.send({ subject: `Prices ${i}`, attachments: [{ filename: `a${i}.xlsx`, content: spreadsheet(`a${i}`) }, { filename: `b${i}.xlsx`, content: spreadsheet(`b${i}`) }] });
    }
    const since = (await seed.requests()).length;
    const run = await box.fetch(1);
    expect((await box.harness.run(run))?.expectedFiles).toBe(20);
    const ops = (await seed.requests(since)).filter((r) => r.principal === box.user.toLowerCase());
    const count = (operation: string) => ops.filter((r) => r.operation === operation).length;
    expect(count('gmail.users.messages.get')).toBe(20);
    expect(count('gmail.users.messages.attachments.get')).toBe(0);
    expect(count('gmail.users.messages.batchModify')).toBe(1);
    expect(count('gmail.users.labels.list')).toBe(1);
    // 1 profile + 1 labels.list + 5 labels.create + 5 messages.list + 10 × (5 + 5) + 50 batchModify.
    expect(ops.reduce((sum, r) => sum + r.quotaUnits, 0)).toBe(162);
    const [a3] = await world.clients.storage.bucket(world.bucket).file((await box.harness.rawObjects()).find((o) => o.name.endsWith('_b3.xlsx'))!.name).download();
    expect(a3.toString()).toBe('PK-fake-xlsx:b3');
  });

  it("lists a rule with its own q by that query, and checks history-listed mail against it", async () => {
    const box = await inbox({ rules: [{ name: 'vendors', q: 'label:vendors', imports: ['prices'] }] });
    const vendors = await seed.createLabel(box.user, 'vendors');
    const send = async (name: string, labelled: boolean) => {
      const eml = await buildEml({ from: 'x@vendor.example', to: box.user, subject: name, date: MAIL_DATE, text: 't', attachments: [{ filename: `${name}.xlsx`, content: spreadsheet(name) }] });
      return (await seed.insertMessage(box.user, eml, { labelIds: labelled ? ['INBOX', vendors.id] : ['INBOX'], internalDate: Date.now() - 60_000 })).id;
    };
    await send('labelled1', true);
    const plain = await send('plain1', false);
    await box.fetch(1);
    await send('labelled2', true);
    const plain2 = await send('plain2', false);
    await box.fetch(2);
    expect((await rawNames(box.harness)).sort()).toEqual([`${DAY}/${DAY}_labelled1.xlsx`, `${DAY}/${DAY}_labelled2.xlsx`]);
    // The query listing never showed plain1 (only what the rules' queries find is looked at); history
    // showed plain2, which no rule took.
    expect(await box.labelsOf(plain)).toEqual(['INBOX']);
    expect(await box.labelsOf(plain2)).toEqual(expect.arrayContaining(['Error', 'INBOX']));
  });
});

describe('gmail source: incremental listing', () => {
  it('lists by history after the first run: a second run sees nothing new, a third only the new mail', async () => {
    const box = await inbox();
    await box.send({ attachments: [{ filename: 'first.xlsx', content: spreadsheet('1') }] });
    await box.fetch(1);
    const since = (await seed.requests()).length;
    const second = await box.fetch(2);
    expect((await box.harness.run(second))?.expectedFiles).toBe(0);
    const secondOps = (await seed.requests(since)).filter((r) => r.principal === box.user.toLowerCase()).map((r) => r.operation);
    expect(secondOps).toContain('gmail.users.history.list');
    expect(secondOps).not.toContain('gmail.users.messages.list');
    expect(secondOps).not.toContain('gmail.users.messages.attachments.get');

    await box.send({ attachments: [{ filename: 'second.xlsx', content: spreadsheet('2') }] });
    const third = await box.fetch(3);
    expect((await box.harness.run(third))?.expectedFiles).toBe(1);
    expect((await rawNames(box.harness)).sort()).toEqual([`${DAY}/${DAY}_first.xlsx`, `${DAY}/${DAY}_second.xlsx`]);
  });

  it('falls back to a listing by query when the stored history id is too old, says so, and fetches nothing twice', async () => {
    const box = await inbox();
    await box.send({ attachments: [{ filename: 'old.xlsx', content: spreadsheet('old') }] });
    await box.fetch(1);
    await seed.expireHistory(box.user);
    await box.send({ attachments: [{ filename: 'new.xlsx', content: spreadsheet('new') }] });
    const run = await box.fetch(2);
    expect(logged('history id too old').some((line) => line.includes(run))).toBe(true);
    expect((await box.harness.run(run))?.expectedFiles).toBe(1);
    const files = await box.harness.files(run);
    expect(files.filter((f) => f.status === 'skipped').map((f) => f.skippedReason)).toEqual([expect.stringContaining('already fetched')]);
    expect((await box.harness.rawObjects()).length).toBe(2);
  });
});

describe('gmail source: caps', () => {
  it('records an attachment over maxAttachmentBytes as skipped with the reason, and still labels its mail', async () => {
    const box = await inbox({ maxAttachmentBytes: 1000 });
    const id = await box.send({ attachments: [{ filename: 'big.xlsx', content: Buffer.alloc(2000, 1) }, { filename: 'small.xlsx', content: spreadsheet('s') }] });
    const run = await box.fetch(1);
    expect(await rawNames(box.harness)).toEqual([`${DAY}/${DAY}_small.xlsx`]);
    const skipped = (await box.harness.files(run)).filter((f) => f.status === 'skipped');
    expect(skipped.map((f) => f.skippedReason)).toEqual([expect.stringContaining('maxAttachmentBytes of 1000')]);
    expect(await box.labelsOf(id)).toContain('Processed');
  });

  it('leaves what passes maxRunBytes unlabelled for the next run, which takes it', async () => {
    const box = await inbox({ maxRunBytes: 1500 });
    const first = await box.send({ attachments: [{ filename: 'a.xlsx', content: Buffer.alloc(1000, 1) }] });
    const second = await box.send({ attachments: [{ filename: 'b.xlsx', content: Buffer.alloc(1000, 2) }] });
    const run1 = await box.fetch(1);
    expect(await rawNames(box.harness)).toEqual([`${DAY}/${DAY}_a.xlsx`]);
    expect((await box.harness.files(run1)).filter((f) => f.status === 'skipped').map((f) => f.skippedReason)).toEqual([expect.stringContaining('maxRunBytes')]);
    expect(await box.labelsOf(first)).toContain('Processed');
    expect(await box.labelsOf(second)).not.toContain('Processed');
    const run2 = await box.fetch(2);
    expect((await box.harness.run(run2))?.expectedFiles).toBe(1);
    expect((await rawNames(box.harness)).sort()).toEqual([`${DAY}/${DAY}_a.xlsx`, `${DAY}/${DAY}_b.xlsx`]);
    expect(await box.labelsOf(second)).toContain('Processed');
  });
});

describe('gmail source: crash windows and errors', () => {
  it('a failure between staging and labelling: the redelivery labels without a second copy, and nothing is lost', async () => {
    const box = await inbox();
    const id = await box.send({ attachments: [{ filename: 'crash.xlsx', content: spreadsheet('c') }] });
    await seed.armFault({ route: 'gmail.users.messages.batchModify', principal: box.user.toLowerCase(), fault: { kind: 'status', status: 500 } });
    await expect(box.fetch(1)).rejects.toThrow(/batchModify|settling/);
    const staged = await box.harness.rawObjects();
    expect(staged.map((o) => o.name.split('/').pop())).toEqual([`${DAY}_crash.xlsx`]);
    expect(await box.labelsOf(id)).toContain('INBOX');
    expect(await box.labelsOf(id)).not.toContain('Processed');

    const run = await box.fetch(1, { deliveryAttempt: 2 });
    const after = await box.harness.rawObjects();
    expect(after.map((o) => [o.name, o.generation])).toEqual(staged.map((o) => [o.name, o.generation]));
    expect(await box.labelsOf(id)).toContain('Processed');
    expect((await box.harness.run(run))?.expectedFiles).toBe(1);

    const next = await box.fetch(2);
    expect((await box.harness.run(next))?.expectedFiles).toBe(0);
    expect((await box.harness.rawObjects()).length).toBe(1);
  });

  it('a crash after labelling, before the run counted its files: the redelivery still lists and counts the labelled mail', async () => {
    const box = await inbox();
    const id = await box.send({ attachments: [{ filename: 'late.xlsx', content: spreadsheet('l') }] });
    // finish labels the mail and moves the shared cursor, then the instance dies.
    const dying = createFetchHandler({
      connectors: {
        ...connectors,
        gmail: {
          ...gmailConnector,
          async connect(source, runtime) {
            const session = await gmailConnector.connect(source, runtime);
            return {
              list: () => session.list(),
              async finish(outcome) {
                await session.finish?.(outcome);
                throw new Error('instance killed after labelling');
              },
              close: () => session.close(),
            };
          },
        },
      },
    });
    const data = { v: 1, type: 'sluice.trigger', pipeline: box.pipeline.name, trigger: 'schedule' };
    const publishTime = new Date(Date.parse('2026-03-02T11:00:00.123Z') + 1000).toISOString();
    const localEndpoints = { google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl } };
    await expect(box.harness.deliver('fetch', dying, data, { messageId: `${box.pipeline.name}-1`, publishTime, localEndpoints })).rejects.toThrow(/killed after labelling/);
    expect(await box.labelsOf(id)).toContain('Processed');

    // A later run has meanwhile listed from the moved cursor: it finds nothing.
    expect((await box.harness.run(await box.fetch(5)))?.expectedFiles).toBe(0);
    const run = await box.fetch(1, { deliveryAttempt: 2 });
    expect((await box.harness.run(run))?.expectedFiles).toBe(1);
    expect((await box.harness.rawObjects()).length).toBe(1);
  });

  it('a rate limit is transient and says when to come back; the redelivery completes', async () => {
    const box = await inbox();
    await box.send({ attachments: [{ filename: 'rl.xlsx', content: spreadsheet('r') }] });
    await seed.armFault({ route: 'gmail.users.messages.attachments.get', principal: box.user.toLowerCase(), times: 4, fault: { kind: 'status', status: 429, retryAfterSeconds: 7 } });
    const failure = await box.fetch(1).then(() => null, (error: unknown) => error as Error & { retryAfterSeconds?: number });
    expect(failure?.name).toBe('GoogleApiRetryableError');
    expect(failure?.retryAfterSeconds).toBe(7);
    const run = await box.fetch(1, { deliveryAttempt: 2 });
    expect((await box.harness.run(run))?.expectedFiles).toBe(1);
  });

  it('a revoked refresh token fails the run once, naming the secret, and never logs the token', async () => {
    const box = await inbox();
    await box.send({ attachments: [{ filename: 'x.xlsx', content: spreadsheet('x') }] });
    const [token] = await seed.liveRefreshTokens(box.user);
    await seed.revokeRefreshToken(token!.refreshToken);
    const run = await box.fetch(1);
    const record = await box.harness.run(run);
    expect(record?.status).toBe('failed');
    expect(JSON.stringify(record)).toContain(box.tokenSecret);
    expect(world.logLines.some((line) => line.includes(token!.refreshToken))).toBe(false);
    expect(await box.harness.rawObjects()).toEqual([]);
  });
});
