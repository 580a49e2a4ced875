// An OpsService over fixed data for the CLI's own tests: the CLI is the unit under test, the API
// (startOpsServer) is real. Deterministic without timing: a run can be given a script of details
// that GET /runs/{id} steps through one per request, and a bulk action moves 25 runs a request.
import type {
  BulkAction, DeadLetterView, HealthReport, LogEntry, PipelineSummary, RunDetail, RunSummary, StageView,
} from '../../functions/ops/api-schemas';
import { OpsError, type OpsService } from '../../functions/ops/ops-service';

export const T0 = '2026-12-01T16:05:00.000Z';

export function summary(overrides: Partial<RunSummary> & Pick<RunSummary, 'runId' | 'status'>): RunSummary {
  return { pipeline: 'demo', trigger: 'schedule', startedAt: T0, updatedAt: T0, counts: {}, ...overrides };
}

export function stage(name: StageView['stage'], status: StageView['status'], done: number, total: number, extra: Partial<StageView> = {}): StageView {
  return { stage: name, status, files: { total, running: status === 'running' ? total - done : 0, done, failed: 0 }, attempts: done, ...extra };
}

export function detail(run: RunSummary, stages: StageView[] = [], extra: Partial<RunDetail> = {}): RunDetail {
  return {
    run: { ...run, dates: ['2026-11-30'], expectedFiles: 2, endedFiles: run.status === 'running' || run.status === 'queued' ? 0 : 2 },
    stages, files: [], children: [], retryCommand: `sluice rerun ${run.runId} --failed`, ...extra,
  };
}

export interface Fixture {
  service: OpsService;
  runs: Map<string, RunDetail>;
  // Details GET /runs/{id} answers in turn (the last one stays).
  scripts: Map<string, RunDetail[]>;
  // What the next trigger/rerun's run goes through when watched.
  nextScript: (runId: string) => RunDetail[];
  calls: Array<{ method: string; args: unknown[] }>;
  pipelines: Map<string, PipelineSummary>;
  deadLetters: DeadLetterView[];
  health: HealthReport;
  // Runs whose event stream (GET /runs/{id}/events) sends changes; for any other run the stream
  // ends at once, as a server's does when its watch fails, and the CLI polls.
  live: Set<string>;
  // Sends the run's current detail on its open event streams.
  emit(runId: string): void;
}

const failedRun = detail(
  summary({ runId: 'run-failed', status: 'failed', trigger: 'manual', actor: 'dev', durationMs: 61_000, failedStage: 'transform', errorSummary: 'orders.csv row 17: bad date "2026-13-01"', rows: 1200, counts: { loaded: 1, failed: 1 } }),
  [stage('fetch', 'done', 2, 2, { rows: undefined }), { ...stage('transform', 'failed', 1, 2), files: { total: 2, running: 0, done: 1, failed: 1 } }, stage('load', 'done', 1, 1, { rows: 1200 })],
  {
    error: { stage: 'transform', message: 'bad date "2026-13-01"', file: 'orders.csv', row: 17, attempt: 3 },
    files: [
      { fileKey: 'f1', name: 'customers.csv', status: 'loaded', stage: 'load', table: 'customers', rows: 1200, attempts: { fetch: 1, transform: 1, load: 1 } },
      { fileKey: 'f2', name: 'orders.csv', status: 'failed', stage: 'transform', attempts: { fetch: 1, transform: 3 }, reason: 'bad date "2026-13-01"', row: 17 },
    ],
  },
);

export function createFixture(): Fixture {
  const runs = new Map<string, RunDetail>();
  const scripts = new Map<string, RunDetail[]>();
  const calls: Fixture['calls'] = [];
  const record = (method: string, ...args: unknown[]) => void calls.push({ method, args });
  for (const d of [
    failedRun,
    detail(summary({ runId: 'run-ok', status: 'succeeded', durationMs: 12_000, rows: 3400, startedAt: '2026-12-01T15:00:00.000Z' }), [stage('fetch', 'done', 2, 2), stage('load', 'done', 2, 2, { rows: 3400 })]),
    detail(summary({ runId: 'run-orders', pipeline: 'orders', status: 'running', startedAt: '2026-12-01T14:00:00.000Z' }), [stage('fetch', 'running', 1, 3)]),
  ]) runs.set(d.run.runId, d);
  const pipelines = new Map<string, PipelineSummary>([
    ['demo', { name: 'demo', description: 'demo', source: 'sftp', schedule: { cron: '0 6 * * *', timeZone: 'Europe/Berlin', nextFireTimes: ['2026-12-02T05:00:00.000Z'] }, paused: false, lastRuns: [failedRun.run] }],
    ['orders', { name: 'orders', description: 'orders', source: 'gmail', paused: false, lastRuns: [] }],
  ]);
  const deadLetters: DeadLetterView[] = [
    { id: 'dl-1', pipeline: 'demo', stage: 'load', reason: 'relation "x" does not exist', attempts: 8, receivedAt: T0, runId: 'run-failed', file: 'orders.csv', message: { data: 'e30=', attributes: {} } },
    { id: 'dl-2', pipeline: 'orders', stage: 'transform', reason: 'not a CSV', attempts: 5, receivedAt: T0, message: { data: 'e30=', attributes: {} } },
  ];
  const bulkActions = new Map<string, BulkAction>();
  const listeners = new Map<string, Set<(detail: RunDetail | undefined) => void>>();
  let counter = 0;
  const fixture: Fixture = {
    runs, scripts, calls, pipelines, deadLetters,
    live: new Set(),
    emit: (runId) => {
      for (const listener of listeners.get(runId) ?? []) listener(runs.get(runId));
    },
    health: { status: 'degraded', checkedAt: T0, dependencies: [
      { name: 'firestore', required: true, ok: true, latencyMs: 3 },
      { name: 'sftp', required: false, ok: false, latencyMs: 2000, pipeline: 'demo', error: 'connect ECONNREFUSED' },
    ] },
    nextScript: (runId) => [
      detail(summary({ runId, status: 'queued', trigger: 'manual' })),
      detail(summary({ runId, status: 'running', trigger: 'manual' }), [stage('fetch', 'running', 1, 2)]),
      detail(summary({ runId, status: 'running', trigger: 'manual', rows: 500 }), [stage('fetch', 'done', 2, 2), stage('load', 'running', 1, 2, { rows: 500 })]),
      detail(summary({ runId, status: 'succeeded', trigger: 'manual', rows: 900, durationMs: 4000 }), [stage('fetch', 'done', 2, 2), stage('load', 'done', 2, 2, { rows: 900 })]),
    ],
    service: {
      views: {
        listPipelines: async () => [...pipelines.values()],
        getPipeline: async (name) => pipelines.get(name),
        listRuns: async (query) => {
          record('listRuns', query);
          const all = [...runs.values()].map((d) => d.run)
            .filter((r) => (query.pipeline === undefined || r.pipeline === query.pipeline) && (query.status === undefined || query.status.includes(r.status)))
            .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
          const start = query.cursor === undefined ? 0 : Number(query.cursor);
          const page = all.slice(start, start + query.limit);
          return { runs: page, ...(start + query.limit < all.length ? { nextCursor: String(start + query.limit) } : {}) };
        },
        getRun: async (runId) => {
          const script = scripts.get(runId);
          if (script && script.length > 0) {
            const next = script.length > 1 ? script.shift()! : script[0]!;
            runs.set(runId, next);
          }
          return runs.get(runId);
        },
        getRunFiles: async (runId) => runs.get(runId)?.files,
        watchRun: (runId, onChange, onError) => {
          if (!fixture.live.has(runId)) {
            setImmediate(() => onError(new Error('no live view of this run')));
            return () => {};
          }
          const set = listeners.get(runId) ?? new Set();
          listeners.set(runId, set);
          set.add(onChange);
          setImmediate(() => onChange(runs.get(runId)));
          return () => set.delete(onChange);
        },
      },
      controls: {
        trigger: async (request, caller) => {
          record('trigger', request, caller);
          if (!pipelines.has(request.pipeline)) throw new OpsError('not-found', `no pipeline "${request.pipeline}"`);
          const runId = `run-new-${++counter}`;
          scripts.set(runId, fixture.nextScript(runId));
          runs.set(runId, scripts.get(runId)![0]!);
          return { runId, pipeline: request.pipeline, status: 'queued' };
        },
        rerun: async (runId, request, caller) => {
          record('rerun', runId, request, caller);
          const parent = runs.get(runId);
          if (!parent) throw new OpsError('not-found', `no run "${runId}"`);
          const newId = `run-new-${++counter}`;
          scripts.set(newId, fixture.nextScript(newId));
          runs.set(newId, scripts.get(newId)![0]!);
          return { runId: newId, pipeline: parent.run.pipeline, status: 'queued', parentRunId: runId };
        },
        cancel: async (runId, caller) => {
          record('cancel', runId, caller);
          const run = runs.get(runId);
          if (!run) throw new OpsError('not-found', `no run "${runId}"`);
          const cancelling = detail({ ...run.run, status: 'cancelling' }, run.stages, { run: { ...run.run, status: 'cancelling', cancel: { requestedBy: caller.principal, requestedAt: T0 } } });
          const cancelled = detail({ ...run.run, status: 'cancelled' }, run.stages);
          scripts.set(runId, [cancelling, cancelled]);
          runs.set(runId, cancelling);
          return cancelling.run;
        },
        pause: async (name, caller) => {
          record('pause', name, caller);
          const p = pipelines.get(name);
          if (!p) throw new OpsError('not-found', `no pipeline "${name}"`);
          const paused = { ...p, paused: true, pausedBy: caller.principal, pausedAt: T0 };
          pipelines.set(name, paused);
          return paused;
        },
        resume: async (name, caller) => {
          record('resume', name, caller);
          const p = pipelines.get(name);
          if (!p) throw new OpsError('not-found', `no pipeline "${name}"`);
          const resumed: PipelineSummary = { ...p, paused: false };
          delete resumed.pausedBy;
          pipelines.set(name, resumed);
          return resumed;
        },
      },
      deadLetters: {
        list: async (query) => ({ deadLetters: deadLetters.filter((d) => (query.pipeline === undefined || d.pipeline === query.pipeline) && (query.stage === undefined || d.stage === query.stage)) }),
        get: async (id) => deadLetters.find((d) => d.id === id),
        replay: async (selection, caller) => {
          record('replay', selection, caller);
          const matched = selection.ids ? selection.ids.length : deadLetters.filter((d) => selection.filter?.pipeline === undefined || d.pipeline === selection.filter.pipeline).length;
          return { matched, done: selection.dryRun ? 0 : matched, dryRun: selection.dryRun };
        },
        purge: async (selection, caller) => {
          record('purge', selection, caller);
          const matched = selection.ids ? selection.ids.length : deadLetters.filter((d) => selection.filter?.pipeline === undefined || d.pipeline === selection.filter.pipeline).length;
          return { matched, done: selection.dryRun ? 0 : matched, dryRun: selection.dryRun };
        },
      },
      bulk: {
        start: async (request, caller) => {
          record('bulk', request, caller);
          const action: BulkAction = {
            id: `bulk-${++counter}`, action: request.action, filter: request.filter, status: request.dryRun ? 'counted' : 'running',
            total: 75, done: 0, failed: 0, actor: caller.principal, createdAt: T0, updatedAt: T0,
          };
          if (!request.dryRun) bulkActions.set(action.id, action);
          return action;
        },
        get: async (id) => {
          const action = bulkActions.get(id);
          if (!action) return undefined;
          const done = Math.min(action.total, action.done + 25);
          const next: BulkAction = { ...action, done, status: done === action.total ? 'done' : 'running' };
          bulkActions.set(id, next);
          return next;
        },
      },
      health: {
        live: () => ({ status: 'ok' }),
        detailed: async () => fixture.health,
      },
      logs: {
        logsOf: async (runId) => ({
          entries: runId === 'run-failed'
            ? ([
              { timestamp: T0, severity: 'INFO', stage: 'fetch', message: 'fetched orders.csv' },
              { timestamp: '2026-12-01T16:05:03.000Z', severity: 'ERROR', stage: 'transform', message: 'bad date "2026-13-01"' },
            ] satisfies LogEntry[])
            : [],
        }),
      },
    },
  };
  return fixture;
}
