// How to retry a run from a shell, as the run page, the CLI and the alerts print it.
import type { RunRecord } from '../../runtime/run-record';

export function retryCommandOf(run: Pick<RunRecord, 'runId' | 'status' | 'counts'>): string {
  const failedFiles = (run.counts?.failed ?? 0) + (run.counts?.quarantined ?? 0) > 0;
  return failedFiles ? `npx sluice rerun ${run.runId} --failed` : `npx sluice rerun ${run.runId}`;
}
