// A run's line in the runs list, from its record's list fields alone (run-record.ts): the list
// never reads file records, so a page costs one indexed query whatever the runs hold.
import type { RunRecord } from '../../runtime/run-record';
import type { RunSummary } from '../api-schemas';

// Firestore gives Timestamps where a writer stored Dates; the wire has ISO strings.
export function isoOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  const toDate = (value as { toDate?: () => Date }).toDate;
  if (typeof toDate === 'function') return toDate.call(value).toISOString();
  return undefined;
}

export function toRunSummary(run: RunRecord): RunSummary {
  const counts: Record<string, number> = {};
  for (const [outcome, n] of Object.entries(run.counts ?? {})) if (typeof n === 'number' && n > 0) counts[outcome] = n;
  const startedAt = isoOf(run.startedAt) ?? isoOf(run.createdAt) ?? '';
  const finishedAt = isoOf(run.finishedAt);
  return {
    runId: run.runId,
    pipeline: run.pipeline,
    status: run.status,
    trigger: run.trigger,
    ...(run.actor ? { actor: run.actor } : {}),
    ...(run.logicalDate ? { logicalDate: run.logicalDate } : {}),
    startedAt,
    ...(finishedAt ? { finishedAt } : {}),
    ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : finishedAt && startedAt ? { durationMs: Date.parse(finishedAt) - Date.parse(startedAt) } : {}),
    ...(run.failedStage ? { failedStage: run.failedStage } : run.error?.stage ? { failedStage: run.error.stage } : {}),
    ...(run.errorSummary ? { errorSummary: run.errorSummary } : run.error?.message ? { errorSummary: oneLine(run.error.message) } : {}),
    ...(run.rows !== undefined ? { rows: run.rows } : {}),
    counts,
    ...(run.parentRunId ? { parentRunId: run.parentRunId } : {}),
    updatedAt: isoOf(run.updatedAt) ?? startedAt,
  };
}

// The first line, at most 200 characters (as RunStore writes errorSummary).
export function oneLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
