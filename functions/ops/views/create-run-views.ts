// The ops service's read side (RunViews in ops-service.ts): pipelines, runs lists, a run's page and
// its files, and their live versions for the API's event streams. Reads go through the RunStore and
// the PipelineStateStore only; a runs list is one indexed page of run documents (never a file read).
import type { FileRecord, RunRecord } from '../../runtime/run-record';
import type { RunQuery } from '../../runtime/run-store';
import type { RunDetail, RunListQuery, RunSummary } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError, type RunViews } from '../ops-service';
import { toFileView } from './file-view';
import { toPipelineSummary } from './pipeline-summary';
import { buildRunDetail } from './run-detail';
import { toRunSummary } from './run-summary';
import { createStageMedians } from './stage-medians';
import { throttled } from './throttle';

export const LAST_RUNS = 5;
export const CHILDREN_LIMIT = 50;

type ViewDeps = Pick<OpsDeps, 'pipelines' | 'runs' | 'pipelineStates' | 'now'>;

export function toRunQuery(query: Omit<RunListQuery, 'cursor'> & { cursor?: string }): RunQuery {
  return {
    ...(query.pipeline ? { pipeline: query.pipeline } : {}),
    ...(query.status?.length ? { status: query.status } : {}),
    ...(query.trigger ? { trigger: query.trigger } : {}),
    ...(query.since ? { since: query.since } : {}),
    ...(query.until ? { until: query.until } : {}),
    ...(query.parent ? { parentRunId: query.parent } : {}),
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  };
}

// The store refuses a query it cannot answer (a cursor it never gave, a bad bound) with a
// RunQueryError naming the field: that is the caller's mistake, a 400, not the API's.
async function listed<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if ((error as { name?: unknown }).name === 'RunQueryError') throw new OpsError('invalid-request', (error as Error).message);
    throw error;
  }
}

export function createRunViews(deps: ViewDeps): RunViews {
  const byName = new Map(deps.pipelines.map((p) => [p.name, p]));
  const aggregatesOf = (pipeline: string) => (byName.get(pipeline)?.aggregates.length ?? 0) > 0;
  const medians = createStageMedians(deps.runs, { aggregatesOf, now: deps.now });

  async function summaryOf(name: string) {
    const pipeline = byName.get(name);
    if (!pipeline) return undefined;
    const [state, page] = await Promise.all([deps.pipelineStates.get(name), deps.runs.listRuns({ pipeline: name, limit: LAST_RUNS })]);
    return toPipelineSummary(pipeline, state, page.runs.map(toRunSummary), deps.now());
  }

  // Parent, children and medians: what a run page shows beside the run and its files.
  async function surroundings(run: RunRecord) {
    const [parent, children, medianStageMs] = await Promise.all([
      run.parentRunId ? deps.runs.getRun(run.parentRunId) : Promise.resolve(undefined),
      deps.runs.listRuns({ parentRunId: run.runId, limit: CHILDREN_LIMIT }),
      // The medians are decoration: a failure to compute them must not cost the page.
      medians.of(run.pipeline).catch(() => undefined),
    ]);
    return {
      ...(parent ? { parent: toRunSummary(parent) } : {}),
      children: children.runs.map(toRunSummary),
      ...(medianStageMs ? { medianStageMs } : {}),
    };
  }

  const detailOf = (run: RunRecord, files: readonly FileRecord[], around: Awaited<ReturnType<typeof surroundings>>): RunDetail =>
    buildRunDetail({ run, files, ...around, aggregates: aggregatesOf(run.pipeline), now: deps.now() });

  return {
    async listPipelines() {
      const summaries = await Promise.all(deps.pipelines.map((p) => summaryOf(p.name)));
      return summaries.filter((s) => s !== undefined);
    },
    getPipeline: summaryOf,

    async listRuns(query) {
      const page = await listed(() => deps.runs.listRuns(toRunQuery(query)));
      return { runs: page.runs.map(toRunSummary), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },

    async getRun(runId) {
      const run = await deps.runs.getRun(runId);
      if (!run) return undefined;
      const [files, around] = await Promise.all([deps.runs.getFiles(runId), surroundings(run)]);
      return detailOf(run, files, around);
    },

    async getRunFiles(runId) {
      const [run, files] = await Promise.all([deps.runs.getRun(runId), deps.runs.getFiles(runId)]);
      if (!run) return undefined;
      return files.map(toFileView).sort((a, b) => a.name.localeCompare(b.name) || a.fileKey.localeCompare(b.fileKey));
    },

    // The run's detail from the two watches' latest snapshots (no read per change); lineage and
    // medians are read when the watch starts and again when the run's actions change (a rerun of it).
    watchRun(runId, onChange, onError) {
      let run: RunRecord | undefined | null = null; // null: no snapshot yet
      let files: FileRecord[] | null = null;
      let around: Awaited<ReturnType<typeof surroundings>> | undefined;
      let aroundFor = -1;
      let stopped = false;
      let pending = Promise.resolve();
      const send = () => {
        pending = pending.then(async () => {
          if (stopped || run === null || files === null) return;
          if (run === undefined) return onChange(undefined);
          const actions = run.actions?.length ?? 0;
          if (!around || aroundFor !== actions) {
            around = await surroundings(run);
            aroundFor = actions;
          }
          if (!stopped && run) onChange(detailOf(run, files, around));
        }).catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
      };
      const updates = throttled(send);
      const emit = () => updates.poke();
      const stopRun = deps.runs.watchRun(runId, (next) => { run = next; emit(); }, onError);
      const stopFiles = deps.runs.watchFiles(runId, (next) => { files = next; emit(); }, onError);
      return () => {
        stopped = true;
        updates.cancel();
        stopRun();
        stopFiles();
      };
    },

    watchRuns(query, onChange, onError) {
      let latest: RunRecord[] = [];
      const updates = throttled(() => onChange({ runs: latest.map((r): RunSummary => toRunSummary(r)) }));
      const stop = deps.runs.watchRuns(toRunQuery(query), (runs) => { latest = runs; updates.poke(); }, onError);
      return () => {
        updates.cancel();
        stop();
      };
    },
  };
}
