// The operator controls end to end on the local cloud: the ops service's RunControls on the real
// stores, the demo pipeline deployed with the real stage handlers, SFTP, Cloud Storage, Pub/Sub,
// Firestore and PostgreSQL. Each test uses export dates of its own (the source looks 3 days back).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from '../../../emulator/run-watch';
import { claimsOfRun } from '../../../functions/fetch/fetch-ledger';
import type { Caller } from '../../../functions/ops/api-schemas';
import { FETCH_LEDGER_COLLECTION, isTerminal } from '../../../functions/runtime/run-record';
import { recordedStagedMessage } from '../../../functions/runtime/staged-for-rerun';
import { scheduleJobName } from '../../../shared/topology';
import { waitFor } from '../../support/wait-for';
import { startControlsHarness, type ControlsHarness } from './controls-harness';

const operator: Caller = { principal: 'user:ops@example.com', role: 'operator' };
let h: ControlsHarness;

beforeAll(async () => {
  h = await startControlsHarness();
}, 60_000);
afterAll(async () => h?.close());

const count = async (table: string, day: string) =>
  (await h.db.query(`select count(*)::int as n from pos.${table} where ${table === 'payments' ? 'paid_at' : table === 'orders' ? 'opened_at' : 'ordered_at'}::date = $1`, [day])).rows[0].n as number;
const ledgerSize = async () => (await h.clients.firestore.collection(FETCH_LEDGER_COLLECTION).where('pipeline', '==', h.pipeline.name).get()).size;

describe('trigger', () => {
  it('queues the run with who asked, fetch takes it over, and it succeeds', async () => {
    const day = '2026-03-10';
    const fixture = h.generate([day]);
    h.latches.fetch.hold((runId) => runId.startsWith('manual-'));
    const queued = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
    expect(queued).toMatchObject({ pipeline: h.pipeline.name, status: 'queued' });
    expect(queued.runId).toMatch(/^manual-\d{14}-[a-z0-9]{6}$/);
    await h.latches.fetch.arrived();
    expect(await h.runs.getRun(queued.runId)).toMatchObject({ status: 'queued', actor: operator.principal, logicalDate: day, trigger: 'manual' });
    h.latches.fetch.release();

    const { run } = await waitForRun(h.clients.firestore, queued.runId, { timeoutMs: 90_000 });
    expect(run).toMatchObject({ status: 'succeeded', actor: operator.principal, logicalDate: day, trigger: 'manual' });
    expect(run.counts.loaded).toBe(3);
    expect(run.actions?.[0]).toMatchObject({ action: 'trigger', actor: operator.principal });
    expect(await count('orders', day)).toBe(fixture.rows.orders);
  }, 120_000);

  it('a dry run lists what fetch would fetch and claims nothing; a normal trigger then fetches it all', async () => {
    const day = '2026-03-20';
    h.generate([day]);
    const before = await ledgerSize();
    const dry = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: true }, operator);
    const { run, files } = await waitForRun(h.clients.firestore, dry.runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('no-new-data');
    expect(run.dryRun?.items.map((i) => path.basename(i.name)).sort()).toEqual(['ItemSelectionDetails.csv', 'OrderDetails.csv', 'PaymentDetails.csv']);
    expect(files).toEqual([]);
    expect(await ledgerSize()).toBe(before);
    const [raw] = await h.deployment.storage.bucket(h.deployment.bucket).getFiles({ prefix: `raw/${h.pipeline.name}/${dry.runId}/` });
    expect(raw).toEqual([]);
    expect(await h.mailsFor(dry.runId)).toEqual([]);

    const real = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
    const done = await waitForRun(h.clients.firestore, real.runId, { timeoutMs: 90_000 });
    expect(done.run.status).toBe('succeeded');
    expect(done.run.counts.loaded).toBe(3);
  }, 150_000);

  it('refuses an unknown pipeline and a date that is no calendar date', async () => {
    await expect(h.controls.trigger({ pipeline: 'no-such-pipeline', dryRun: false }, operator)).rejects.toMatchObject({ name: 'OpsError', code: 'not-found' });
    await expect(h.controls.trigger({ pipeline: h.pipeline.name, date: '2026-02-30', dryRun: false }, operator)).rejects.toMatchObject({ code: 'invalid-request' });
  });
});

describe('cancel', () => {
  it('cancels a run mid-flight: files not yet loaded end cancelled, the run ends cancelled, one notice', async () => {
    const day = '2026-04-10';
    h.generate([day]);
    h.latches.load.hold(() => true);
    const queued = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
    await h.latches.load.arrived();
    const cancelling = await h.controls.cancel(queued.runId, operator);
    expect(cancelling.status).toBe('cancelling');
    h.latches.load.release();

    const { run, files } = await waitForRun(h.clients.firestore, queued.runId, { timeoutMs: 90_000 });
    expect(run.status).toBe('cancelled');
    expect(run.cancel).toMatchObject({ requestedBy: operator.principal });
    expect(run.actions?.map((a) => a.action)).toEqual(['trigger', 'cancel']);
    // Fetch may still have been copying when the cancel came: what it had not claimed yet is not the
    // run's (the next run fetches it); every file the run has ended cancelled.
    expect(files.length).toBeGreaterThan(0);
    expect(run.expectedFiles).toBe(files.length);
    expect(files.every((f) => f.status === 'cancelled')).toBe(true);
    // The file whose transform was under way when the cancel came finished it; load did nothing more.
    expect(files.some((f) => f.stages.transform?.endedAt !== undefined)).toBe(true);
    expect(files.every((f) => f.stages.load === undefined)).toBe(true);
    expect(await count('orders', day)).toBe(0);
    const mails = await h.mailsFor(queued.runId);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/cancelled/)]);
    expect(mails[0]?.text).toContain(operator.principal);

    await expect(h.controls.cancel(queued.runId, operator)).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.controls.cancel('no-such-run', operator)).rejects.toMatchObject({ code: 'not-found' });
  }, 150_000);

  it('cancels a queued run at once, and fetch then does nothing for it', async () => {
    const day = '2026-04-20';
    h.generate([day]);
    h.latches.fetch.hold((runId) => runId.startsWith('manual-'));
    const queued = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
    await h.latches.fetch.arrived();
    expect((await h.controls.cancel(queued.runId, operator)).status).toBe('cancelled');
    h.latches.fetch.release();
    const { run, files } = await waitForRun(h.clients.firestore, queued.runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('cancelled');
    expect(files).toEqual([]);
    expect(await claimsOfRun(h.clients.firestore, h.pipeline.name, queued.runId)).toEqual([]);
    expect((await h.mailsFor(queued.runId)).map((m) => m.subject)).toEqual([expect.stringMatching(/cancelled/)]);
  }, 90_000);
});

describe('pause and resume', () => {
  it('a schedule fired while paused is recorded as a paused run and fetches nothing; an operator trigger still runs; after resume the next fire runs', async () => {
    const job = scheduleJobName(h.deployment.prefix, h.pipeline.name);
    const paused = await h.controls.pause(h.pipeline.name, operator);
    expect(paused).toMatchObject({ name: h.pipeline.name, paused: true, pausedBy: operator.principal });
    expect(paused.schedule?.nextFireTimes).toHaveLength(3);
    expect((await h.controls.pause(h.pipeline.name, operator)).pausedAt).toBe(paused.pausedAt);
    expect(h.schedules.calls).toContain(`pause ${h.pipeline.name}`);

    await h.deployment.scheduler.fire(job);
    let skipped: string | undefined;
    await waitFor('the paused run', async () => {
      skipped = (await h.runs.listRuns({ pipeline: h.pipeline.name, status: ['paused'] })).runs[0]?.runId;
      return skipped !== undefined;
    });
    const record = await h.runs.getRun(skipped!);
    expect(record).toMatchObject({ status: 'paused', trigger: 'schedule', actor: 'scheduler' });
    expect(record?.skippedReason).toBe(`pipeline paused by ${operator.principal} at ${paused.pausedAt}`);
    expect(record?.stages.fetch).toBeUndefined();
    expect(await claimsOfRun(h.clients.firestore, h.pipeline.name, skipped!)).toEqual([]);

    // An operator's own trigger is not held back by the pause.
    const manual = await h.controls.trigger({ pipeline: h.pipeline.name, date: '2026-05-01', dryRun: false }, operator);
    expect((await waitForRun(h.clients.firestore, manual.runId, { timeoutMs: 60_000 })).run.status).toBe('no-new-data');

    const resumed = await h.controls.resume(h.pipeline.name, operator);
    expect(resumed.paused).toBe(false);
    expect(h.schedules.calls).toContain(`resume ${h.pipeline.name}`);
    // Scheduled run ids are per publish second; a real schedule never fires twice in one.
    const firstSecond = Math.floor(Date.now() / 1000);
    await waitFor('the next second', () => Math.floor(Date.now() / 1000) > firstSecond, 5_000);
    await h.deployment.scheduler.fire(job);
    let fired: string | undefined;
    await waitFor('the scheduled run after resume', async () => {
      fired = (await h.runs.listRuns({ pipeline: h.pipeline.name, trigger: 'schedule' })).runs.find((r) => r.status !== 'paused')?.runId;
      return fired !== undefined;
    });
    const { run } = await waitForRun(h.clients.firestore, fired!, { timeoutMs: 60_000 });
    expect(run.status).not.toBe('paused');
    expect(run.stages.fetch?.startedAt).toBeDefined();

    await expect(h.controls.pause('no-such-pipeline', operator)).rejects.toMatchObject({ code: 'not-found' });
  }, 150_000);
});

describe('rerun', () => {
  it('failed files only, from fetch: the quarantined file, fixed at the source, is fetched again; nothing loads twice', async () => {
    const day = '2026-06-10';
    const fixture = h.generate([day]);
    const file = path.join(h.exportRoot, day.replace(/-/g, ''), 'PaymentDetails.csv');
    const good = fs.readFileSync(file, 'utf8');
    const lines = good.split('\r\n');
    lines.splice(3, 1, 'broken-row,with,too,many,fields,here,and,more');
    fs.writeFileSync(file, lines.join('\r\n'));
    const first = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
    const parent = await waitForRun(h.clients.firestore, first.runId, { timeoutMs: 90_000 });
    expect(parent.run.status).toBe('partial');
    expect(parent.run.counts).toMatchObject({ loaded: 2, quarantined: 1 });

    fs.writeFileSync(file, good);
    const rerun = await h.controls.rerun(first.runId, { files: 'failed', fromStage: 'fetch' }, operator);
    expect(rerun).toMatchObject({ status: 'queued', parentRunId: first.runId });
    const { run, files } = await waitForRun(h.clients.firestore, rerun.runId, { timeoutMs: 90_000 });
    expect(run).toMatchObject({ status: 'succeeded', parentRunId: first.runId, rerun: { of: first.runId, files: 'failed', fromStage: 'fetch' }, trigger: 'retry', actor: operator.principal });
    expect(run.counts).toMatchObject({ loaded: 1, skipped: 2 });
    expect(files.find((f) => f.status === 'loaded')?.name).toMatch(/PaymentDetails\.csv$/);
    expect(await count('payments', day)).toBe(fixture.rows.payments);
    expect(await count('orders', day)).toBe(fixture.rows.orders);

    // The parent is unchanged but for the action; the released claim says who released it, on purpose.
    const after = await h.runs.getRun(first.runId);
    expect(after).toMatchObject({ status: 'partial', counts: parent.run.counts, endedFiles: parent.run.endedFiles });
    expect(after?.actions?.at(-1)).toMatchObject({ action: 'rerun', actor: operator.principal, detail: { newRunId: rerun.runId, files: 'failed', fromStage: 'fetch' } });
    const released = await claimsOfRun(h.clients.firestore, h.pipeline.name, rerun.runId);
    expect(released.some(({ entry }) => entry.releasedFrom === first.runId && entry.releasedBy === operator.principal)).toBe(true);

    // Every file again, from fetch: copied again from the source, and the load ledger loads none twice.
    const all = await h.controls.rerun(first.runId, { files: 'all', fromStage: 'fetch' }, operator);
    const again = await waitForRun(h.clients.firestore, all.runId, { timeoutMs: 90_000 });
    expect(again.run.status).toBe('no-new-data');
    expect(again.files.filter((f) => f.stages.fetch?.endedAt !== undefined).map((f) => path.basename(f.name)).sort()).toEqual(['ItemSelectionDetails.csv', 'OrderDetails.csv']);
    expect(await count('payments', day)).toBe(fixture.rows.payments);
    expect(await count('orders', day)).toBe(fixture.rows.orders);
    expect(await count('order_items', day)).toBe(fixture.rows.order_items);
  }, 240_000);

  it('from transform: the parent\'s raw files are reused (no fetch), and nothing loads twice', async () => {
    const day = '2026-07-10';
    const fixture = h.generate([day]);
    const first = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
    const parent = await waitForRun(h.clients.firestore, first.runId, { timeoutMs: 90_000 });
    expect(parent.run.status).toBe('succeeded');
    const ledgerBefore = await ledgerSize();

    const rerun = await h.controls.rerun(first.runId, { files: 'all', fromStage: 'transform' }, operator);
    const { run, files } = await waitForRun(h.clients.firestore, rerun.runId, { timeoutMs: 90_000 });
    expect(run).toMatchObject({ parentRunId: first.runId, rerun: { fromStage: 'transform', files: 'all' }, expectedFiles: 3 });
    expect(files).toHaveLength(3);
    for (const f of files) {
      expect(f.stages.fetch).toBeUndefined();
      expect(f.stages.transform?.endedAt).toBeDefined();
      expect(f.raw?.object).toBe(`raw/${h.pipeline.name}/${rerun.runId}/${f.name}`);
      expect(f.status).toBe('skipped');
    }
    expect(await ledgerSize()).toBe(ledgerBefore);
    expect(await count('orders', day)).toBe(fixture.rows.orders);
    expect((await h.runs.getRun(first.runId))?.status).toBe('succeeded');

    // Its files loaded, so load deleted their staged data: nothing for a rerun from load to reuse.
    await expect(h.controls.rerun(first.runId, { files: 'all', fromStage: 'load' }, operator)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/no staged data left for 3 file\(s\) .*rerun from transform/) });
    await expect(h.controls.rerun(first.runId, { files: 'failed', fromStage: 'fetch' }, operator)).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.controls.rerun('no-such-run', { files: 'all', fromStage: 'fetch' }, operator)).rejects.toMatchObject({ code: 'not-found' });
    await h.runs.queueRun('manual-queued-only', { pipeline: h.pipeline.name, trigger: 'manual', actor: operator.principal });
    await expect(h.controls.rerun('manual-queued-only', { files: 'all', fromStage: 'fetch' }, operator)).rejects.toMatchObject({ code: 'conflict' });
  }, 180_000);

  it('from load: the files whose load failed are loaded from their kept staged data once the database is back (no fetch, no transform)', async () => {
    const day = '2026-07-20';
    const fixture = h.generate([day]);
    h.proxy.down();
    let first;
    try {
      first = await h.controls.trigger({ pipeline: h.pipeline.name, date: day, dryRun: false }, operator);
      // Load gives up on every file (Pub/Sub's max delivery attempts); the run's end cannot reach the database either.
      const failed = await waitForRun(h.clients.firestore, first.runId, { timeoutMs: 150_000, until: (run) => isTerminal(run.status) });
      expect(failed.run.status).toBe('failed');
      expect(failed.files).toHaveLength(3);
      expect(failed.files.every((f) => f.status === 'failed' && f.error?.stage === 'load')).toBe(true);
    } finally {
      h.proxy.up();
    }
    // The run's end kept each file's staged data and sidecar (what the rerun reuses).
    const bucket = h.deployment.storage.bucket(h.deployment.bucket);
    const parentFiles = await h.runs.getFiles(first.runId);
    for (const f of parentFiles) {
      const message = recordedStagedMessage(f);
      expect(message).toMatchObject({ runId: first.runId, fileKey: f.fileKey, raw: f.raw });
      expect((await bucket.file(message!.staged.object).exists())[0]).toBe(true);
      expect((await bucket.file(message!.schemaObject).exists())[0]).toBe(true);
    }

    const rerun = await h.controls.rerun(first.runId, { files: 'failed', fromStage: 'load' }, operator);
    const { run, files } = await waitForRun(h.clients.firestore, rerun.runId, { timeoutMs: 90_000 });
    expect(run).toMatchObject({ status: 'succeeded', parentRunId: first.runId, rerun: { fromStage: 'load', files: 'failed' }, expectedFiles: 3 });
    expect(run.counts.loaded).toBe(3);
    expect(files.map((f) => f.name).sort()).toEqual(parentFiles.map((f) => f.name).sort());
    for (const f of files) {
      expect(f.stages.fetch).toBeUndefined();
      expect(f.stages.transform).toBeUndefined();
      expect(f.stages.load?.endedAt).toBeDefined();
      expect(f.status).toBe('loaded');
    }
    expect(await count('payments', day)).toBe(fixture.rows.payments);
    expect(await count('orders', day)).toBe(fixture.rows.orders);
    expect(await count('order_items', day)).toBe(fixture.rows.order_items);
    expect((await h.runs.getRun(first.runId))?.status).toBe('failed');

    // Load deleted the staged data it loaded: a second rerun from load is refused (nothing is loaded twice),
    // naming the files and pointing at transform.
    await expect(h.controls.rerun(first.runId, { files: 'failed', fromStage: 'load' }, operator)).rejects.toMatchObject({
      code: 'conflict', message: expect.stringMatching(/no staged data left for 3 file\(s\) \(.*OrderDetails\.csv.*\).*rerun from transform/),
    });
    expect(await count('orders', day)).toBe(fixture.rows.orders);
  }, 300_000);
});
