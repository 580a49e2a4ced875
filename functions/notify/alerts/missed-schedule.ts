// The missed-schedule alert: a schedule fire time with no run started within
// `alerts.missedScheduleMinutes` of it. Judged by the watchdog sweep for the fire times that have just
// become judgeable (older than the grace, within a lookback of a few sweeps), so no fire time is
// judged before its run had its chance, and a sweep delivered twice finds each fire time already
// claimed (PipelineStateStore.claimScheduleCheck: one verdict, one alert per fire time).
// A run of any status counts as started, a 'paused' one too: a trigger that arrived while the
// pipeline was paused is recorded, visibly, as skipped, and that is not a miss. Nor is a fire time at
// which the pipeline was paused (in the cloud its scheduler job is paused too, so no trigger comes).
import { Cron } from 'croner';
import type { Pipeline } from '../../../shared/pipeline-definition';
import { addDays, calendarDateIn } from '../../fetch/export-dates';
import type { PipelineState } from '../../runtime/pipeline-state-store';
import type { RunStore } from '../../runtime/run-store';
import { pipelineLink, retryHints, type Alert } from './alert';

// At most this many fire times per sweep (a `* * * * *` schedule must not turn a sweep into a scan).
const MAX_FIRE_TIMES = 12;
// A scheduler firing a little early, or a clock a little ahead, still counts as on time.
const EARLY_SLACK_MS = 60_000;

export interface MissedScheduleWindow {
  // How long after a fire time a run must have started.
  graceMinutes: number;
  // How far before (now − grace) fire times are still judged: a few watchdog intervals, so a sweep
  // that did not run judges them next time, but a new deployment does not judge the days before it.
  lookbackMinutes: number;
}

// Fire times old enough to judge and young enough to still matter, oldest first.
export function fireTimesToJudge(schedule: NonNullable<Pipeline['schedule']>, now: Date, window: MissedScheduleWindow): Date[] {
  const newest = new Date(now.getTime() - window.graceMinutes * 60_000);
  const oldest = newest.getTime() - window.lookbackMinutes * 60_000;
  const cron = new Cron(schedule.cron, { timezone: schedule.timeZone, mode: '5-part', paused: true });
  // previousRuns is strictly before its reference, to the second: one second on, a fire time exactly
  // at the edge is in (fire times are whole minutes).
  return cron.previousRuns(MAX_FIRE_TIMES, new Date(newest.getTime() + 1000))
    .filter((fire) => fire.getTime() <= newest.getTime())
    .filter((fire) => fire.getTime() > oldest)
    .reverse();
}

// The watchdog interval, from its cron: how often a sweep comes.
export function sweepIntervalMinutes(watchdogCron: string, now: Date): number {
  const [a, b] = new Cron(watchdogCron, { mode: '5-part', paused: true }).nextRuns(2, now);
  return a && b ? Math.max(1, Math.round((b.getTime() - a.getTime()) / 60_000)) : 10;
}

// Paused at the fire time: paused now (since before it), or resumed only after it.
export function pausedAt(state: PipelineState, fire: Date): boolean {
  if (state.paused) return !state.pausedAt || Date.parse(state.pausedAt) <= fire.getTime() + EARLY_SLACK_MS;
  return state.resumedAt !== undefined && state.pausedAt !== undefined && Date.parse(state.pausedAt) <= fire.getTime() && Date.parse(state.resumedAt) > fire.getTime();
}

// Whether any run of the pipeline started between just before the fire time and the end of its grace.
export async function runStartedFor(runs: Pick<RunStore, 'listRuns'>, pipeline: string, fire: Date, graceMinutes: number): Promise<boolean> {
  const page = await runs.listRuns({
    pipeline,
    since: new Date(fire.getTime() - EARLY_SLACK_MS).toISOString(),
    until: new Date(fire.getTime() + graceMinutes * 60_000).toISOString(),
    limit: 1,
  });
  return page.runs.length > 0;
}

// The export date the missed run would have fetched: the fire time's day in the schedule's zone, plus
// the source's offset when it declares one (SFTP's dateOffsetDays), as fetch computes it.
export function missedRunDate(pipeline: Pipeline, fire: Date): string {
  const offset = (pipeline.source as { dateOffsetDays?: unknown }).dateOffsetDays;
  const day = calendarDateIn(pipeline.schedule?.timeZone ?? 'UTC', fire);
  return typeof offset === 'number' ? addDays(day, offset) : day;
}

export function missedScheduleAlertOf(input: { pipeline: Pipeline; fire: Date; graceMinutes: number; dashboardUrl?: string }): Alert {
  const { pipeline, fire } = input;
  const date = missedRunDate(pipeline, fire);
  const link = pipelineLink(input.dashboardUrl, pipeline.name);
  return {
    kind: 'missed-schedule',
    pipeline: pipeline.name,
    title: `${pipeline.name} missed its scheduled run of ${fire.toISOString()}`,
    summary: `No run of ${pipeline.name} started within ${input.graceMinutes} min of its schedule's fire time ${fire.toISOString()} (cron "${pipeline.schedule?.cron}", ${pipeline.schedule?.timeZone}). The scheduler job may be paused or deleted, or its trigger was lost before fetch recorded a run.`,
    ...(link ? { link } : {}),
    hint: retryHints.trigger(pipeline.name, date),
  };
}

export const missedScheduleMessageId = (pipeline: string, fire: Date) => `<${pipeline}.${fire.toISOString().replace(/[^0-9TZ]/g, '')}.missed-schedule@sluice>`;
