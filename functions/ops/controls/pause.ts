// Pause and resume a pipeline. The pause is recorded first (who, when: the pipeline state), so from
// that moment fetch records every scheduled or push trigger as a 'paused' run and fetches nothing;
// then the scheduler job is paused too (Cloud Scheduler's jobs.pause in the cloud), so it stops firing
// at all. Resume undoes both in the same order. Either is idempotent: repeating it changes nothing.
import { Cron } from 'croner';
import { errorMessage } from '../../../shared/errors';
import type { Pipeline } from '../../../shared/pipeline-definition';
import type { PipelineState } from '../../runtime/pipeline-state-store';
import type { Caller, PipelineSummary } from '../api-schemas';
import type { OpsDeps } from '../ops-deps';
import { OpsError } from '../ops-service';
import { pipelineOf } from './pipeline-of';
import { runSummaryOf } from './run-summary-of';

const LAST_RUNS = 5;
const NEXT_FIRE_TIMES = 3;

// The summary the controls answer with; the ops API's views build the same shape for their lists.
export async function pipelineSummaryOf(deps: OpsDeps, pipeline: Pipeline, state: PipelineState): Promise<PipelineSummary> {
  const { runs } = await deps.runs.listRuns({ pipeline: pipeline.name, limit: LAST_RUNS });
  const schedule = pipeline.schedule;
  return {
    name: pipeline.name,
    description: pipeline.description,
    source: pipeline.source.kind,
    ...(schedule ? {
      schedule: {
        cron: schedule.cron, timeZone: schedule.timeZone,
        nextFireTimes: new Cron(schedule.cron, { timezone: schedule.timeZone, mode: '5-part', paused: true }).nextRuns(NEXT_FIRE_TIMES, deps.now()).map((d) => d.toISOString()),
      },
    } : {}),
    paused: state.paused,
    ...(state.paused && state.pausedBy ? { pausedBy: state.pausedBy } : {}),
    ...(state.paused && state.pausedAt ? { pausedAt: state.pausedAt } : {}),
    lastRuns: runs.map(runSummaryOf),
  };
}

export async function setPipelinePaused(deps: OpsDeps, name: string, paused: boolean, caller: Caller): Promise<PipelineSummary> {
  const pipeline = pipelineOf(deps, name);
  const state = await deps.pipelineStates.setPaused(pipeline.name, paused, caller.principal);
  if (pipeline.schedule) {
    try {
      await (paused ? deps.schedules.pause(pipeline.name) : deps.schedules.resume(pipeline.name));
    } catch (error) {
      // The recorded state already holds (fetch honours it); the job's own state is what failed.
      const done = paused ? 'paused: its scheduled triggers are recorded as paused runs' : 'resumed';
      throw new OpsError('unavailable', `pipeline ${pipeline.name} is ${done}, but its scheduler job could not be ${paused ? 'paused' : 'resumed'} (${errorMessage(error)}); try again`);
    }
  }
  deps.logger.info(paused ? 'pipeline paused' : 'pipeline resumed', { pipeline: pipeline.name, actor: caller.principal });
  return pipelineSummaryOf(deps, pipeline, state);
}
