// The run views over an in-memory RunStore and PipelineStateStore: the runs list from list fields
// only (no file read), a run page with its error first, stage times, lineage and retry command, the
// pipelines page with next fire times in the schedule's zone and the pause state.
import { describe, expect, it } from 'vitest';
import { emptyCounts, type FileRecord, type RunRecord } from '../../../functions/runtime/run-record';
import type { RunQuery, RunStore } from '../../../functions/runtime/run-store';
import type { PipelineState, PipelineStateStore } from '../../../functions/runtime/pipeline-state-store';
import { createRunViews } from '../../../functions/ops/views/create-run-views';
import { nextFireTimes } from '../../../functions/ops/views/pipeline-summary';
import { restaurantPos } from '../../../pipelines/restaurant-pos';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function run(runId: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId, pipeline: 'restaurant-pos', trigger: 'schedule', messageId: 'm', dates: ['2026-11-30'], status: 'running',
    createdAt: at(0), startedAt: at(0), updatedAt: at(0), expectedFiles: 2, endedFiles: 0, counts: emptyCounts(), stages: {}, ...extra,
  };
}

function memoryStore(runs: RunRecord[], files: Record<string, FileRecord[]>) {
  const reads = { files: 0 };
  const store = {
    async getRun(id: string) { return runs.find((r) => r.runId === id); },
    async getFiles(id: string) { reads.files++; return files[id] ?? []; },
    async listRuns(q: RunQuery) {
      const matching = runs
        .filter((r) => (!q.pipeline || r.pipeline === q.pipeline) && (!q.status || q.status.includes(r.status)) && (!q.parentRunId || r.parentRunId === q.parentRunId))
        .sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
      return { runs: matching.slice(0, q.limit ?? 50) };
    },
  } as unknown as RunStore;
  return { store, reads };
}

const states = (paused: Record<string, PipelineState> = {}): PipelineStateStore => ({
  async get(pipeline) { return paused[pipeline] ?? { pipeline, paused: false }; },
  async setPaused() { throw new Error('not in this test'); },
  async claimScheduleCheck() { return true; },
});

describe('run views', () => {
  it('lists runs from their list fields, without reading a file record', async () => {
    const { store, reads } = memoryStore([run('r1', { status: 'failed', failedStage: 'load', errorSummary: 'boom', durationMs: 5000, rows: 10 }), run('r2', { startedAt: at(60) })], {});
    const views = createRunViews({ pipelines: [restaurantPos], runs: store, pipelineStates: states(), now: () => new Date(T0) });
    const page = await views.listRuns({ limit: 50, status: undefined });
    expect(page.runs.map((r) => r.runId)).toEqual(['r2', 'r1']);
    expect(page.runs[1]).toMatchObject({ status: 'failed', failedStage: 'load', errorSummary: 'boom', durationMs: 5000, rows: 10 });
    expect(reads.files).toBe(0);
  });

  it('puts the first failed file\'s error first, with stage, file, row and attempt', async () => {
    const parent = run('p1', { status: 'failed' });
    const child = run('c1', { parentRunId: 'p1', trigger: 'retry' });
    const failed = run('r1', {
      status: 'failed', parentRunId: 'p1', finishedAt: at(30), endedFiles: 2, counts: { ...emptyCounts(), loaded: 1, failed: 1 },
      stages: { fetch: { attempts: 1, startedAt: at(1), endedAt: at(3) } },
    });
    child.parentRunId = 'r1';
    const files: FileRecord[] = [
      { fileKey: 'a', name: '20261130/OrderDetails.csv', status: 'loaded', rows: 7, stages: { fetch: { attempts: 1, startedAt: at(2), endedAt: at(3) }, transform: { attempts: 1, startedAt: at(5), endedAt: at(8) }, load: { attempts: 1, startedAt: at(9), endedAt: at(12), rows: 7 } }, endedAt: at(12) },
      { fileKey: 'b', name: '20261130/Payments.csv', status: 'failed', stages: { fetch: { attempts: 1, startedAt: at(2), endedAt: at(3) }, transform: { attempts: 1, startedAt: at(5), endedAt: at(9) }, load: { attempts: 3, startedAt: at(10) } }, error: { stage: 'load', message: 'value too long', row: 42 }, endedAt: at(20) },
    ];
    const { store } = memoryStore([parent, failed, child], { r1: files });
    const views = createRunViews({ pipelines: [restaurantPos], runs: store, pipelineStates: states(), now: () => new Date(T0 + 60_000) });
    const detail = await views.getRun('r1');
    expect(detail?.error).toEqual({ stage: 'load', message: 'value too long', file: '20261130/Payments.csv', row: 42, attempt: 3 });
    expect(detail?.parent?.runId).toBe('p1');
    expect(detail?.children.map((c) => c.runId)).toEqual(['c1']);
    expect(detail?.retryCommand).toBe('npx sluice rerun r1 --failed');
    const load = detail?.stages.find((s) => s.stage === 'load');
    expect(load).toMatchObject({ status: 'failed', files: { total: 2, running: 0, done: 1, failed: 1 }, attempts: 4, rows: 7, startedAt: at(9), endedAt: at(20) });
    const transform = detail?.stages.find((s) => s.stage === 'transform');
    // Transform could start once the first file was fetched (3 s) and started at 5 s.
    expect(transform).toMatchObject({ status: 'done', queuedMs: 2000, runningMs: 4000 });
    expect(detail?.stages.map((s) => s.stage)).toEqual(['fetch', 'transform', 'load', 'aggregate', 'notify']);
    expect(detail?.files.find((f) => f.fileKey === 'b')).toMatchObject({ status: 'failed', stage: 'load', reason: 'value too long', row: 42, attempts: { fetch: 1, transform: 1, load: 3 } });
  });

  it('prefers the run\'s own error, and answers undefined for a run that is not there', async () => {
    const { store } = memoryStore([run('r1', { status: 'failed', error: { stage: 'fetch', message: 'SFTP refused us' }, stages: { fetch: { attempts: 5 } } })], {});
    const views = createRunViews({ pipelines: [restaurantPos], runs: store, pipelineStates: states(), now: () => new Date(T0) });
    expect((await views.getRun('r1'))?.error).toEqual({ stage: 'fetch', message: 'SFTP refused us', attempt: 5 });
    expect(await views.getRun('nope')).toBeUndefined();
    expect(await views.getRunFiles('nope')).toBeUndefined();
  });

  it('shows pipelines with next fire times in the schedule\'s zone and the pause state', async () => {
    const { store } = memoryStore([run('r1')], {});
    const views = createRunViews({
      pipelines: [restaurantPos],
      runs: store,
      pipelineStates: states({ 'restaurant-pos': { pipeline: 'restaurant-pos', paused: true, pausedBy: 'user:ana@example.com', pausedAt: at(0) } }),
      now: () => new Date(T0),
    });
    const [summary] = await views.listPipelines();
    // 06:00 in New York is 11:00 UTC in December (EST).
    expect(summary?.schedule?.nextFireTimes[0]).toBe('2026-12-01T11:00:00.000Z');
    expect(summary?.schedule?.nextFireTimes).toHaveLength(5);
    expect(summary).toMatchObject({ name: 'restaurant-pos', source: 'sftp', paused: true, pausedBy: 'user:ana@example.com' });
    expect(summary?.lastRuns.map((r) => r.runId)).toEqual(['r1']);
    expect(await views.getPipeline('nope')).toBeUndefined();
  });

  it('takes daylight saving time into account', () => {
    // New York moves to EDT on 2027-03-14: 06:00 is then 10:00 UTC.
    expect(nextFireTimes('0 6 * * *', 'America/New_York', new Date('2027-03-13T12:00:00Z'), 2)).toEqual(['2027-03-14T10:00:00.000Z', '2027-03-15T10:00:00.000Z']);
  });
});
