// deliver-all and the destination seam with fake destinations, on the local cloud's Firestore and a
// real SMTP server: every delivery once, receipts on the run record under keys FieldPath must carry,
// transient failures retried without holding mails back, and a permanent failure alerted exactly once.
import { readFile } from 'node:fs/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverAll } from '../../../functions/notify/destinations/deliver-all';
import type { Delivery, DeliveryReceipt, Destinations } from '../../../functions/notify/destinations/destination';
import { destinationFor, destinations } from '../../../functions/notify/destinations/destinations';
import { handleRunComplete } from '../../../functions/notify/run-complete';
import { handleRunFailed } from '../../../functions/notify/run-failed';
import { PermanentError, TransientError } from '../../../shared/errors';
import type { DestinationConfig } from '../../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../../support/stage-test-context';

let world: StageTestWorld;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'dst', smtp: true, database: true });
});

afterAll(async () => {
  await world?.stop();
});

const drive: DestinationConfig = { kind: 'drive', folderId: 'folder-abc', subfolder: '', on: 'fetched', auth: { kind: 'service-account' } };

async function mailsAfter(before: number): Promise<ParsedMail[]> {
  const files = (await world.outbox()).slice(before);
  return Promise.all(files.map(async (f) => simpleParser(await readFile(f))));
}

// A fake destination: each key's behaviour is scripted per attempt; calls are counted.
function scripted(script: Record<string, Array<'ok' | 'transient' | 'permanent' | 'reauth'>>) {
  const calls: string[] = [];
  const attempt = new Map<string, number>();
  const delivery = (key: string): Delivery => ({
    key,
    describe: `fake upload ${key}`,
    async deliver(): Promise<DeliveryReceipt> {
      calls.push(key);
      const n = attempt.get(key) ?? 0;
      attempt.set(key, n + 1);
      const step = script[key]?.[Math.min(n, script[key]!.length - 1)] ?? 'ok';
      if (step === 'transient') throw new TransientError(`${key}: Drive answered 503`);
      if (step === 'permanent') throw new PermanentError(`${key}: storage quota exceeded. Fix: use a shared drive`);
      if (step === 'reauth') throw Object.assign(new Error(`${key}: sign in again with npm run auth`), { name: 'ReauthorizationRequiredError' });
      return { fileId: `id-${key}`, attempt: n + 1 };
    },
  });
  const registry: Destinations = { drive: { kind: 'drive', deliveriesFor: async () => Object.keys(script).map(delivery) } };
  return { calls, registry };
}

async function endedRun(h: StageHarness, runId: string): Promise<Record<string, unknown>> {
  const before = h.events.length;
  await h.startRun(runId, [{ fileKey: 'fa', name: '20261121/A.csv' }]);
  const ctx = h.context('aggregate');
  await h.runs.stageSucceeded(runId, 'fa', 'load', { rows: 2 });
  await ctx.finishFile(runId, 'fa', 'loaded', { stage: 'aggregate' });
  return (await h.waitForEvents(before + 1))[before]!;
}

const report = { name: 'daily', subject: 'Daily', to: ['managers@example.com'], queries: [{ title: 'One', sql: 'select 1 as one' }], when: 'always' as const };

describe('the destination registry', () => {
  it('has an implementation for every destination kind', () => {
    expect(destinationFor(drive).kind).toBe('drive');
    expect(Object.keys(destinations)).toEqual(['drive']);
  });
});

describe('deliverAll', () => {
  it('delivers each once and keeps the receipt under keys holding dots, slashes and backticks', async () => {
    const h = await stageHarness(world, testPipeline(world));
    await h.runs.startRun('r-keys', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 't', dates: ['2026-11-21'] });
    const key = 'drive-0-20261121/a.b`c';
    const { calls, registry } = scripted({ [key]: ['ok'], 'drive-0-plain': ['ok'] });
    const deliveries = await registry.drive.deliveriesFor(drive as never, 0, {} as never);
    const options = { firestore: world.clients.firestore, runId: 'r-keys', leaseMs: 60_000, logger: world.logger };
    await deliverAll([{ name: 'fake', deliveries, onFailure: 'settle' }], { ...options, run: (await h.run('r-keys'))! });
    const run = (await h.run('r-keys')) as unknown as { notifications: { deliveries: Record<string, Record<string, unknown>> }; notificationClaims?: Record<string, unknown> };
    expect(run.notifications.deliveries[key]).toMatchObject({ fileId: `id-${key}`, attempt: 1, at: expect.any(String) });
    expect(run.notificationClaims ?? {}).toEqual({});
    // Delivered twice over (a redelivered message, with the run read before or after): once.
    await deliverAll([{ name: 'fake', deliveries, onFailure: 'settle' }], { ...options, run: (await h.run('r-keys'))! });
    const stale = { runId: 'r-keys' } as never;
    await deliverAll([{ name: 'fake', deliveries, onFailure: 'settle' }], { ...options, run: stale });
    expect(calls.sort()).toEqual(['drive-0-plain', key].sort());
    await h.close();
  });
});

describe('notify with destinations', () => {
  it('a transient failure retries the message; mails are not held back and the rest are delivered', async () => {
    const h = await stageHarness(world, testPipeline(world, { reports: [report], destinations: [drive] }));
    const { calls, registry } = scripted({ 'drive-0-a': ['transient', 'ok'], 'drive-0-b': ['ok'] });
    const before = (await world.outbox()).length;
    const event = await endedRun(h, 'r-transient');
    const ctx = () => h.context('notify');
    await expect(handleRunComplete(ctx(), event as never, { destinations: registry })).rejects.toBeInstanceOf(TransientError);
    expect((await mailsAfter(before)).map((m) => m.messageId)).toEqual(['<r-transient.report@sluice>']);
    const waiting = (await h.run('r-transient')) as unknown as { notificationClaims?: Record<string, unknown>; notifications?: { doneAt?: string } };
    expect(waiting.notificationClaims ?? {}).toEqual({});
    expect(waiting.notifications?.doneAt).toBeUndefined();

    await handleRunComplete(ctx(), event as never, { destinations: registry });
    expect(calls).toEqual(['drive-0-a', 'drive-0-b', 'drive-0-a']);
    expect((await mailsAfter(before)).map((m) => m.messageId)).toEqual(['<r-transient.report@sluice>']);
    expect((await h.run('r-transient'))?.notifications?.doneAt).toBeTruthy();
    await h.close();
  });

  it('permanent failures are recorded, do not block the report, and bring exactly one alert naming each', async () => {
    const h = await stageHarness(world, testPipeline(world, { reports: [report], destinations: [drive] }));
    const { calls, registry } = scripted({ 'drive-0-a': ['permanent'], 'drive-0-b': ['transient', 'reauth'], 'drive-0-c': ['ok'] });
    const before = (await world.outbox()).length;
    const event = await endedRun(h, 'r-permanent');
    // b is retried first (transient): no alert yet, a's failure waits for it.
    await expect(handleRunComplete(h.context('notify'), event as never, { destinations: registry })).rejects.toBeInstanceOf(TransientError);
    expect((await mailsAfter(before)).map((m) => m.messageId)).toEqual(['<r-permanent.report@sluice>']);
    await handleRunComplete(h.context('notify'), event as never, { destinations: registry });
    await handleRunComplete(h.context('notify'), event as never, { destinations: registry });
    expect(calls).toEqual(['drive-0-a', 'drive-0-b', 'drive-0-c', 'drive-0-b']);

    const mails = await mailsAfter(before);
    expect(mails.map((m) => m.messageId)).toEqual(['<r-permanent.report@sluice>', '<r-permanent.destinations-alert@sluice>']);
    const alert = mails[1]!;
    expect(alert.subject).toContain('2 delivery(ies) to destination 0 (drive) failed');
    expect(alert.text).toContain('fake upload drive-0-a: drive-0-a: storage quota exceeded. Fix: use a shared drive');
    expect(alert.text).toContain('fake upload drive-0-b: drive-0-b: sign in again with npm run auth');
    const run = (await h.run('r-permanent')) as unknown as { notifications: { deliveries: Record<string, Record<string, unknown>>; doneAt?: string } };
    expect(run.notifications.deliveries['drive-0-a']).toMatchObject({ failed: expect.stringContaining('quota') });
    expect(run.notifications.deliveries['drive-0-c']).toMatchObject({ fileId: 'id-drive-0-c' });
    expect(run.notifications.doneAt).toBeTruthy();
    await h.close();
  });

  it('a run that failed as a whole still delivers what it fetched', async () => {
    const h = await stageHarness(world, testPipeline(world, { destinations: [drive] }));
    const { calls, registry } = scripted({ 'drive-0-a': ['ok'] });
    await h.runs.startRun('r-failed', { pipeline: h.pipeline.name, trigger: 'manual', messageId: 't', dates: ['2026-11-21'] });
    const message = { v: 1, type: 'sluice.run-failed', pipeline: h.pipeline.name, runId: 'r-failed', stage: 'fetch', error: 'the SFTP server went away' } as const;
    await handleRunFailed(h.context('notify'), message, { destinations: registry });
    await handleRunFailed(h.context('notify'), message, { destinations: registry });
    expect(calls).toEqual(['drive-0-a']);
    await h.close();
  });
});
