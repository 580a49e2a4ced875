// A run record as the ops API's RunSummary (api-schemas.ts), for the controls' answers.
import type { RunSummary } from '../api-schemas';
import type { RunRecord } from '../../runtime/run-record';

export function runSummaryOf(run: RunRecord): RunSummary {
  const optional = <K extends keyof RunSummary>(key: K, value: RunSummary[K] | undefined) => (value !== undefined ? { [key]: value } : {});
  return {
    runId: run.runId,
    pipeline: run.pipeline,
    status: run.status,
    trigger: run.trigger,
    startedAt: run.startedAt ?? run.createdAt,
    counts: { ...run.counts },
    updatedAt: run.updatedAt,
    ...optional('actor', run.actor),
    ...optional('logicalDate', run.logicalDate),
    ...optional('finishedAt', run.finishedAt),
    ...optional('durationMs', run.durationMs),
    ...optional('failedStage', run.failedStage),
    ...optional('errorSummary', run.errorSummary),
    ...optional('rows', run.rows),
    ...optional('parentRunId', run.parentRunId),
  };
}
