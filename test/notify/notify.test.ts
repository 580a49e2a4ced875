// The notify stage against the real local cloud: Firestore run records, PostgreSQL report queries, and a
// real SMTP server whose .eml files are read back with mailparser.
import { readFile } from 'node:fs/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdFor } from '../../functions/fetch/run-id';
import { handleNotify } from '../../functions/notify/handler';
import { TransientError } from '../../shared/errors';
import { fileKeyOf } from '../../shared/object-names';
import { deadLetterAttributes } from '../support/dead-letter-attributes';
import { SMTP_PASSWORD, stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

let world: StageTestWorld;
let h: StageHarness;

const NASTY = [
  { day: '2026-11-21', category: '<script>alert("x")</script>', revenue: '10.50' },
  { day: '2026-11-21', category: 'Beer, "Wine"', revenue: '27.00' },
  { day: '2026-11-21', category: 'two\nlines', revenue: '3.00' },
  { day: '2026-11-22', category: 'Food & more', revenue: '49.00' },
];

const reports = [
  {
    name: 'daily-sales',
    subject: 'Daily sales',
    to: ['managers@example.com'],
    queries: [
      { title: 'Sales by day & category', sql: 'select day, category, revenue from sales order by day, category' },
      { title: 'Totals', sql: 'select count(*) as sales, sum(revenue) as revenue from sales' },
    ],
  },
];

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'ntf', database: true, smtp: true });
  await world.db.query('create table sales (day text, category text, revenue numeric(12,2))');
  for (const row of NASTY) await world.db.query('insert into sales values ($1, $2, $3)', [row.day, row.category, row.revenue]);
  h = await stageHarness(world, testPipeline(world, { reports }));
});

afterAll(async () => {
  await h?.close();
  await world?.stop();
});

// Mails stored since `before` mails were there, parsed.
async function mailsAfter(before: number): Promise<ParsedMail[]> {
  const files = (await world.outbox()).slice(before);
  return Promise.all(files.map(async (f) => simpleParser(await readFile(f))));
}

const addresses = (mail: ParsedMail) => [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address) ?? []);

async function completeRun(runId: string, files: Array<{ fileKey: string; name: string; outcome: 'loaded' | 'quarantined'; rows?: number; error?: string; row?: number; stage?: 'transform' | 'load' }>): Promise<Record<string, unknown>> {
  const eventsBefore = h.events.length;
  await h.startRun(runId, files);
  const ctx = h.context('aggregate');
  for (const f of files) {
    if (f.outcome === 'loaded') {
      await h.runs.stageSucceeded(runId, f.fileKey, 'load', { rows: f.rows ?? 0 });
      await ctx.finishFile(runId, f.fileKey, 'loaded', { stage: 'aggregate' });
    } else {
      await h.runs.stageFailed(runId, f.fileKey, f.stage ?? 'transform', f.error ?? 'bad');
      await ctx.finishFile(runId, f.fileKey, 'quarantined', { stage: f.stage ?? 'transform', error: f.error ?? 'bad', ...(f.row !== undefined ? { row: f.row } : {}) });
    }
  }
  const events = await h.waitForEvents(eventsBefore + 1);
  return events[eventsBefore]!;
}

describe('notify: run-complete', () => {
  it('mails the report with an HTML table and a CSV attachment per query, once', async () => {
    const before = (await world.outbox()).length;
    const event = await completeRun('r-ok', [
      { fileKey: 'fa', name: 'Items-A.csv', outcome: 'loaded', rows: 120 },
      { fileKey: 'fb', name: 'Items-B.csv', outcome: 'loaded', rows: 30 },
    ]);
    expect(event).toMatchObject({ type: 'sluice.run-complete', runId: 'r-ok' });
    await h.deliver('notify', handleNotify, event);

    const mails = await mailsAfter(before);
    expect(mails).toHaveLength(1);
    const [mail] = mails as [ParsedMail];
    expect(mail.messageId).toBe('<r-ok.report@sluice>');
    expect(addresses(mail)).toEqual(['managers@example.com']);
    expect(mail.subject).toContain('Daily sales');
    expect(mail.subject).toContain(h.pipeline.name);
    expect(mail.subject).toContain('succeeded');
    expect(mail.subject).toContain('2026-11-21');

    const html = String(mail.html);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Food &amp; more');
    expect(html).toMatch(/<table[\s\S]*<th[^>]*>category<\/th>/);
    expect(mail.text).toContain('Files: 2 loaded, 0 skipped, 0 quarantined, 0 failed. Rows loaded: 150.');

    expect(mail.attachments.map((a) => a.filename)).toEqual(['daily-sales-sales-by-day-category.csv', 'daily-sales-totals.csv']);
    const csv = mail.attachments[0]!.content.toString('utf8');
    expect(csv).toContain('"Beer, ""Wine"""');
    expect(csv).toContain('"two\nlines"');
    const parsed = Papa.parse<Record<string, string>>(csv.trimEnd(), { header: true });
    expect(parsed.data).toEqual([...NASTY].sort((a, b) => (a.day + a.category < b.day + b.category ? -1 : 1)));
    expect(mail.attachments[1]!.content.toString('utf8')).toBe('sales,revenue\r\n4,89.50\r\n');

    const run = await h.run('r-ok');
    expect(run?.status).toBe('succeeded');
    expect(run?.finishedAt).toBeTruthy();
    expect(run?.notifications?.reportSentAt).toBeTruthy();
    expect(run?.notifications?.alertSentAt).toBeUndefined();

    // Redelivered: nothing more is sent.
    await h.deliver('notify', handleNotify, event);
    expect(await mailsAfter(before)).toHaveLength(1);
  });

  it('alerts on a partial run, naming the file, stage, row and reason, once', async () => {
    const before = (await world.outbox()).length;
    const reason = 'column quantity: "lots" is not an integer';
    const event = await completeRun('r-part', [
      { fileKey: 'fa', name: 'Items-A.csv', outcome: 'loaded', rows: 10 },
      { fileKey: 'fq', name: 'Items-<Q>.csv', outcome: 'quarantined', stage: 'transform', error: reason, row: 7 },
    ]);
    await h.deliver('notify', handleNotify, event);
    await h.deliver('notify', handleNotify, event);

    const mails = await mailsAfter(before);
    expect(mails.map((m) => m.messageId).sort()).toEqual(['<r-part.alert@sluice>', '<r-part.report@sluice>']);
    const alert = mails.find((m) => m.messageId === '<r-part.alert@sluice>')!;
    expect(addresses(alert)).toEqual(['ops@example.com']);
    expect(alert.subject).toContain(h.pipeline.name);
    expect(alert.subject).toContain('r-part');
    expect(alert.subject).toContain('partial');
    expect(alert.text).toContain(`- Items-<Q>.csv: quarantined in transform, row 7: ${reason}`);
    expect(String(alert.html)).toContain('Items-&lt;Q&gt;.csv');
    expect(String(alert.html)).toContain('&quot;lots&quot;');
    const report = mails.find((m) => m.messageId === '<r-part.report@sluice>')!;
    expect(report.subject).toContain('partial');
    const run = await h.run('r-part');
    expect(run?.status).toBe('partial');
    expect(run?.notifications?.alertSentAt).toBeTruthy();
  });
});

describe('notify: run-failed', () => {
  it('marks the run failed and alerts once', async () => {
    const before = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.runs.startRun('r-fail', { pipeline: h.pipeline.name, trigger: 'schedule', messageId: 'x', dates: ['2026-11-20'] });
    await h.context('fetch').failRun('r-fail', 'SFTP host key mismatch');
    const event = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId: 'r-fail', stage: 'fetch' });
    await h.deliver('notify', handleNotify, event);
    await h.deliver('notify', handleNotify, event);
    const mails = await mailsAfter(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.messageId).toBe('<r-fail.failure-alert@sluice>');
    expect(mails[0]!.text).toContain('failed in stage fetch');
    expect(mails[0]!.text).toContain('SFTP host key mismatch');
    const run = await h.run('r-fail');
    expect(run).toMatchObject({ status: 'failed', error: { stage: 'fetch', message: 'SFTP host key mismatch' } });
    expect(run?.notifications?.failureAlertSentAt).toBeTruthy();
  });
});

describe('notify: dead letters', () => {
  const deadLetter = (stage: 'fetch' | 'transform' | 'load' | 'aggregate', attempts: number) => deadLetterAttributes(world, h.pipeline.name, stage, attempts);

  it('ends the file of a dead-lettered staged message failed, which completes the run and alerts', async () => {
    const before = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.startRun('r-dl', [{ fileKey: 'fs', name: 'Payments.csv' }], 'load');
    const staged = {
      v: 1, type: 'sluice.staged', pipeline: h.pipeline.name, runId: 'r-dl', fileKey: 'fs',
      raw: { bucket: 'b', object: `raw/${h.pipeline.name}/r-dl/Payments.csv`, generation: '1' },
      staged: { bucket: 'b', object: `staged/${h.pipeline.name}/r-dl/Payments.csv.csv`, generation: '2' },
      schemaObject: `staged/${h.pipeline.name}/r-dl/Payments.csv.schema.json`, rule: 'payments', table: 'payments', rows: 3,
    };
    await h.deliver('notify', handleNotify, staged, { attributes: deadLetter('load', 8) });

    const [file] = await h.files('r-dl');
    expect(file).toMatchObject({ status: 'failed', error: { stage: 'load', message: 'gave up after 8 attempts in load' } });
    const event = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    expect(event).toMatchObject({ type: 'sluice.run-complete', runId: 'r-dl' });
    await h.deliver('notify', handleNotify, event);
    const mails = await mailsAfter(before);
    const alert = mails.find((m) => m.messageId === '<r-dl.alert@sluice>');
    expect(alert?.text).toContain('- Payments.csv: failed in load: gave up after 8 attempts in load');
    expect((await h.run('r-dl'))?.status).toBe('failed');

    // The same dead letter again changes nothing.
    await h.deliver('notify', handleNotify, staged, { attributes: deadLetter('load', 8) });
    expect(h.events.length).toBe(eventsBefore + 1);
  });

  it('finds the file of a dead-lettered Cloud Storage notification from its object name', async () => {
    const path = '20261121/ItemSelectionDetails.csv';
    const fileKey = fileKeyOf(path);
    await h.runs.startRun('r-gcs', { pipeline: h.pipeline.name, trigger: 'schedule', messageId: 'y', dates: ['2026-11-21'] });
    await h.runs.setExpectedFiles('r-gcs', 2);
    await h.runs.stageStarted('r-gcs', fileKey, 'fetch');
    const object = { kind: 'storage#object', name: `raw/${h.pipeline.name}/r-gcs/${path}`, bucket: 'b', generation: '17' };
    await h.deliver('notify', handleNotify, object, { attributes: { ...deadLetter('transform', 5), objectId: object.name, bucketId: 'b', eventType: 'OBJECT_FINALIZE' } });
    const files = await h.files('r-gcs');
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ fileKey, name: 'ItemSelectionDetails.csv', status: 'failed', error: { stage: 'transform', message: 'gave up after 5 attempts in transform' } });
    expect((await h.run('r-gcs'))?.status).toBe('running');
  });

  it('ends a file the runner dead-lettered as failed permanently (sluiceError)', async () => {
    await h.startRun('r-inv', [{ fileKey: 'fi', name: 'Items.csv' }, { fileKey: 'fj', name: 'Other.csv' }], 'load');
    const loaded = { v: 1, type: 'sluice.loaded', pipeline: h.pipeline.name, runId: 'r-inv', fileKey: 'fi', table: 'order_items' };
    await h.deliver('notify', handleNotify, loaded, { attributes: { sluiceError: 'invalid loaded message: raw: Required', sluiceSourceStage: 'aggregate', sluiceSourceMessageId: '42' } });
    const file = (await h.files('r-inv')).find((f) => f.fileKey === 'fi');
    expect(file).toMatchObject({ status: 'failed', error: { stage: 'aggregate', message: 'failed permanently in aggregate: invalid loaded message: raw: Required' } });
  });

  it('fails the run of a dead-lettered trigger in the stage that gave it up, and the alert says so', async () => {
    const before = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.runs.startRun('r-trig', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 'z', dates: ['2026-11-21'] });
    await h.deliver('notify', handleNotify, { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'manual', runId: 'r-trig' }, { attributes: deadLetter('fetch', 5) });
    const event = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    // Notify only records the failure; the run failed in fetch.
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId: 'r-trig', stage: 'fetch', error: 'gave up after 5 attempts in fetch' });
    expect(await h.run('r-trig')).toMatchObject({ status: 'failed', error: { stage: 'fetch', message: 'gave up after 5 attempts in fetch' } });
    await h.deliver('notify', handleNotify, event);
    const mails = await mailsAfter(before);
    expect(mails.map((m) => m.messageId)).toEqual(['<r-trig.failure-alert@sluice>']);
    expect(mails[0]!.text).toContain('failed in stage fetch');
    expect(mails[0]!.text).not.toContain('stage notify');
  });

  it('finds the run of a trigger without run id by the trigger message id the runner names', async () => {
    const eventsBefore = h.events.length;
    await h.runs.startRun('r-trig2', { pipeline: h.pipeline.name, trigger: 'schedule', messageId: '777001', dates: ['2026-11-21'] });
    const trigger = { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'schedule' };
    await h.deliver('notify', handleNotify, trigger, { attributes: { sluiceError: 'source refused', sluiceSourceStage: 'fetch', sluiceSourceMessageId: '777001' } });
    const event = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId: 'r-trig2', stage: 'fetch', error: 'failed permanently in fetch: source refused' });
    expect((await h.run('r-trig2'))?.error).toEqual({ stage: 'fetch', message: 'failed permanently in fetch: source refused' });
  });

  it('finds the run of a scheduled trigger Pub/Sub dead-lettered, from the original publish time it keeps', async () => {
    const eventsBefore = h.events.length;
    const trigger = { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'schedule' } as const;
    const firstPublished = '2026-11-21T11:00:03.412Z';
    // The run as fetch named it from the original delivery.
    const runId = runIdFor(trigger, { messageId: '990001', publishTime: firstPublished });
    await h.runs.startRun(runId, { pipeline: h.pipeline.name, trigger: 'schedule', messageId: '990001', dates: ['2026-11-20'] });
    // The dead-letter copy: a new id and publish time; the original publish time only as an attribute.
    await h.deliver('notify', handleNotify, trigger, {
      messageId: '990777',
      publishTime: '2026-11-21T11:52:40.001Z',
      attributes: { ...deadLetter('fetch', 5), CloudPubSubDeadLetterSourceTopicPublishTime: '2026-11-21T11:00:03.412+00:00' },
    });
    const event = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId, stage: 'fetch', error: 'gave up after 5 attempts in fetch' });
    expect((await h.run(runId))?.status).toBe('failed');
  });

  it('acknowledges an undecodable dead letter with an ERROR log line', async () => {
    const linesBefore = world.logLines.length;
    await h.deliver('notify', handleNotify, 'not json at all', { attributes: deadLetter('load', 8) });
    const logged = world.logLines.slice(linesBefore).map((l) => JSON.parse(l) as { severity: string; message: string });
    expect(logged).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'undecodable dead letter acknowledged' }));
  });
});

describe('notify: failures', () => {
  it('an unreachable SMTP server is a transient error, names no secret, and records nothing', async () => {
    const pipeline = testPipeline(world, { reports, mail: { from: 'sluice@example.com', smtpUrl: { secret: 'dead-smtp-url' } } });
    const x = await stageHarness(world, pipeline);
    await x.startRun('r-smtp', [{ fileKey: 'fa', name: 'A.csv' }]);
    await x.context('aggregate').finishFile('r-smtp', 'fa', 'loaded', { stage: 'aggregate' });
    const [event] = await x.waitForEvents(1);
    const attempt = x.deliver('notify', handleNotify, event);
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.not.toThrow(SMTP_PASSWORD);
    expect((await x.run('r-smtp'))?.notifications?.reportSentAt).toBeUndefined();
    await x.close();
  });

  it('no secret appears in any log line or mail', async () => {
    const dbPassword = decodeURIComponent(new URL(world.databaseUrl).password);
    const logs = world.logLines.join('\n');
    expect(logs).not.toContain(SMTP_PASSWORD);
    expect(logs).not.toContain(dbPassword);
    for (const file of await world.outbox()) {
      const raw = await readFile(file, 'utf8');
      expect(raw).not.toContain(SMTP_PASSWORD);
      expect(raw).not.toContain(dbPassword);
    }
  });
});

describe('notify: dead letter for no recorded run', () => {
  it('mails an alert (nothing to record it on)', async () => {
    const before = (await world.outbox()).length;
    await h.deliver(
      'notify', handleNotify,
      { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'schedule', date: '2026-11-21' },
      {
        attributes: deadLetterAttributes(world, h.pipeline.name, 'fetch', 5),
        messageId: 'dl-orphan-1',
      },
    );
    const mails = await mailsAfter(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.messageId).toBe('<dl-orphan-1.dead-letter@sluice>');
    expect(mails[0]!.text).toContain('gave up after 5 attempts in fetch');
  });
});
