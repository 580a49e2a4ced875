// The pipeline's recent median time per stage (ms), which the run page draws its timeline against.
// From the stage views of its last few ended runs; cached per pipeline for a few minutes so a run
// page costs one read of those runs' files per pipeline and period, not per view.
import type { RunStore } from '../../runtime/run-store';
import { stageViews } from './stage-views';

export const MEDIAN_RUNS = 10;
export const MEDIAN_TTL_MS = 5 * 60_000;
// A run with more files than this is left out: its file records cost too much to read for a median.
const MAX_FILES = 1000;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

export function createStageMedians(runs: RunStore, options: { aggregatesOf: (pipeline: string) => boolean; now: () => Date }) {
  const cache = new Map<string, { at: number; value: Promise<Record<string, number>> }>();

  async function compute(pipeline: string): Promise<Record<string, number>> {
    const page = await runs.listRuns({ pipeline, status: ['succeeded', 'partial', 'failed'], limit: MEDIAN_RUNS });
    const perStage = new Map<string, number[]>();
    for (const run of page.runs) {
      if ((run.expectedFiles ?? 0) + (run.addedFiles ?? 0) > MAX_FILES) continue;
      const files = await runs.getFiles(run.runId);
      for (const view of stageViews(run, files, { aggregates: options.aggregatesOf(pipeline), now: options.now() })) {
        if (view.runningMs === undefined || view.endedAt === undefined) continue;
        const list = perStage.get(view.stage) ?? [];
        list.push(view.runningMs);
        perStage.set(view.stage, list);
      }
    }
    const medians: Record<string, number> = {};
    for (const [stage, values] of perStage) {
      const m = median(values);
      if (m !== undefined) medians[stage] = m;
    }
    return medians;
  }

  return {
    async of(pipeline: string): Promise<Record<string, number>> {
      const now = options.now().getTime();
      const hit = cache.get(pipeline);
      if (hit && now - hit.at < MEDIAN_TTL_MS) return hit.value;
      const value = compute(pipeline);
      cache.set(pipeline, { at: now, value });
      // A failed read is not cached: the next view tries again.
      value.catch(() => cache.delete(pipeline));
      return value;
    },
  };
}
