// Bulk rerun / cancel (ops-service.ts BulkActions) on the run controls: every run matching a filter,
// worked through by cursor pages of the runs list, with progress on the action's record.
//
// An action is its request (bulk-action-id.ts): starting the same request again resumes it while it
// runs, and once it has finished goes on over the runs started since it last ran (unless the filter
// names its own `until`: then there are none) — never acting on a run it already acted on.
//
// How it runs in a Cloud Function, which gets no CPU once it has answered: the request that starts an
// action works through it for a time budget, then answers with the progress so far; every GET of the
// action (the CLI and the dashboard poll it) goes on for another budget from the cursor recorded after
// the last page. One worker at a time holds the action's lease; a worker that dies (an instance
// recycled mid-page) leaves its lease to expire and the next GET or start picks up from the cursor.
// Nothing is acted on twice: each run is claimed on the action (bulk-action-store.ts) before its
// control is called and ended after; a run whose claim outlived its worker is looked up before it is
// acted on again (a rerun of it created since the claim is taken as that claim's).
import crypto from 'node:crypto';
import type { BulkRequest, Caller, RunFilter } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError, type BulkActions, type RunControls } from '../ops-service';
import type { RunRecord } from '../../runtime/run-record';
import type { RunQuery } from '../../runtime/run-store';
import { bulkActionId } from './bulk-action-id';
import { createBulkActionStore, type BulkActionStore, type BulkRecord, type RunOutcome } from './bulk-action-store';

export interface BulkActionOptions {
  store?: BulkActionStore;
  // Runs per page of the runs list (a page is worked through, then its cursor recorded).
  pageSize?: number;
  // How long one call (start, get) works before it answers.
  budgetMs?: { start: number; get: number };
  // Runs of a page acted on at once.
  concurrency?: number;
  // At most this many pages per call (tests: progress visible between calls); default unbounded.
  maxPagesPerCall?: number;
}

const DEFAULT_BUDGET = { start: 20_000, get: 10_000 };

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 300);

// The runs an action works through: its filter, started before `until` and (an extended action) at
// or after `from`.
function runQueryOf(filter: RunFilter, until: string, from?: string): Omit<RunQuery, 'limit' | 'cursor'> {
  const since = [filter.since ? new Date(filter.since).toISOString() : undefined, from].filter((s): s is string => s !== undefined).sort().at(-1);
  return {
    ...(filter.pipeline ? { pipeline: filter.pipeline } : {}),
    ...(filter.status && filter.status.length > 0 ? { status: filter.status } : {}),
    ...(filter.trigger ? { trigger: filter.trigger } : {}),
    ...(since ? { since } : {}),
    until,
  };
}

export function createBulkActions(deps: OpsDeps, controls: RunControls, options: BulkActionOptions = {}): BulkActions {
  const store = options.store ?? createBulkActionStore(deps.firestore, { retentionDays: deps.ops.retention.fileDays, now: deps.now });
  const pageSize = options.pageSize ?? 25;
  const concurrency = options.concurrency ?? 5;
  const budget = options.budgetMs ?? DEFAULT_BUDGET;
  const leaseMs = (ms: number) => ms + 60_000;
  const log = deps.logger.child({ component: 'bulk-actions' });

  // Acts on one run of the action, once.
  async function actOn(record: BulkRecord, run: RunRecord, caller: Caller): Promise<void> {
    const claim = await store.claimRun(record.id, run.runId);
    if (claim.state === 'ended') return;
    if (claim.state === 'claimed' && record.action === 'rerun') {
      // A worker took this run and died: did its rerun happen? A rerun of it created since the claim.
      const page = await deps.runs.listRuns({ parentRunId: run.runId, since: claim.claimedAt, limit: 1 });
      const child = page.runs[0];
      if (child) {
        await store.endRun(record.id, run.runId, { ok: true, newRunId: child.runId });
        return;
      }
    }
    let outcome: RunOutcome;
    try {
      if (record.action === 'rerun') {
        const queued = await controls.rerun(run.runId, record.rerun ?? { files: 'all', fromStage: 'fetch' }, caller);
        outcome = { ok: true, newRunId: queued.runId };
      } else {
        await controls.cancel(run.runId, caller);
        outcome = { ok: true };
      }
    } catch (error) {
      outcome = { ok: false, message: errorMessage(error) };
    }
    await store.endRun(record.id, run.runId, outcome);
    if (outcome.ok) {
      const detail: Record<string, string> = { bulkId: record.id, ...(outcome.newRunId ? { runId: outcome.newRunId } : {}) };
      await deps.runs.appendAction(run.runId, { action: record.action === 'rerun' ? 'bulk-rerun' : 'bulk-cancel', actor: record.actor, at: deps.now().toISOString(), detail })
        .catch((error: unknown) => log.warn('could not record the bulk action on the run', { runId: run.runId, bulkId: record.id, error: errorMessage(error) }));
    }
  }

  // Works through the action from its recorded cursor for one budget, unless another worker holds it.
  async function work(id: string, budgetMs: number): Promise<void> {
    const token = crypto.randomUUID();
    const started = Date.now();
    const record = await store.takeLease(id, token, new Date(deps.now().getTime() + leaseMs(budgetMs)));
    if (!record) return;
    // The controls act as the operator who started the action, whoever drives it on.
    const caller: Caller = { principal: record.actor, role: 'operator' };
    let cursor = record.cursor;
    let pages = 0;
    try {
      for (;;) {
        const page = await deps.runs.listRuns({ ...runQueryOf(record.filter, record.until, record.from), limit: pageSize, ...(cursor ? { cursor } : {}) });
        // A few runs at a time: each is claimed on its own, so their order does not matter.
        for (let i = 0; i < page.runs.length; i += concurrency) await Promise.all(page.runs.slice(i, i + concurrency).map((run) => actOn(record, run, caller)));
        cursor = page.nextCursor;
        pages += 1;
        await store.saveCursor(id, token, cursor, new Date(deps.now().getTime() + leaseMs(budgetMs)));
        if (!cursor) {
          log.info('bulk action done', { bulkId: id, action: record.action });
          return;
        }
        if (pages >= (options.maxPagesPerCall ?? Infinity) || Date.now() - started >= budgetMs) break;
      }
    } catch (error) {
      // Left at its cursor: the next call goes on from there.
      log.error('bulk action interrupted; the next call resumes it', { bulkId: id, error: errorMessage(error) });
    } finally {
      await store.releaseLease(id, token).catch(() => undefined);
    }
  }

  return {
    async start(request: BulkRequest, caller: Caller) {
      if (caller.role !== 'operator') throw new OpsError('forbidden', 'bulk actions are for operators');
      const id = bulkActionId(request);
      const at = deps.now().toISOString();
      const until = request.filter.until ? new Date(request.filter.until).toISOString() : at;
      if (request.dryRun) {
        const total = await deps.runs.countRuns(runQueryOf(request.filter, until));
        return { id, action: request.action, filter: request.filter, status: 'counted', total, done: 0, failed: 0, actor: caller.principal, createdAt: at, updatedAt: at };
      }
      const existing = await store.get(id);
      if (existing && existing.status === 'done' && !request.filter.until) {
        // The same request again, after it finished: it goes on over the runs started since.
        const added = await deps.runs.countRuns(runQueryOf(request.filter, at, existing.until));
        if (added > 0 && (await store.extend(id, { from: existing.until, until: at, added }))) {
          log.info('bulk action extended to the runs started since it last ran', { bulkId: id, from: existing.until, added, actor: caller.principal });
        }
      }
      if (!existing) {
        const total = await deps.runs.countRuns(runQueryOf(request.filter, until));
        await store.create({
          id, action: request.action, filter: request.filter, ...(request.action === 'rerun' ? { rerun: request.rerun ?? { files: 'all', fromStage: 'fetch' } } : {}),
          until, status: 'running', total, done: 0, failed: 0, actor: caller.principal, createdAt: at, updatedAt: at,
        });
        log.info('bulk action started', { bulkId: id, action: request.action, total, actor: caller.principal });
      }
      await work(id, budget.start);
      const view = await store.view(id);
      if (!view) throw new OpsError('unavailable', `bulk action ${id} vanished`);
      return view;
    },

    async get(id: string) {
      const record = await store.get(id);
      if (!record) return undefined;
      if (record.status !== 'done') await work(id, budget.get);
      return store.view(id);
    },
  };
}
