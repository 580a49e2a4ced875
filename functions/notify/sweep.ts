// sluice.sweep (the pipeline's watchdog schedule): fail every run of the pipeline that stopped making
// progress, naming what was last seen, so no run stays `running` in silence; and announce again the end
// of runs whose notification never finished (its sender died holding a mail's claim). A run is stalled when
// nothing on it moved for longer than the stages it waits on can legitimately take (stall-limit.ts):
// by then every message that could still move it has been dead-lettered (and handled) or was lost.
// Failing the run publishes run-failed once; notify then alerts once (deliver-once.ts). A sweep
// delivered twice finds the run failed and does nothing more. The sweep also raises the watchdog's
// alerts (alerts/sweep-alerts.ts): a run going longer than alerts.longRunningMinutes, and a schedule
// fire time no run started for. Every read goes through the RunStore and the PipelineStateStore.
import { parseMessage, sweepMessageSchema } from '../../shared/messages';
import { stallLimitsOf } from '../../shared/stall-limit';
import { STAGE_NAMES, type StageName } from '../../shared/stage-declaration';
import type { IncomingMessage, StageContext } from '../runtime/context';
import { createFirestorePipelineStateStore } from '../runtime/firestore-pipeline-state-store';
import type { PipelineStateStore } from '../runtime/pipeline-state-store';
import { filesToEnd, type FileRecord, type RunRecord, type StageTiming } from '../runtime/run-record';
import type { RunStore } from '../runtime/run-store';
import { stageList } from '../stages';
import { alertLongRunning, alertMissedSchedules } from './alerts/sweep-alerts';
import { deliveryLeaseMs } from './deliver-once';

// How many running runs one sweep looks at; the next sweep takes the rest.
const SWEEP_BATCH = 200;
const FILE_STAGES: StageName[] = ['transform', 'load', 'aggregate'];

export interface Waiting {
  stage: StageName;
  file?: string;
  attempt: number;
  at?: string;
}

export interface StallVerdict {
  stalled: boolean;
  lastProgressAt: string;
  limitSeconds: number;
  waitingOn: Waiting[];
  // The most recent thing seen moving, for the alert.
  lastSeen: Waiting;
}

const latest = (...times: Array<string | undefined>): string | undefined =>
  times.filter((t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t))).sort().at(-1);

const timingTimes = (t: StageTiming | undefined) => [t?.startedAt, t?.endedAt];

// Which stage a pending file waits on: the last one it started, or the one after a stage it finished.
function waitingOf(file: FileRecord): Waiting {
  const started = FILE_STAGES.filter((s) => file.stages?.[s]?.startedAt);
  const current = started.at(-1);
  if (!current) return { stage: 'transform', file: file.name, attempt: 0 };
  const timing = file.stages[current]!;
  if (timing.endedAt) {
    const next = FILE_STAGES[FILE_STAGES.indexOf(current) + 1] ?? current;
    return { stage: next, file: file.name, attempt: file.stages[next]?.attempts ?? 0, at: timing.endedAt };
  }
  return { stage: current, file: file.name, attempt: timing.attempts ?? 1, ...(timing.startedAt ? { at: timing.startedAt } : {}) };
}

// Pure: whether a running run is stalled at `now`, and what it waits on.
export function judgeRun(run: RunRecord, files: FileRecord[], limits: Record<StageName, number>, now: Date): StallVerdict {
  const waitingOn: Waiting[] = [];
  if (run.expectedFiles === null || run.expectedFiles === undefined) {
    const fetch = run.stages?.fetch;
    waitingOn.push({ stage: 'fetch', attempt: fetch?.attempts ?? 0, ...(fetch?.startedAt ? { at: fetch.startedAt } : {}) });
  }
  const pending = files.filter((f) => !f.status || f.status === 'pending');
  for (const file of pending) waitingOn.push(waitingOf(file));
  // Files fetch counted that no later stage ever recorded (their storage notification never came).
  const unrecorded = (filesToEnd(run) ?? 0) - (run.endedFiles ?? 0) - pending.length;
  if (unrecorded > 0) waitingOn.push({ stage: 'transform', file: `${unrecorded} file(s) never seen after fetch`, attempt: 0 });
  if (waitingOn.length === 0) waitingOn.push({ stage: 'notify', attempt: 0 });

  const lastProgressAt = latest(
    run.createdAt, run.updatedAt, ...timingTimes(run.stages?.fetch),
    ...files.flatMap((f) => [f.endedAt, ...STAGE_NAMES.flatMap((s) => timingTimes(f.stages?.[s]))]),
  ) ?? now.toISOString();
  const limitSeconds = Math.max(...waitingOn.map((w) => limits[w.stage]));
  const lastSeen = [...waitingOn].sort((a, b) => (a.at ?? '').localeCompare(b.at ?? '')).at(-1)!;
  const stalled = now.getTime() - Date.parse(lastProgressAt) > limitSeconds * 1000;
  return { stalled, lastProgressAt, limitSeconds, waitingOn, lastSeen };
}

export function describeStall(verdict: StallVerdict, now: Date): string {
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  const seen = verdict.lastSeen;
  const what = `${seen.stage}${seen.file ? ` on ${seen.file}` : ''}${seen.attempt ? `, attempt ${seen.attempt}` : ''}${seen.at ? ` at ${seen.at}` : ''}`;
  const others = verdict.waitingOn.length > 1 ? `; ${verdict.waitingOn.length} item(s) unfinished` : '';
  return `stalled: no progress for ${minutes(now.getTime() - Date.parse(verdict.lastProgressAt))} (limit ${minutes(verdict.limitSeconds * 1000)}); last seen: ${what}${others}`;
}

export interface SweepOptions {
  now?: () => Date;
  // The stores the sweep reads: by default the context's RunStore and Firestore's pipeline state.
  runs?: Pick<RunStore, 'runningRuns' | 'notifyPendingRuns' | 'getFiles' | 'listRuns'>;
  pipelineState?: PipelineStateStore;
}

export interface SweepResult {
  failed: string[];
  redriven: string[];
  // Runs alerted as running past alerts.longRunningMinutes, and schedule fire times alerted as missed.
  longRunning: string[];
  missedSchedules: string[];
}

export async function handleSweep(ctx: StageContext, message: IncomingMessage, options: SweepOptions = {}): Promise<SweepResult> {
  const sweep = parseMessage(sweepMessageSchema, JSON.parse(message.data.toString('utf8')), 'sweep');
  const now = (options.now ?? (() => new Date()))();
  const runs = options.runs ?? ctx.runs;
  const pipelineState = options.pipelineState ?? createFirestorePipelineStateStore(ctx.firestore);
  const limits = stallLimitsOf(stageList, ctx.pipeline.watchdog.stalledAfterMinutes);
  const running = await runs.runningRuns(sweep.pipeline, SWEEP_BATCH);
  const failed: string[] = [];
  const alive: RunRecord[] = [];
  const verdicts = new Map<string, StallVerdict>();
  for (const run of running) {
    const verdict = judgeRun(run, await runs.getFiles(run.runId), limits, now);
    verdicts.set(run.runId, verdict);
    if (!verdict.stalled) {
      alive.push(run);
      continue;
    }
    const reason = describeStall(verdict, now);
    ctx.logger.error('stalled run failed by the watchdog', { runId: run.runId, reason, waitingOn: verdict.waitingOn.length });
    await ctx.failRun(run.runId, reason, verdict.lastSeen.stage);
    failed.push(run.runId);
  }
  const redriven = await redriveNotifications(ctx, runs, sweep.pipeline, now);
  // A stalled run was just failed and alerted as such; only the ones still moving can be long-running.
  const longRunning = await alertLongRunning(ctx, alive, now, (run) => {
    const seen = verdicts.get(run.runId)?.lastSeen;
    return seen ? `waiting on ${seen.stage}${seen.file ? ` (${seen.file})` : ''}` : undefined;
  });
  const missedSchedules = await alertMissedSchedules(ctx, { runs, pipelineState }, now);
  ctx.logger.info('watchdog sweep done', { running: running.length, failed: failed.length, redriven: redriven.length, longRunning: longRunning.length, missedSchedules: missedSchedules.length });
  return { failed, redriven, longRunning, missedSchedules };
}

// Runs that ended but whose notification never finished (notifyPending): once a dead sender's claim has
// expired, the run's end is announced to notify again; deliver-once.ts skips what already went out.
async function redriveNotifications(ctx: StageContext, runs: Pick<RunStore, 'notifyPendingRuns'>, pipeline: string, now: Date): Promise<string[]> {
  const leaseMs = deliveryLeaseMs(ctx.stage.timeoutSeconds);
  const redriven: string[] = [];
  for (const run of await runs.notifyPendingRuns(pipeline, SWEEP_BATCH)) {
    const endedAt = Date.parse(run.completedAt ?? run.finishedAt ?? run.updatedAt);
    if (!(now.getTime() - endedAt > leaseMs)) continue;
    ctx.logger.warn('run ended without its notification finishing; announcing its end again', { runId: run.runId, status: run.status, endedAt: run.completedAt });
    await ctx.publish('notify', run.error
      ? { v: 1, type: 'sluice.run-failed', pipeline, runId: run.runId, stage: run.error.stage, error: run.error.message }
      : { v: 1, type: 'sluice.run-complete', pipeline, runId: run.runId });
    redriven.push(run.runId);
  }
  return redriven;
}
