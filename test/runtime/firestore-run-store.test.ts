// The Firestore RunStore against the Firestore emulator with the real client. First what the stages'
// run recorder always proved, under the concurrency a run really sees: every file of a run ends at
// about the same time, some twice (Pub/Sub redelivers), while fetch may still be recording how many
// files there are; each file must be counted once and exactly one caller told it ended the run. Then
// the list fields every write keeps current, the list's cursor paging under concurrent inserts, its
// filters and count, the operator controls' transitions, and the live views.
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestoreRunStore, type FirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import type { RunRecord } from '../../functions/runtime/run-record';
import { createRedactor } from '../../shared/redact';
import type {} from '../support/local-cloud'; // declares inject('localCloud')
import { waitFor } from '../support/wait-for';

let firestore: Firestore;
let listing: Firestore;
const DAY = 24 * 60 * 60 * 1000;

beforeAll(() => {
  const host = inject('localCloud')?.firestoreHost;
  if (!host) throw new Error('no local cloud: run under the vitest global setup');
  firestore = new Firestore({ projectId: `run-store-${process.pid}-${Date.now()}`, host, ssl: false });
  // A project of its own for the unfiltered list: no other test's runs in it.
  listing = new Firestore({ projectId: `run-store-list-${process.pid}-${Date.now()}`, host, ssl: false });
});

afterAll(async () => {
  await firestore?.terminate();
  await listing?.terminate();
});

// A clock the test moves: list fields and cursors depend on it.
function clock(start = Date.parse('2026-11-21T06:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; }, at: () => new Date(t).toISOString() };
}

const start = (pipeline: string, extra: Partial<Parameters<FirestoreRunStore['startRun']>[1]> = {}) =>
  ({ pipeline, trigger: 'manual' as const, messageId: `m-${Math.random()}`, dates: ['2026-11-21'], ...extra });

describe('run store: the stages part', () => {
  it('files ending at once, each twice, while fetch sets the expected count: each counted once, one decider', async () => {
    const runs = createFirestoreRunStore(firestore);
    const runId = 'run-concurrent';
    await runs.startRun(runId, { pipeline: 'p', trigger: 'manual', messageId: 'm', dates: ['2026-11-21'] });
    const keys = Array.from({ length: 9 }, (_, i) => `f${i}`);
    for (const key of keys) await runs.stageStarted(runId, key, 'aggregate', { name: `${key}.csv` });
    const outcome = (key: string): 'quarantined' | 'loaded' => (key === 'f0' ? 'quarantined' : 'loaded');

    const told: string[] = [];
    await Promise.all([
      ...[...keys, ...keys].map(async (key) => {
        const { runComplete } = await runs.finishFile(runId, key, outcome(key), key === 'f0' ? { stage: 'load', error: 'bad row' } : { stage: 'aggregate' });
        if (runComplete) told.push(key);
      }),
      (async () => {
        const { runComplete } = await runs.setExpectedFiles(runId, keys.length);
        if (runComplete) told.push('(fetch)');
      })(),
    ]);

    const run = await runs.getRun(runId);
    expect(run).toMatchObject({ expectedFiles: 9, endedFiles: 9, counts: { loaded: 8, quarantined: 1, failed: 0, skipped: 0 }, status: 'partial' });
    expect(run?.completedAt).toEqual(expect.any(String));
    // The decider may be told twice (its duplicate), nobody else at all.
    expect(new Set(told)).toEqual(new Set([run?.completedBy]));
    const files = await runs.getFiles(runId);
    expect(files.map((f) => f.status).sort()).toEqual([...Array(8).fill('loaded'), 'quarantined']);
    expect(files.find((f) => f.fileKey === 'f0')?.error).toMatchObject({ message: 'bad row', stage: 'load' });
    // The quarantined file is the run's one-line reason in the list.
    expect(run).toMatchObject({ failedStage: 'load', errorSummary: 'bad row' });

    // A later redelivery changes nothing and is told again only if it was the decider.
    for (const key of keys) expect((await runs.finishFile(runId, key, outcome(key))).runComplete).toBe(key === run?.completedBy);
    expect(await runs.getRun(runId)).toMatchObject({ endedFiles: 9, counts: { loaded: 8, quarantined: 1 } });
  });

  it('a file record that does not exist yet is created by its ending; a missing run is an error', async () => {
    const runs = createFirestoreRunStore(firestore);
    await runs.startRun('run-bare', { pipeline: 'p', trigger: 'manual', messageId: 'm', dates: ['2026-11-21'] });
    await runs.setExpectedFiles('run-bare', 1);
    expect(await runs.finishFile('run-bare', 'only', 'loaded')).toEqual({ runComplete: true });
    expect(await runs.getRun('run-bare')).toMatchObject({ endedFiles: 1, status: 'succeeded', completedBy: 'only' });
    await expect(runs.finishFile('no-such-run', 'f', 'loaded')).rejects.toThrow(/run no-such-run has no record/);
  });
});

describe('run store: list fields', () => {
  it('startedAt, logicalDate, actor, rows once per file, durationMs and finishedAt, expiresAt from the retention', async () => {
    const c = clock();
    const runs = createFirestoreRunStore(firestore, { now: c.now, retention: { runDays: 10, fileDays: 2 } });
    const startedAt = c.at();
    await runs.startRun('lf-1', start('lf', { trigger: 'schedule', dates: ['2026-11-19', '2026-11-20'], actor: 'user:x@example.com' }));
    await runs.startRun('lf-2', start('lf', { trigger: 'manual', dates: ['2026-11-19', '2026-11-20'], logicalDate: '2026-11-19', actor: 'user:ana@example.com' }));
    await runs.startRun('lf-3', start('lf', { trigger: 'push' }));
    expect(await runs.getRun('lf-1')).toMatchObject({ startedAt, logicalDate: '2026-11-20', actor: 'scheduler', rows: 0 });
    expect(await runs.getRun('lf-2')).toMatchObject({ logicalDate: '2026-11-19', actor: 'user:ana@example.com' });
    expect((await runs.getRun('lf-3'))?.actor).toBe('push');

    await runs.setExpectedFiles('lf-1', 2);
    for (const key of ['a', 'b']) await runs.stageStarted('lf-1', key, 'load', { name: `${key}.csv` });
    await runs.stageSucceeded('lf-1', 'a', 'transform', { rows: 99 }); // not loaded rows
    await runs.stageSucceeded('lf-1', 'a', 'load', { rows: 10 });
    await runs.stageSucceeded('lf-1', 'a', 'load', { rows: 10 }); // a redelivered load: counted once
    await Promise.all([runs.stageSucceeded('lf-1', 'b', 'load', { rows: 5 }), runs.stageSucceeded('lf-1', 'b', 'load', { rows: 5 })]);
    expect((await runs.getRun('lf-1'))?.rows).toBe(15);
    const file = await runs.getFile('lf-1', 'a');
    expect(file).toMatchObject({ rows: 10, stages: { load: { rows: 10 } } });
    expect(file?.expiresAt).toEqual(new Date(c.now().getTime() + 2 * DAY));
    expect(file).not.toHaveProperty('rowsCounted');

    c.advance(90_000);
    await runs.finishFile('lf-1', 'a', 'loaded');
    expect((await runs.finishFile('lf-1', 'b', 'loaded')).runComplete).toBe(true);
    const run = await runs.getRun('lf-1');
    expect(run).toMatchObject({ status: 'succeeded', finishedAt: c.at(), durationMs: 90_000, updatedAt: c.at() });
    expect(run?.expiresAt).toBeInstanceOf(Date);
    expect(run?.expiresAt).toEqual(new Date(c.now().getTime() + 10 * DAY));
    expect(run).not.toHaveProperty('failedStage');
  });

  it('the error summary is one redacted line of at most 200 characters; a run failure outranks a file', async () => {
    const secret = 'Pa55-word-42x';
    const redactor = createRedactor();
    redactor.addSecret(secret);
    const runs = createFirestoreRunStore(firestore, { redactor });
    await runs.startRun('es-1', start('es'));
    await runs.setExpectedFiles('es-1', 3);
    await runs.finishFile('es-1', 'f1', 'failed', { stage: 'load', error: `connecting with ${secret} failed\n  at line 2\n${'x'.repeat(400)}` });
    await runs.finishFile('es-1', 'f2', 'quarantined', { stage: 'transform', error: 'later problem' });
    let run = await runs.getRun('es-1');
    expect(run?.failedStage).toBe('load');
    expect(run?.errorSummary).toMatch(/^connecting with \[redacted\] failed at line 2 x+…$/);
    expect(run?.errorSummary).toHaveLength(200);
    expect(JSON.stringify(await runs.getFiles('es-1'))).not.toContain(secret);

    expect(await runs.failRun('es-1', 'fetch', `source refused ${secret}`)).toEqual({ firstFailure: true });
    run = await runs.getRun('es-1');
    expect(run).toMatchObject({ status: 'failed', failedStage: 'fetch', errorSummary: 'source refused [redacted]', error: { stage: 'fetch', message: 'source refused [redacted]' } });
    expect(run?.durationMs).toEqual(expect.any(Number));
    expect(await runs.failRun('es-1', 'fetch', 'again')).toEqual({ firstFailure: false });
  });
});

describe('run store: listing', () => {
  it('pages newest first by startedAt then runId, reaching every run exactly once while newer runs arrive', async () => {
    const c = clock();
    const runs = createFirestoreRunStore(listing, { now: c.now });
    const originals: string[] = [];
    for (let i = 0; i < 40; i++) {
      // Every fourth run shares its start with the one before: the runId decides between them.
      if (i % 4 !== 0) c.advance(1000);
      const runId = `pg-${String(i).padStart(3, '0')}`;
      await runs.startRun(runId, start('pg'));
      originals.push(runId);
    }
    const seen: RunRecord[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let added = 0;
    do {
      const page = await runs.listRuns({ limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.runs);
      cursor = page.nextCursor;
      pages++;
      // Newer runs started while the caller pages, and one older run recorded late.
      c.advance(60_000);
      await Promise.all([0, 1, 2].map((k) => runs.startRun(`pg-new-${pages}-${k}`, start('pg'))));
      added += 3;
    } while (cursor);
    const seenIds = seen.map((r) => r.runId);
    const seenOriginals = seenIds.filter((id) => originals.includes(id));
    expect(seenOriginals.sort()).toEqual([...originals].sort());
    expect(new Set(seenIds).size).toBe(seenIds.length);
    // Newest first: startedAt descending, then runId descending.
    const order = seen.map((r) => `${r.startedAt}|${r.runId}`);
    expect(order).toEqual([...order].sort().reverse());
    expect(pages).toBe(Math.ceil(40 / 7));
    expect(await runs.countRuns({})).toBe(40 + added);
    await expect(runs.listRuns({ cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
  });

  it('filters by pipeline, status, trigger, time and parent; counts by aggregation', async () => {
    const c = clock(Date.parse('2026-10-01T00:00:00.000Z'));
    const runs = createFirestoreRunStore(firestore, { now: c.now });
    const p = `flt-${Date.now()}`;
    const made: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      c.advance(3_600_000);
      const runId = `${p}-${i}`;
      made[runId] = c.at();
      await runs.startRun(runId, start(i % 3 === 0 ? p : `${p}-other`, { trigger: i % 2 === 0 ? 'schedule' : 'manual' }));
      await runs.setExpectedFiles(runId, 0); // ends no-new-data
      if (i % 4 === 0) await runs.failRun(runId, 'fetch', 'refused');
    }
    await runs.queueRun(`${p}-child`, { pipeline: p, trigger: 'retry', actor: 'dev', parentRunId: `${p}-0`, rerun: { of: `${p}-0`, files: 'failed', fromStage: 'fetch' } });

    const ids = async (q: Parameters<FirestoreRunStore['listRuns']>[0]) => (await runs.listRuns(q)).runs.map((r) => r.runId);
    expect(await ids({ pipeline: p })).toEqual([`${p}-child`, `${p}-9`, `${p}-6`, `${p}-3`, `${p}-0`]);
    expect(await ids({ pipeline: p, status: ['failed'] })).toEqual([`${p}-0`]);
    expect(await ids({ pipeline: p, status: ['failed', 'queued'] })).toEqual([`${p}-child`, `${p}-0`]);
    expect(await ids({ pipeline: p, trigger: 'schedule' })).toEqual([`${p}-6`, `${p}-0`]);
    expect(await ids({ parentRunId: `${p}-0` })).toEqual([`${p}-child`]);
    expect(await ids({ pipeline: `${p}-other`, since: made[`${p}-4`]!, until: made[`${p}-8`]! })).toEqual([`${p}-7`, `${p}-5`, `${p}-4`]);
    expect(await ids({ pipeline: `${p}-other`, status: ['failed'], trigger: 'schedule' })).toEqual([`${p}-8`, `${p}-4`]);
    expect(await runs.countRuns({ pipeline: p })).toBe(5);
    expect(await runs.countRuns({ pipeline: `${p}-other`, status: ['no-new-data'] })).toBe(6);
    expect(await runs.countRuns({ pipeline: `${p}-other`, since: made[`${p}-4`]! })).toBe(6);
  });

  it('finds a run by its trigger message id; the watchdog queries find running and notify-pending runs', async () => {
    const runs = createFirestoreRunStore(firestore);
    const p = `wd-${Date.now()}`;
    await runs.startRun(`${p}-a`, start(p, { messageId: `${p}-msg-a` }));
    await runs.startRun(`${p}-b`, start(p, { messageId: `${p}-msg-b` }));
    await runs.setExpectedFiles(`${p}-b`, 0);
    await runs.startRun(`${p}-c`, start(p));
    await runs.requestCancel(`${p}-c`, 'dev');
    expect(await runs.findRunByMessageId(p, ['nope', `${p}-msg-b`])).toBe(`${p}-b`);
    expect(await runs.findRunByMessageId(`${p}-elsewhere`, [`${p}-msg-b`])).toBeUndefined();
    expect((await runs.runningRuns(p, 10)).map((r) => r.runId).sort()).toEqual([`${p}-a`, `${p}-c`]);
    expect((await runs.notifyPendingRuns(p, 10)).map((r) => r.runId)).toEqual([`${p}-b`]);
    await runs.markNotifyDone(`${p}-b`);
    expect(await runs.notifyPendingRuns(p, 10)).toEqual([]);
    expect((await runs.getRun(`${p}-b`))?.notifications?.doneAt).toEqual(expect.any(String));
  });
});

describe('run store: controls', () => {
  it('a queued run is taken over by its trigger, keeping who queued it, when and what it reruns', async () => {
    const c = clock();
    const runs = createFirestoreRunStore(firestore, { now: c.now });
    const queuedAt = c.at();
    const rerun = { of: 'q-parent', files: 'all' as const, fromStage: 'transform' as const };
    expect(await runs.queueRun('q-1', { pipeline: 'q', trigger: 'manual', actor: 'user:ana@example.com', logicalDate: '2026-11-02', parentRunId: 'q-parent', rerun })).toBe(true);
    expect(await runs.queueRun('q-1', { pipeline: 'q', trigger: 'manual', actor: 'user:bob@example.com' })).toBe(false);
    expect(await runs.getRun('q-1')).toMatchObject({ status: 'queued', startedAt: queuedAt, actor: 'user:ana@example.com', actions: [{ action: 'rerun', actor: 'user:ana@example.com', at: queuedAt, detail: { logicalDate: '2026-11-02' } }] });

    c.advance(5000);
    expect(await runs.startRun('q-1', { pipeline: 'q', trigger: 'manual', messageId: 'trig-1', dates: ['2026-11-02'], actor: 'user:other@example.com' })).toEqual({ expectedFiles: null });
    const run = await runs.getRun('q-1');
    expect(run).toMatchObject({ status: 'running', messageId: 'trig-1', startedAt: queuedAt, actor: 'user:ana@example.com', parentRunId: 'q-parent', rerun, logicalDate: '2026-11-02', stages: { fetch: { attempts: 1 } } });
    expect(run?.createdAt).toBe(queuedAt);
    // Its redelivered trigger changes nothing but the attempt count.
    await runs.startRun('q-1', { pipeline: 'q', trigger: 'manual', messageId: 'trig-1', dates: ['2026-11-02'] });
    expect(await runs.getRun('q-1')).toMatchObject({ status: 'running', stages: { fetch: { attempts: 2 } } });
  });

  it('cancel: at once when nothing started, cooperatively when files are in flight, never on an ended run', async () => {
    const c = clock();
    const runs = createFirestoreRunStore(firestore, { now: c.now });
    await runs.queueRun('c-queued', { pipeline: 'c', trigger: 'manual', actor: 'dev' });
    c.advance(2000);
    const cancelledAt = c.at();
    expect(await runs.requestCancel('c-queued', 'user:ana@example.com')).toMatchObject({ status: 'cancelled', finishedAt: cancelledAt, durationMs: 2000, notifyPending: true, cancel: { requestedBy: 'user:ana@example.com', requestedAt: cancelledAt } });
    expect(await runs.isCancelled('c-queued')).toBe(true);
    // A trigger arriving later does not bring it back to life.
    await runs.startRun('c-queued', start('c'));
    expect((await runs.getRun('c-queued'))?.status).toBe('cancelled');

    await runs.startRun('c-live', start('c'));
    await runs.setExpectedFiles('c-live', 2);
    await runs.finishFile('c-live', 'f1', 'loaded');
    expect(await runs.isCancelled('c-live')).toBe(false);
    const asked = await runs.requestCancel('c-live', 'user:bob@example.com');
    expect(asked).toMatchObject({ status: 'cancelling', cancel: { requestedBy: 'user:bob@example.com' } });
    expect(asked?.actions?.map((a) => a.action)).toEqual(['cancel']);
    expect(await runs.requestCancel('c-live', 'user:carl@example.com')).toMatchObject({ status: 'cancelling', cancel: { requestedBy: 'user:bob@example.com' } });
    expect(await runs.isCancelled('c-live')).toBe(true);
    expect(await runs.finishFile('c-live', 'f2', 'cancelled')).toEqual({ runComplete: true });
    expect(await runs.getRun('c-live')).toMatchObject({ status: 'cancelled', counts: { loaded: 1, cancelled: 1 } });
    expect(await runs.settleRun('c-live')).toMatchObject({ status: 'cancelled' });

    await runs.startRun('c-done', start('c'));
    await runs.setExpectedFiles('c-done', 0);
    expect(await runs.requestCancel('c-done', 'dev')).toMatchObject({ status: 'no-new-data' });
    expect((await runs.getRun('c-done'))?.cancel).toBeUndefined();
    expect(await runs.requestCancel('c-none', 'dev')).toBeUndefined();
  });

  it('a paused trigger is recorded as over, with its reason; a dry run ends no-new-data through fetch\'s usual step', async () => {
    const runs = createFirestoreRunStore(firestore);
    await runs.recordPausedRun('pz-1', { pipeline: 'pz', trigger: 'schedule', messageId: 'pm', actor: 'whoever', logicalDate: '2026-11-21', reason: 'pipeline paused by user:ana@example.com' });
    await runs.recordPausedRun('pz-1', { pipeline: 'pz', trigger: 'schedule', messageId: 'pm', actor: 'whoever', reason: 'again' });
    expect(await runs.getRun('pz-1')).toMatchObject({ status: 'paused', actor: 'scheduler', logicalDate: '2026-11-21', skippedReason: 'pipeline paused by user:ana@example.com', durationMs: 0, notifications: { doneAt: expect.any(String) } });

    await runs.startRun('dry-1', start('dry'));
    const items = [{ name: '20261121/A.csv', size: 12, key: 'ka' }, { name: '20261121/B.csv', key: 'kb' }];
    await runs.recordDryRun('dry-1', items);
    expect(await runs.setExpectedFiles('dry-1', 0)).toEqual({ runComplete: true });
    expect(await runs.getRun('dry-1')).toMatchObject({ status: 'no-new-data', expectedFiles: 0, dryRun: { items }, notifyPending: true });
    await runs.recordDryRun('dry-1', []); // redelivered: the first listing stays
    expect((await runs.getRun('dry-1'))?.dryRun?.items).toEqual(items);
  });

  it('settles a failed run that has no record, and appends actions', async () => {
    const runs = createFirestoreRunStore(firestore);
    const created = await runs.settleFailedRun('sf-1', { pipeline: 'sf', stage: 'fetch', error: 'gave up' });
    expect(created).toMatchObject({ status: 'failed', failedStage: 'fetch', errorSummary: 'gave up', error: { stage: 'fetch', message: 'gave up' } });
    expect(await runs.getRun('sf-1')).toMatchObject({ status: 'failed', startedAt: expect.any(String) });
    await runs.appendAction('sf-1', { action: 'rerun', actor: 'dev', at: '2026-11-21T07:00:00.000Z', detail: { runId: 'sf-2' } });
    expect((await runs.getRun('sf-1'))?.actions).toEqual([{ action: 'rerun', actor: 'dev', at: '2026-11-21T07:00:00.000Z', detail: { runId: 'sf-2' } }]);
  });
});

describe('run store: live views', () => {
  it('watchRun, watchRuns and watchFiles report changes as they happen', async () => {
    const runs = createFirestoreRunStore(firestore);
    const p = `lv-${Date.now()}`;
    const runStates: Array<string | undefined> = [];
    const lists: string[][] = [];
    const fileStates: string[][] = [];
    const stops = [
      runs.watchRun(`${p}-1`, (run) => runStates.push(run?.status)),
      runs.watchRuns({ pipeline: p, limit: 5 }, (list) => lists.push(list.map((r) => `${r.runId}:${r.status}`))),
      runs.watchFiles(`${p}-1`, (files) => fileStates.push(files.map((f) => `${f.fileKey}:${f.status}`))),
    ];
    try {
      // Each watch first reports what there is (nothing yet), then every change.
      await waitFor('the watches to report their first state', () => runStates.length > 0 && lists.length > 0 && fileStates.length > 0, 10_000);
      expect([runStates[0], lists[0], fileStates[0]]).toEqual([undefined, [], []]);
      await runs.startRun(`${p}-1`, start(p));
      await runs.setExpectedFiles(`${p}-1`, 1);
      await runs.stageStarted(`${p}-1`, 'f', 'load', { name: 'f.csv' });
      await runs.finishFile(`${p}-1`, 'f', 'loaded');
      await waitFor('the run watch to see it succeed', () => runStates.at(-1) === 'succeeded', 10_000);
      await waitFor('the list watch to see it succeed', () => lists.at(-1)?.[0] === `${p}-1:succeeded`, 10_000);
      await waitFor('the files watch to see it loaded', () => fileStates.at(-1)?.[0] === 'f:loaded', 10_000);
    } finally {
      for (const stop of stops) stop();
    }
  });
});
