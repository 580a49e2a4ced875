// The watchdog sweep: runs that stopped moving are failed once, naming what was last seen, and alerted
// once; runs still within their stages' limits are left alone. Pure verdicts first, then on the real
// local cloud (Firestore run records, the notify topic, a real SMTP server).
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { handleSweep, judgeRun } from '../../functions/notify/sweep';
import type { FileRecord, RunRecord } from '../../functions/runtime/run-record';
import { stageList } from '../../functions/stages';
import { stallLimitsOf, stageStallSeconds } from '../../shared/stall-limit';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

const limits = stallLimitsOf(stageList);
const T0 = '2026-11-21T06:00:00.000Z';
const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000);

const baseRun = (over: Partial<RunRecord> = {}): RunRecord => ({
  runId: 'r', pipeline: 'p', trigger: 'schedule', messageId: 'm', dates: [], status: 'running', createdAt: T0, updatedAt: T0,
  expectedFiles: 1, endedFiles: 0, counts: { loaded: 0, skipped: 0, quarantined: 0, failed: 0, superseded: 0, expanded: 0, cancelled: 0 }, stages: { fetch: { attempts: 1, startedAt: T0, endedAt: T0 } }, ...over,
});
const loadingFile: FileRecord = {
  fileKey: 'f', name: '20261121/Orders.csv', status: 'pending',
  stages: { transform: { attempts: 1, startedAt: T0, endedAt: T0 }, load: { attempts: 3, startedAt: T0 } },
};

describe('watchdog verdicts', () => {
  it('derives each stage limit from its declaration: attempts × (timeout + longest backoff)', () => {
    const load = stageList.find((s) => s.name === 'load')!;
    expect(limits.load).toBe(load.maxAttempts * (load.timeoutSeconds + load.backoff.maxSeconds));
    expect(stageStallSeconds(load)).toBe(limits.load);
  });

  it('leaves a run alone within the limit of the stage it waits on and fails it past that', () => {
    const run = baseRun();
    expect(judgeRun(run, [loadingFile], limits, plus(T0, limits.load - 1)).stalled).toBe(false);
    const verdict = judgeRun(run, [loadingFile], limits, plus(T0, limits.load + 1));
    expect(verdict.stalled).toBe(true);
    expect(verdict.lastSeen).toEqual({ stage: 'load', file: '20261121/Orders.csv', attempt: 3, at: T0 });
  });

  it('waits on fetch until fetch said how many files, and on transform for files nobody recorded', () => {
    expect(judgeRun(baseRun({ expectedFiles: null }), [], limits, plus(T0, limits.fetch + 1)).lastSeen.stage).toBe('fetch');
    const lost = judgeRun(baseRun({ expectedFiles: 2 }), [], limits, plus(T0, limits.transform + 1));
    expect(lost.stalled).toBe(true);
    expect(lost.waitingOn).toEqual([{ stage: 'transform', file: '2 file(s) never seen after fetch', attempt: 0 }]);
  });

  it('counts any recent activity on any file as progress', () => {
    const busy: FileRecord = { ...loadingFile, fileKey: 'g', stages: { transform: { attempts: 1, startedAt: plus(T0, limits.load).toISOString() } } };
    expect(judgeRun(baseRun({ expectedFiles: 2 }), [loadingFile, busy], limits, plus(T0, limits.load + 60)).stalled).toBe(false);
  });
});

describe('watchdog sweep on the local cloud', () => {
  let world: StageTestWorld;
  let h: StageHarness;

  beforeAll(async () => {
    world = await startStageTestWorld({ label: 'swp', database: true, smtp: true });
    h = await stageHarness(world, testPipeline(world));
  });
  afterAll(async () => {
    await h?.close();
    await world?.stop();
  });

  it('fails a stalled run once, naming stage, file and attempt, and alerts once', async () => {
    const outboxBefore = (await world.outbox()).length;
    await h.startRun('r-stuck', [{ fileKey: 'f1', name: '20261121/Orders.csv' }], 'load');
    const sweep = { v: 1, type: 'sluice.sweep', pipeline: h.pipeline.name };
    const message = { messageId: 'sweep-1', attributes: {}, data: Buffer.from(JSON.stringify(sweep)) };
    const later = () => plus(new Date().toISOString(), limits.load + 60);
    const ctx = h.context('notify');
    const eventsBefore = h.events.length;
    const first = await handleSweep(ctx, message, { now: later });
    expect(first.failed).toEqual(['r-stuck']);
    const stuck = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    expect(stuck).toMatchObject({ type: 'sluice.run-failed', stage: 'load' });
    expect(String(stuck.error)).toMatch(/^stalled: no progress for \d+ min \(limit \d+ min\); last seen: load on 20261121\/Orders\.csv, attempt 1 at /);

    // Swept again: nothing more.
    expect((await handleSweep(h.context('notify'), message, { now: later })).failed).toEqual([]);
    await h.deliver('notify', handleNotify, stuck);
    await h.deliver('notify', handleNotify, stuck);
    const mails = (await world.outbox()).slice(outboxBefore);
    const parsed = await Promise.all(mails.map(async (f) => simpleParser(await readFile(f))));
    expect(parsed.map((m) => m.messageId)).toEqual(['<r-stuck.failure-alert@sluice>']);
    expect(parsed[0]!.text).toContain('last seen: load on 20261121/Orders.csv');
    expect(await h.run('r-stuck')).toMatchObject({ status: 'failed', error: { stage: 'load' } });
  });

  it('leaves runs within their limits running', async () => {
    await h.startRun('r-fresh', [{ fileKey: 'f3', name: '20261121/Payments.csv' }], 'transform');
    const sweep = { v: 1, type: 'sluice.sweep', pipeline: h.pipeline.name };
    const result = await handleSweep(h.context('notify'), { messageId: 'sweep-2', attributes: {}, data: Buffer.from(JSON.stringify(sweep)) });
    expect(result.failed).toEqual([]);
    expect((await h.run('r-fresh'))?.status).toBe('running');
  });

  it('announces again the end of a run whose notify died holding a mail claim, once the lease is over; the report goes out once', async () => {
    const g = await stageHarness(world, testPipeline(world, { reports: [{ name: 'one', subject: 'One', to: ['m@example.com'], queries: [{ title: 'One', sql: 'select 1 as one' }] }] }));
    const outboxBefore = (await world.outbox()).length;
    const eventsBefore = g.events.length;
    await g.startRun('r-orphaned-claim', [{ fileKey: 'f9', name: '20261121/Orders.csv' }], 'load');
    await g.context('aggregate').finishFile('r-orphaned-claim', 'f9', 'loaded', { stage: 'aggregate' });
    await g.waitForEvents(eventsBefore + 1);
    expect(await g.run('r-orphaned-claim')).toMatchObject({ status: 'succeeded', notifyPending: true });
    // Its notify took the report's claim and was killed; every redelivery within the lease was refused.
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    await world.clients.firestore.collection('sluice_runs').doc('r-orphaned-claim').update({ completedAt: longAgo, 'notificationClaims.report-0': { by: 'dead', at: longAgo } });

    const sweep = { messageId: 'sweep-3', attributes: {}, data: Buffer.from(JSON.stringify({ v: 1, type: 'sluice.sweep', pipeline: g.pipeline.name })) };
    const result = await handleSweep(g.context('notify'), sweep);
    expect(result.redriven).toEqual(['r-orphaned-claim']);
    const again = (await g.waitForEvents(eventsBefore + 2))[eventsBefore + 1]!;
    expect(again).toMatchObject({ type: 'sluice.run-complete', runId: 'r-orphaned-claim' });
    await g.deliver('notify', handleNotify, again);
    const mails = await Promise.all((await world.outbox()).slice(outboxBefore).map(async (f) => simpleParser(await readFile(f))));
    expect(mails.map((m) => m.messageId)).toEqual(['<r-orphaned-claim.report@sluice>']);
    expect(await g.run('r-orphaned-claim')).toMatchObject({ notifyPending: false });
    expect((await handleSweep(g.context('notify'), sweep)).redriven).toEqual([]);
    await g.close();
  });
});
