// The operator controls end to end on the local cloud: the ops service's RunControls on the real
// stores, the demo pipeline deployed with the real stage handlers, SFTP, Cloud Storage, Pub/Sub,
// Firestore and PostgreSQL. Each test uses export dates of its own (the source looks 3 days back).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from '../../../emulator/run-watch';
import { claimsOfRun } from '../../../functions/fetch/fetch-ledger';
import type { Caller } from '../../../functions/ops/api-schemas';
import { FETCH_LEDGER_COLLECTION } from '../../../functions/runtime/run-record';
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
    expect(files.map((f) => f.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
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
