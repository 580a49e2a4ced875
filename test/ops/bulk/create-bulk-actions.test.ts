// Bulk actions with their own store on the Firestore emulator, over a fake runs list and fake controls
// (the seams: RunStore's listRuns/countRuns, RunControls' rerun/cancel): the dry-run count, progress
// readable between calls, resume after a worker died mid-page holding its lease, concurrent callers,
// and never acting on a run twice — not on a second start, not after a crash.
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkRequest, Caller } from '../../../functions/ops/api-schemas';
import { createBulkActionStore, type BulkActionStore } from '../../../functions/ops/bulk/bulk-action-store';
import { createBulkActions, type BulkActionOptions } from '../../../functions/ops/bulk/create-bulk-actions';
import type { OpsDeps } from '../../../functions/ops/ops-deps';
import { OpsError, type RunControls } from '../../../functions/ops/ops-service';
import type { RunAction, RunRecord, RunStatus } from '../../../functions/runtime/run-record';
import type { RunQuery, RunStore } from '../../../functions/runtime/run-store';
import { silentLogger } from '../../../shared/logger';
import { firestoreFor, uniqueProjectId } from '../../support/local-cloud';

const operator: Caller = { principal: 'user:ana@example.com', role: 'operator' };
let firestore: Firestore;

beforeAll(() => {
  firestore = firestoreFor(uniqueProjectId('bulk'));
});
afterAll(async () => firestore?.terminate());

// The runs list as RunStore answers it: newest first by startedAt then runId, cursor pages.
function fakeRuns(clock: () => Date) {
  const runs: RunRecord[] = [];
  const actions = new Map<string, RunAction[]>();
  const matches = (run: RunRecord, q: Omit<RunQuery, 'limit' | 'cursor'>) =>
    (!q.pipeline || run.pipeline === q.pipeline) && (!q.status || q.status.includes(run.status)) && (!q.trigger || run.trigger === q.trigger)
    && (!q.since || run.startedAt! >= q.since) && (!q.until || run.startedAt! < q.until) && (!q.parentRunId || run.parentRunId === q.parentRunId);
  const sorted = () => [...runs].sort((a, b) => (b.startedAt!.localeCompare(a.startedAt!)) || b.runId.localeCompare(a.runId));
  const store = {
    async listRuns(q: RunQuery) {
      const all = sorted().filter((r) => matches(r, q));
      const after = q.cursor ? (JSON.parse(q.cursor) as [string, string]) : undefined;
      const rest = after ? all.filter((r) => r.startedAt! < after[0] || (r.startedAt === after[0] && r.runId < after[1])) : all;
      const page = rest.slice(0, q.limit ?? 50);
      const last = page.at(-1);
      return { runs: page, ...(rest.length > page.length && last ? { nextCursor: JSON.stringify([last.startedAt, last.runId]) } : {}) };
    },
    async countRuns(q: Omit<RunQuery, 'limit' | 'cursor'>) {
      return runs.filter((r) => matches(r, q)).length;
    },
    async appendAction(runId: string, action: RunAction) {
      actions.set(runId, [...(actions.get(runId) ?? []), action]);
    },
  };
  const add = (runId: string, over: Partial<RunRecord> = {}) => {
    const at = over.startedAt ?? clock().toISOString();
    runs.push({ runId, pipeline: 'pos', trigger: 'schedule', messageId: 'm', dates: [], status: 'failed', createdAt: at, updatedAt: at, startedAt: at, expectedFiles: 1, endedFiles: 1, counts: { loaded: 0, skipped: 0, superseded: 0, quarantined: 0, failed: 1, expanded: 0, cancelled: 0 }, stages: {}, ...over });
  };
  return { runs, actions, add, store: store as unknown as RunStore };
}

// Controls that rerun (a new queued run with parentRunId, startedAt now) and cancel, counting calls.
function fakeControls(runs: ReturnType<typeof fakeRuns>, clock: () => Date, failFor: (runId: string) => string | undefined = () => undefined) {
  const reruns: string[] = [];
  const cancels: string[] = [];
  const controls: Partial<RunControls> = {
    async rerun(runId) {
      const why = failFor(runId);
      if (why) throw new OpsError('conflict', why);
      reruns.push(runId);
      const newId = `${runId}-rerun-${reruns.filter((r) => r === runId).length}`;
      runs.add(newId, { parentRunId: runId, status: 'queued', trigger: 'retry', startedAt: clock().toISOString() });
      return { runId: newId, pipeline: 'pos', status: 'queued' as RunStatus, parentRunId: runId };
    },
    async cancel(runId) {
      const why = failFor(runId);
      if (why) throw new OpsError('conflict', why);
      cancels.push(runId);
      return {} as never;
    },
  };
  return { reruns, cancels, controls: controls as RunControls };
}

function world(options: BulkActionOptions & { offsetMs?: { value: number } } = {}) {
  const offset = options.offsetMs ?? { value: 0 };
  const clock = () => new Date(Date.now() + offset.value);
  const runs = fakeRuns(clock);
  const prefix = uniqueProjectId('p').slice(-6);
  for (let i = 0; i < 75; i++) runs.add(`${prefix}-failed-${String(i).padStart(3, '0')}`, { startedAt: new Date(Date.UTC(2026, 10, 20, 0, i)).toISOString() });
  for (let i = 0; i < 5; i++) runs.add(`${prefix}-ok-${i}`, { status: 'succeeded', startedAt: new Date(Date.UTC(2026, 10, 20, 3, i)).toISOString() });
  for (let i = 0; i < 5; i++) runs.add(`${prefix}-other-${i}`, { pipeline: 'other', startedAt: new Date(Date.UTC(2026, 10, 20, 4, i)).toISOString() });
  const deps = { firestore, runs: runs.store, ops: { retention: { runDays: 365, fileDays: 30, deadLetterDays: 30 } }, logger: silentLogger, now: clock } as unknown as OpsDeps;
  return { runs, deps, clock, offset, prefix };
}

// A request whose filter is this world's own (the id is the request: worlds must not share one).
const rerunAll = (since: string): BulkRequest => ({ action: 'rerun', filter: { pipeline: 'pos', status: ['failed'], since }, rerun: { files: 'failed', fromStage: 'transform' }, dryRun: false });

describe('bulk actions', () => {
  it('counts first, then reruns 75 runs with progress readable meanwhile; a second start reruns nothing twice', async () => {
    const w = world();
    const c = fakeControls(w.runs, w.clock);
    const bulk = createBulkActions(w.deps, c.controls, { pageSize: 10, maxPagesPerCall: 1 });
    const request = rerunAll('2026-11-19T00:00:00.000Z');

    const counted = await bulk.start({ ...request, dryRun: true }, operator);
    expect(counted).toMatchObject({ status: 'counted', total: 75, done: 0 });
    expect(c.reruns).toEqual([]);
    expect(await bulk.get(counted.id)).toBeUndefined(); // a count records nothing

    const started = await bulk.start(request, operator);
    expect(started).toMatchObject({ id: counted.id, status: 'running', total: 75, done: 10, failed: 0, actor: operator.principal });
    const progress = [started.done];
    let view = started;
    while (view.status !== 'done') {
      view = (await bulk.get(started.id))!;
      progress.push(view.done);
    }
    expect(progress).toEqual([10, 20, 30, 40, 50, 60, 70, 75]);
    expect(view).toMatchObject({ status: 'done', total: 75, done: 75, failed: 0 });
    expect(view.runIds).toHaveLength(75);
    expect(new Set(c.reruns).size).toBe(75);
    expect(c.reruns.every((r) => r.includes('-failed-'))).toBe(true);
    // Each parent says which bulk action reran it.
    expect(w.runs.actions.get(c.reruns[0]!)?.[0]).toMatchObject({ action: 'bulk-rerun', actor: operator.principal, detail: { bulkId: started.id } });

    const again = await bulk.start(request, operator);
    expect(again).toMatchObject({ id: started.id, status: 'done', done: 75 });
    expect(c.reruns).toHaveLength(75);
    // The 75 reruns it queued (status queued, newer) were never part of its set.
    expect(w.runs.runs.filter((r) => r.parentRunId)).toHaveLength(75);

    // Started again later, after more runs failed: it goes on over those, and only those.
    // (A millisecond before now: a run started in the very millisecond of a start is the next one's.)
    for (const n of [1, 2, 3]) w.runs.add(`${w.prefix}-failed-later-${n}`, { startedAt: new Date(w.clock().getTime() - 1).toISOString() });
    let extended = await bulk.start(request, operator);
    expect(extended).toMatchObject({ id: started.id, total: 78 });
    while (extended.status !== 'done') extended = (await bulk.get(started.id))!;
    expect(extended).toMatchObject({ status: 'done', total: 78, done: 78, failed: 0 });
    expect(c.reruns).toHaveLength(78);
    expect(new Set(c.reruns).size).toBe(78);
    expect(c.reruns.slice(75).every((r) => r.includes('-failed-later-'))).toBe(true);
  });

  it('a worker that dies mid-page, lease held, is resumed from its cursor and reruns no run twice', async () => {
    const offset = { value: 0 };
    const w = world({ offsetMs: offset });
    const c = fakeControls(w.runs, w.clock);
    const real = createBulkActionStore(firestore, { now: w.clock });
    let crashes = 1;
    // The instance dies once the 14th rerun happened, before it was recorded: nothing more it does
    // lands (the reruns then in flight happen, unrecorded).
    let dead = false;
    const store: BulkActionStore = {
      ...real,
      async endRun(id, runId, outcome) {
        if (dead) throw new Error('instance gone');
        if (c.reruns.length >= 14 && crashes-- > 0) {
          dead = true;
          throw new Error('instance gone');
        }
        return real.endRun(id, runId, outcome);
      },
      async saveCursor(...args) {
        if (dead) throw new Error('instance gone');
        return real.saveCursor(...args);
      },
      async releaseLease(...args) {
        if (dead) return; // died holding it
        return real.releaseLease(...args);
      },
    };
    const bulk = createBulkActions(w.deps, c.controls, { store, pageSize: 10, budgetMs: { start: 60_000, get: 60_000 } });
    const first = await bulk.start(rerunAll('2026-11-18T00:00:00.000Z'), operator);
    expect(first.status).toBe('running');
    expect(first.done).toBeLessThan(c.reruns.length);
    dead = false;
    // While the dead worker's lease lasts, a GET only reads.
    const rerunsBefore = c.reruns.length;
    expect(await bulk.get(first.id)).toMatchObject({ status: 'running', done: first.done });
    expect(c.reruns).toHaveLength(rerunsBefore);
    offset.value += 2 * 60 * 60 * 1000;
    const resumed = await bulk.get(first.id);
    expect(resumed).toMatchObject({ status: 'done', total: 75, done: 75, failed: 0 });
    expect(c.reruns).toHaveLength(75);
    expect(new Set(c.reruns).size).toBe(75);
  });

  it('callers at the same time share one worker; runs the controls refuse are counted failed with why', async () => {
    const w = world();
    const c = fakeControls(w.runs, w.clock, (runId) => (runId.endsWith('7') ? `run ${runId} is still running` : undefined));
    const bulk = createBulkActions(w.deps, c.controls, { pageSize: 5, maxPagesPerCall: 2 });
    const request: BulkRequest = { action: 'cancel', filter: { pipeline: 'pos', since: '2026-11-17T00:00:00.000Z' }, dryRun: false };
    const [started] = await Promise.all([bulk.start(request, operator), bulk.start(request, operator)]);
    let view = started;
    while (view.status !== 'done') [view] = await Promise.all([bulk.get(started.id), bulk.get(started.id), bulk.get(started.id)]).then((v) => v.map((x) => x!));
    const refused = w.runs.runs.filter((r) => r.pipeline === 'pos' && r.runId.endsWith('7')).length;
    expect(view).toMatchObject({ action: 'cancel', total: 80, done: 80 - refused, failed: refused });
    expect(view.errors?.[0]?.message).toMatch(/is still running/);
    expect(c.cancels).toHaveLength(80 - refused);
    expect(new Set(c.cancels).size).toBe(c.cancels.length);
  });

  it('is for operators only', async () => {
    const w = world();
    const bulk = createBulkActions(w.deps, fakeControls(w.runs, w.clock).controls);
    await expect(bulk.start(rerunAll('2026-11-16T00:00:00.000Z'), { principal: 'user:v@example.com', role: 'viewer' })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
