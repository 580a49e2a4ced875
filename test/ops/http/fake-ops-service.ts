// An OpsService stand-in for the HTTP layer's unit tests: every method records its call and
// answers from what the test put in `data`; what the test does not set throws a plain Error (the
// API must answer it as 'internal' without its message).
import type { OpsService } from '../../../functions/ops/ops-service';
import type { PipelineSummary, RunDetail, RunList, RunSummary } from '../../../functions/ops/api-schemas';

export interface FakeData {
  runs: RunSummary[];
  details: Record<string, RunDetail>;
  pipelines: PipelineSummary[];
}

export interface FakeOpsService extends OpsService {
  calls: Array<{ method: string; args: unknown[] }>;
  data: FakeData;
}

export const summary = (runId: string, extra: Partial<RunSummary> = {}): RunSummary => ({
  runId, pipeline: 'demo-prices', status: 'succeeded', trigger: 'manual', startedAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:01:00.000Z', counts: { loaded: 1 }, ...extra,
});

export function createFakeOpsService(): FakeOpsService {
  const calls: FakeOpsService['calls'] = [];
  const data: FakeData = { runs: [], details: {}, pipelines: [] };
  const record = (method: string, ...args: unknown[]) => calls.push({ method, args });
  return {
    calls,
    data,
    views: {
      async listPipelines() { record('listPipelines'); return data.pipelines; },
      async getPipeline(name) { record('getPipeline', name); return data.pipelines.find((p) => p.name === name); },
      async listRuns(query): Promise<RunList> { record('listRuns', query); return { runs: data.runs.slice(0, query.limit) }; },
      async getRun(id) { record('getRun', id); return data.details[id]; },
      async getRunFiles(id) { record('getRunFiles', id); return data.details[id]?.files; },
    },
    controls: {
      async trigger(request, caller) { record('trigger', request, caller); return { runId: 'manual-1', pipeline: request.pipeline, status: 'queued' }; },
      async rerun(id, request, caller) { record('rerun', id, request, caller); return { runId: 'rerun-1', pipeline: 'demo-prices', status: 'queued', parentRunId: id }; },
      async cancel(id, caller) { record('cancel', id, caller); return summary(id, { status: 'cancelled' }); },
      async pause(name, caller) { record('pause', name, caller); throw new Error('postgres://admin:hunter2secret@db/x exploded'); },
      async resume(name, caller) { record('resume', name, caller); const { OpsError } = await import('../../../functions/ops/ops-service'); throw new OpsError('not-found', `no pipeline "${name}"`); },
    },
    deadLetters: {
      async list(query) { record('dlq.list', query); return { deadLetters: [] }; },
      async get(id) { record('dlq.get', id); return undefined; },
      async replay(selection, caller) { record('dlq.replay', selection, caller); return { matched: 0, done: 0, dryRun: selection.dryRun }; },
      async purge(selection, caller) { record('dlq.purge', selection, caller); return { matched: 0, done: 0, dryRun: selection.dryRun }; },
    },
    bulk: {
      async start(request, caller) {
        record('bulk.start', request, caller);
        const now = '2026-12-01T10:00:00.000Z';
        return { id: 'bulk-1', action: request.action, filter: request.filter, status: request.dryRun ? 'counted' : 'running', total: 3, done: 0, failed: 0, actor: caller.principal, createdAt: now, updatedAt: now };
      },
      async get(id) { record('bulk.get', id); return undefined; },
    },
    health: {
      live: () => ({ status: 'ok' }),
      async detailed() { record('health.detailed'); return { status: 'ok', checkedAt: '2026-12-01T10:00:00.000Z', dependencies: [] }; },
    },
    logs: { async logsOf(id, options) { record('logsOf', id, options); return { entries: [] }; } },
  };
}
