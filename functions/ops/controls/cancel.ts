// Cancel a run cooperatively: the run store marks it 'cancelling' (or 'cancelled' at once when no file
// is in flight). Each stage, before it starts a file's next step, sees that and ends the file
// 'cancelled' (functions/runtime/stage-cancellation.ts); the step in progress finishes its file. The
// run ends 'cancelled' when its last file ends, and notify sends one notice.
import { isTerminal } from '../../runtime/run-record';
import type { Caller, RunSummary } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError } from '../ops-service';
import { announceRunComplete } from './publish-to-stage';
import { runSummaryOf } from './run-summary-of';

export async function cancelRun(deps: OpsDeps, runId: string, caller: Caller): Promise<RunSummary> {
  const run = await deps.runs.getRun(runId);
  if (!run) throw new OpsError('not-found', `no run "${runId}"`);
  if (isTerminal(run.status)) throw new OpsError('conflict', `run ${runId} already ended (${run.status}); only a queued or running run can be cancelled`);
  if (run.status === 'cancelling') return runSummaryOf(run);
  const updated = await deps.runs.requestCancel(runId, caller.principal);
  if (!updated) throw new OpsError('not-found', `no run "${runId}"`);
  // Ended at once (nothing in flight: queued, or fetch not begun): no stage will announce its end.
  if (updated.status === 'cancelled') await announceRunComplete(deps, updated.pipeline, runId);
  deps.logger.info('run cancel requested', { runId, pipeline: run.pipeline, actor: caller.principal, status: updated.status });
  return runSummaryOf(updated);
}
