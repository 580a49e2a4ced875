// Trigger a pipeline now: the run is recorded 'queued' with who asked (so it shows at once), then its
// trigger goes to the pipeline's fetch topic naming the run; fetch takes the queued run over
// (RunStore.startRun). A dry run lists what fetch would fetch and ends, claiming nothing. A manual
// trigger runs even while the pipeline is paused (a pause holds back the scheduler and pushes only).
import { errorMessage } from '../../../shared/errors';
import type { TriggerMessage } from '../../../shared/messages';
import { isValidDate } from '../../fetch/export-dates';
import type { QueuedRun } from '../../runtime/run-store';
import type { Caller, QueuedRunView, TriggerRequest } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError } from '../ops-service';
import { pipelineOf } from './pipeline-of';
import { publishToStage } from './publish-to-stage';
import { operatorRunId } from './run-ids';

// Queues `runId` and publishes its trigger; a publish that fails fails the queued run with the reason
// (it would otherwise stay queued for ever) and answers 'unavailable'.
export async function queueAndPublish(deps: OpsDeps, runId: string, run: QueuedRun, trigger: TriggerMessage): Promise<void> {
  if (!(await deps.runs.queueRun(runId, run))) throw new OpsError('conflict', `a run "${runId}" already exists; try again`);
  try {
    await publishToStage(deps, run.pipeline, 'fetch', trigger);
  } catch (error) {
    const reason = `the trigger could not be published to the fetch topic: ${errorMessage(error)}`;
    await deps.runs.failRun(runId, 'fetch', reason).catch((failError: unknown) => deps.logger.error('could not fail the queued run', { runId, error: errorMessage(failError) }));
    throw new OpsError('unavailable', reason);
  }
}

export async function triggerRun(deps: OpsDeps, request: TriggerRequest, caller: Caller): Promise<QueuedRunView> {
  const pipeline = pipelineOf(deps, request.pipeline);
  if (request.date !== undefined && !isValidDate(request.date)) throw new OpsError('invalid-request', `date ${request.date} is not a calendar date`);
  const runId = operatorRunId('manual', deps.now());
  const dryRun = request.dryRun === true;
  const trigger: TriggerMessage = {
    v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'manual', runId, actor: caller.principal,
    ...(request.date !== undefined ? { date: request.date } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  };
  await queueAndPublish(deps, runId, {
    pipeline: pipeline.name, trigger: 'manual', actor: caller.principal,
    ...(request.date !== undefined ? { logicalDate: request.date } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  }, trigger);
  deps.logger.info('run triggered', { pipeline: pipeline.name, runId, actor: caller.principal, date: request.date, dryRun });
  return { runId, pipeline: pipeline.name, status: 'queued' };
}
