// A pipeline's line on the pipelines page: its declaration (schedule with the next fire times in
// the schedule's zone, as Cloud Scheduler reads the cron), its pause state and its last runs.
import { Cron } from 'croner';
import type { Pipeline } from '../../../shared/pipeline-definition';
import type { PipelineState } from '../../runtime/pipeline-state-store';
import type { PipelineSummary, RunSummary } from '../api-schemas';

export const NEXT_FIRE_TIMES = 5;

export function nextFireTimes(cron: string, timeZone: string, from: Date, count = NEXT_FIRE_TIMES): string[] {
  const job = new Cron(cron, { timezone: timeZone, mode: '5-part', paused: true });
  try {
    return job.nextRuns(count, from).map((d) => d.toISOString());
  } finally {
    job.stop();
  }
}

export function toPipelineSummary(pipeline: Pipeline, state: PipelineState, lastRuns: RunSummary[], now: Date): PipelineSummary {
  return {
    name: pipeline.name,
    description: pipeline.description,
    source: pipeline.source.kind,
    ...(pipeline.schedule
      ? { schedule: { cron: pipeline.schedule.cron, timeZone: pipeline.schedule.timeZone, nextFireTimes: nextFireTimes(pipeline.schedule.cron, pipeline.schedule.timeZone, now) } }
      : {}),
    paused: state.paused,
    ...(state.paused && state.pausedBy ? { pausedBy: state.pausedBy } : {}),
    ...(state.paused && state.pausedAt ? { pausedAt: state.pausedAt } : {}),
    lastRuns,
  };
}
