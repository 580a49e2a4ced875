// Alerts on the local cloud: the real SMTP server, a webhook receiver on loopback, the Firestore
// emulator. Each alert goes out once per state change, by mail and webhook, with the dashboard link and
// the exact retry command, whatever notify or the watchdog is delivered twice; a webhook answering 500
// is retried without a second mail, one answering 400 is recorded failed without blocking the mail;
// a long-running run is alerted once; a missed schedule once per fire time, and never when a run (even
// a paused pipeline's skipped one) started in time; a dead letter of no recorded run by mail and webhook.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../../functions/notify/handler';
import { handleSweep } from '../../../functions/notify/sweep';
import { createFirestorePipelineStateStore } from '../../../functions/runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore } from '../../../functions/runtime/firestore-run-store';
import type { PipelineStateStore } from '../../../functions/runtime/pipeline-state-store';
import type { PipelineInput } from '../../../shared/pipeline-definition';
import { deadLetterAttributes } from '../../support/dead-letter-attributes';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../../support/stage-test-context';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver';

const DASHBOARD = 'https://ops.example.test/ui/';
const HOOKS = ['fail', 'partial', 'retry', 'refused', 'long', 'missed', 'in-time', 'orphan'] as const;

let world: StageTestWorld;
let hooks: WebhookReceiver;
const harnesses: StageHarness[] = [];

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  world = await startStageTestWorld({ label: 'alrt', smtp: true, secrets: { ...Object.fromEntries(HOOKS.map((h) => [`hook-${h}`, hooks.url(`/hooks/${h}`)])), 'flaky-smtp-url': 'smtp://nobody@127.0.0.1:9' } });
});
afterAll(async () => {
  for (const h of harnesses) await h.close();
  await world?.stop();
  await hooks?.stop();
});

async function harness(hook: (typeof HOOKS)[number], alerts: Partial<PipelineInput['alerts']> = {}, input: Partial<PipelineInput> = {}): Promise<StageHarness> {
  const h = await stageHarness(world, testPipeline(world, { alerts: { to: ['ops@example.com'], webhook: { url: { secret: `hook-${hook}` } }, ...alerts }, ...input }), { dashboardUrl: DASHBOARD });
  harnesses.push(h);
  return h;
}

async function mailsSince(before: number): Promise<ParsedMail[]> {
  return Promise.all((await world.outbox()).slice(before).map(async (file) => simpleParser(await readFile(file))));
}

const failed = (h: StageHarness, runId: string) => ({ v: 1, type: 'sluice.run-failed', pipeline: h.pipeline.name, runId, stage: 'load', error: 'relation "orders" does not exist' });
const sweepOf = (h: StageHarness, id: string) => ({ messageId: id, attributes: {}, data: Buffer.from(JSON.stringify({ v: 1, type: 'sluice.sweep', pipeline: h.pipeline.name })) });
const text = (post: { body: unknown }) => (post.body as { text: string }).text;

describe('a failed run', () => {
  it('is alerted once by mail and once by webhook, each with the dashboard link and the rerun command', async () => {
    const h = await harness('fail');
    const before = (await world.outbox()).length;
    await h.startRun('r-fail', [{ fileKey: 'f1', name: '20261121/Orders.csv' }], 'load');
    await h.deliver('notify', handleNotify, failed(h, 'r-fail'));
    await h.deliver('notify', handleNotify, failed(h, 'r-fail')); // redelivered

    const mails = await mailsSince(before);
    expect(mails.map((m) => m.messageId)).toEqual(['<r-fail.failure-alert@sluice>']);
    expect(mails[0]!.text).toContain('relation "orders" does not exist');
    expect(mails[0]!.text).toContain(`Dashboard: ${DASHBOARD}#/runs/r-fail`);
    expect(mails[0]!.text).toContain('Retry: npx sluice rerun r-fail --failed');
    expect(mails[0]!.html).toContain(`href="${DASHBOARD}#/runs/r-fail"`);

    const posts = hooks.posts('/hooks/fail');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.contentType).toMatch(/^application\/json/);
    expect(text(posts[0]!)).toContain('relation "orders" does not exist');
    expect(text(posts[0]!)).toContain(`${DASHBOARD}#/runs/r-fail`);
    expect(text(posts[0]!)).toContain('npx sluice rerun r-fail --failed');
    expect(Array.isArray((posts[0]!.body as { blocks: unknown }).blocks)).toBe(true);
    const run = await h.run('r-fail');
    expect(run?.notifications?.deliveries?.['failureAlertSentAt-webhook']).toMatchObject({ status: 200 });
  });

  it('ended partial is alerted once by mail and webhook, naming the file, with the rerun command', async () => {
    const h = await harness('partial');
    const before = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.startRun('r-partial', [{ fileKey: 'f1', name: '20261121/Orders.csv' }, { fileKey: 'f2', name: '20261121/Payments.csv' }], 'load');
    await h.context('load').finishFile('r-partial', 'f1', 'loaded', { stage: 'load' });
    await h.context('load').finishFile('r-partial', 'f2', 'quarantined', { stage: 'load', error: 'row 3: "2026-13-01" is not a date', row: 3 });
    const complete = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    await h.deliver('notify', handleNotify, complete);
    await h.deliver('notify', handleNotify, complete);

    const mails = await mailsSince(before);
    expect(mails.map((m) => m.messageId)).toEqual(['<r-partial.alert@sluice>']);
    expect(mails[0]!.text).toContain('20261121/Payments.csv');
    expect(mails[0]!.text).toContain(`Dashboard: ${DASHBOARD}#/runs/r-partial`);
    expect(mails[0]!.text).toContain('Retry: npx sluice rerun r-partial --failed');
    const posts = hooks.posts('/hooks/partial');
    expect(posts).toHaveLength(1);
    expect(text(posts[0]!)).toMatch(/r-partial partial/);
    expect(text(posts[0]!)).toContain('npx sluice rerun r-partial --failed');
  });

  it('retries a webhook that answered 500, without sending the mail again', async () => {
    const h = await harness('retry');
    hooks.script('/hooks/retry', [{ status: 500, body: 'internal_error' }]);
    const before = (await world.outbox()).length;
    await h.startRun('r-retry', [{ fileKey: 'f1', name: '20261121/Orders.csv' }], 'load');
    await expect(h.deliver('notify', handleNotify, failed(h, 'r-retry'))).rejects.toThrow(/webhook answered HTTP 500/);
    expect(await mailsSince(before)).toHaveLength(1);
    await h.deliver('notify', handleNotify, failed(h, 'r-retry')); // Pub/Sub's redelivery
    await h.deliver('notify', handleNotify, failed(h, 'r-retry'));
    expect((await mailsSince(before)).map((m) => m.messageId)).toEqual(['<r-retry.failure-alert@sluice>']);
    expect(hooks.posts('/hooks/retry').map((p) => p.status)).toEqual([500, 200]);
  });

  it('records a webhook that answered 400 as failed for good and still sends the mail, once', async () => {
    const h = await harness('refused');
    hooks.script('/hooks/refused', [{ status: 400, body: 'invalid_payload' }]);
    const before = (await world.outbox()).length;
    await h.startRun('r-refused', [{ fileKey: 'f1', name: '20261121/Orders.csv' }], 'load');
    await h.deliver('notify', handleNotify, failed(h, 'r-refused'));
    await h.deliver('notify', handleNotify, failed(h, 'r-refused'));
    expect((await mailsSince(before)).map((m) => m.messageId)).toEqual(['<r-refused.failure-alert@sluice>']);
    expect(hooks.posts('/hooks/refused').map((p) => p.status)).toEqual([400]);
    const record = (await h.run('r-refused'))?.notifications?.deliveries?.['failureAlertSentAt-webhook'];
    expect(record?.failed).toMatch(/^webhook answered HTTP 400 \(invalid_payload\)/);
    // The webhook URL is a credential: in no log line, on no record.
    expect(world.logLines.join('\n')).not.toContain(hooks.url('/hooks/refused'));
    expect(JSON.stringify(await h.run('r-refused'))).not.toContain('/hooks/refused');
  });
});

describe('a long-running run', () => {
  it('is alerted once, under repeated and concurrent sweeps, and left running', async () => {
    const h = await harness('long', { longRunningMinutes: 30 });
    const before = (await world.outbox()).length;
    await h.startRun('r-long', [{ fileKey: 'f1', name: '20261121/Orders.csv' }], 'load');
    const later = () => new Date(Date.now() + 31 * 60_000);
    const first = await Promise.allSettled([handleSweep(h.context('notify'), sweepOf(h, 's1'), { now: later }), handleSweep(h.context('notify'), sweepOf(h, 's2'), { now: later })]);
    // The loser of the claim is refused as busy (and would be retried).
    expect(first.filter((r) => r.status === 'fulfilled' && r.value.longRunning.includes('r-long'))).toHaveLength(1);
    const again = await handleSweep(h.context('notify'), sweepOf(h, 's3'), { now: later });
    expect(again).toMatchObject({ failed: [], longRunning: [] });

    const mails = await mailsSince(before);
    expect(mails.map((m) => m.messageId)).toEqual(['<r-long.long-running-alert@sluice>']);
    expect(mails[0]!.subject).toMatch(/has been running for 31 min$/);
    expect(mails[0]!.text).toContain(`Dashboard: ${DASHBOARD}#/runs/r-long`);
    expect(mails[0]!.text).toContain(`Retry: npx sluice cancel r-long`);
    expect(mails[0]!.text).toContain('waiting on load (20261121/Orders.csv)');
    expect(hooks.posts('/hooks/long')).toHaveLength(1);
    expect(text(hooks.posts('/hooks/long')[0]!)).toContain('npx sluice cancel r-long');
    expect((await h.run('r-long'))?.status).toBe('running');
  });
});

describe('a missed schedule', () => {
  const schedule = { cron: '0 6 * * *', timeZone: 'UTC' };
  const at = (iso: string) => () => new Date(iso);

  it('is alerted once per fire time with no run, under repeated and concurrent sweeps', async () => {
    const h = await harness('missed', { missedScheduleMinutes: 30 }, { schedule });
    const before = (await world.outbox()).length;
    const now = at('2026-11-20T06:45:00.000Z');
    const first = await Promise.all([handleSweep(h.context('notify'), sweepOf(h, 'm1'), { now }), handleSweep(h.context('notify'), sweepOf(h, 'm2'), { now })]);
    expect(first.flatMap((r) => r.missedSchedules)).toEqual(['2026-11-20T06:00:00.000Z']);
    expect((await handleSweep(h.context('notify'), sweepOf(h, 'm3'), { now: at('2026-11-20T07:30:00.000Z') })).missedSchedules).toEqual([]);
    // The next day's fire time is its own.
    expect((await handleSweep(h.context('notify'), sweepOf(h, 'm4'), { now: at('2026-11-21T06:40:00.000Z') })).missedSchedules).toEqual(['2026-11-21T06:00:00.000Z']);

    const mails = await mailsSince(before);
    const name = h.pipeline.name;
    expect(mails.map((m) => m.messageId)).toEqual([`<${name}.20261120T060000000Z.missed-schedule@sluice>`, `<${name}.20261121T060000000Z.missed-schedule@sluice>`]);
    expect(mails[0]!.subject).toBe(`[Sluice alert] ${name} missed its scheduled run of 2026-11-20T06:00:00.000Z`);
    expect(mails[0]!.text).toContain(`Retry: npx sluice trigger ${name} --date 2026-11-20`);
    expect(mails[0]!.text).toContain(`Dashboard: ${DASHBOARD}#/pipelines/${name}`);
    expect(hooks.posts('/hooks/missed').map((p) => text(p).includes(`npx sluice trigger ${name} --date`))).toEqual([true, true]);
  });

  it('is not alerted when a run started in time, when the trigger was skipped as paused, or while the pipeline is paused', async () => {
    const started = await harness('in-time', { missedScheduleMinutes: 30 }, { schedule });
    const skipped = await harness('in-time', { missedScheduleMinutes: 30 }, { schedule });
    const paused = await harness('in-time', { missedScheduleMinutes: 30 }, { schedule });
    const before = (await world.outbox()).length;
    const firestore = world.clients.firestore;
    // The scheduled run started two minutes after its fire time; the other's trigger found it paused.
    await createFirestoreRunStore(firestore, { now: at('2026-11-20T06:02:00.000Z') })
      .startRun('r-in-time', { pipeline: started.pipeline.name, trigger: 'schedule', messageId: 'sched-1', dates: ['2026-11-20'] });
    await createFirestoreRunStore(firestore, { now: at('2026-11-20T06:00:20.000Z') })
      .recordPausedRun('r-skipped', { pipeline: skipped.pipeline.name, trigger: 'schedule', messageId: 'sched-2', actor: 'scheduler', reason: 'pipeline paused' });
    await createFirestorePipelineStateStore(firestore, { now: at('2026-11-19T12:00:00.000Z') }).setPaused(paused.pipeline.name, true, 'user:ana@example.com');

    const now = at('2026-11-20T06:45:00.000Z');
    for (const h of [started, skipped, paused]) {
      expect((await handleSweep(h.context('notify'), sweepOf(h, `n-${h.pipeline.name}`), { now })).missedSchedules).toEqual([]);
    }
    expect(await mailsSince(before)).toEqual([]);
    expect(hooks.posts('/hooks/in-time')).toEqual([]);
  });

  it('is judged again when its mail could not be sent and the store gives the claim back', async () => {
    // A store with releaseScheduleCheck (optional in the contract): claims kept in memory.
    const claims = new Set<string>();
    const state: PipelineStateStore = {
      async get(pipeline) { return { pipeline, paused: false }; },
      async setPaused(pipeline) { return { pipeline, paused: false }; },
      async claimScheduleCheck(pipeline, fire) { const key = `${pipeline} ${fire}`; return !claims.has(key) && !!claims.add(key); },
      async releaseScheduleCheck(pipeline, fire) { claims.delete(`${pipeline} ${fire}`); },
    };
    const h = await harness('missed', { missedScheduleMinutes: 30 }, { schedule, mail: { from: 'sluice@example.com', smtpUrl: { secret: 'flaky-smtp-url' } } });
    const before = (await world.outbox()).length;
    const now = at('2026-11-20T06:45:00.000Z');
    await expect(handleSweep(h.context('notify'), sweepOf(h, 'f1'), { now, pipelineState: state })).rejects.toThrow();
    expect(claims.size).toBe(0);
    // The SMTP server is back (the secret's value now reaches it): the next sweep alerts, once.
    await writeFile(path.join(world.secretsDir, 'flaky-smtp-url'), (await readFile(path.join(world.secretsDir, 'smtp-url'), 'utf8')));
    expect((await handleSweep(h.context('notify'), sweepOf(h, 'f2'), { now, pipelineState: state })).missedSchedules).toEqual(['2026-11-20T06:00:00.000Z']);
    expect((await handleSweep(h.context('notify'), sweepOf(h, 'f3'), { now, pipelineState: state })).missedSchedules).toEqual([]);
    expect((await mailsSince(before)).map((m) => m.messageId)).toEqual([`<${h.pipeline.name}.20261120T060000000Z.missed-schedule@sluice>`]);
  });
});

describe('a dead letter of no recorded run', () => {
  it('is alerted by mail and by webhook, with the command that lists the kept dead letters', async () => {
    const h = await harness('orphan');
    const before = (await world.outbox()).length;
    await h.deliver(
      'notify', handleNotify,
      { v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'schedule', date: '2026-11-21' },
      {
        attributes: deadLetterAttributes(world, h.pipeline.name, 'fetch', 5),
        messageId: 'dl-orphan-hook',
      },
    );
    expect((await mailsSince(before)).map((m) => m.messageId)).toEqual(['<dl-orphan-hook.dead-letter@sluice>']);
    const posts = hooks.posts('/hooks/orphan');
    expect(posts).toHaveLength(1);
    expect(text(posts[0]!)).toContain('gave up after 5 attempts in fetch');
    expect(text(posts[0]!)).toContain(`npx sluice dlq list --pipeline ${h.pipeline.name} --stage fetch`);
    expect(text(posts[0]!)).toContain(`${DASHBOARD}#/pipelines/${h.pipeline.name}`);
  });
});
