// The alerts about one run: it failed as a whole, it ended partial or failed, it has been running
// longer than the pipeline allows. Pure: built from the run as notify or the watchdog read it.
import type { RunRecord } from '../../runtime/run-record';
import { pipelineLink, retryHints, runLink, type Alert } from './alert';

// A failure before any file was fetched leaves nothing for `--failed` to pick: the whole run again.
const rerunHint = (runId: string, stage: string) =>
  stage === 'fetch' ? { command: `npx sluice rerun ${runId}`, does: 'runs the whole run again (nothing was fetched)' } : retryHints.rerunFailed(runId);

export function failureAlertOf(input: { pipeline: string; runId: string; stage: string; error: string; runDate?: string; dashboardUrl?: string }): Alert {
  const link = runLink(input.dashboardUrl, input.runId);
  return {
    kind: 'run-failed',
    pipeline: input.pipeline,
    runId: input.runId,
    title: `${input.pipeline} run ${input.runId} failed in ${input.stage}${input.runDate ? `, ${input.runDate}` : ''}`,
    summary: `The run failed in stage ${input.stage}: ${input.error}`,
    ...(link ? { link } : {}),
    hint: rerunHint(input.runId, input.stage),
  };
}

export function endedRunAlertOf(input: { run: RunRecord; runDate: string; badFiles: number; dashboardUrl?: string }): Alert {
  const { run } = input;
  const link = runLink(input.dashboardUrl, run.runId);
  const why = run.errorSummary ?? (run.error ? `failed in ${run.error.stage}: ${run.error.message}` : `${input.badFiles} file(s) did not load`);
  return {
    kind: run.status === 'failed' ? 'run-failed' : 'run-partial',
    pipeline: run.pipeline,
    runId: run.runId,
    title: `${run.pipeline} run ${run.runId} ${run.status}, ${input.runDate}`,
    summary: `The run ended ${run.status}: ${why}`,
    ...(link ? { link } : {}),
    hint: run.error?.stage === 'fetch' ? rerunHint(run.runId, 'fetch') : retryHints.rerunFailed(run.runId),
  };
}

// When the run began: the list field, or its record's creation for runs written before it existed.
export function runStartOf(run: Pick<RunRecord, 'startedAt' | 'createdAt'>): string {
  return run.startedAt ?? run.createdAt;
}

// Still going `limitMinutes` after it started. Only for runs that can still move (the sweep reads
// running ones; a run asked to cancel counts too, it has not ended).
export function isLongRunning(run: Pick<RunRecord, 'startedAt' | 'createdAt' | 'status'>, limitMinutes: number, now: Date): boolean {
  if (run.status !== 'running' && run.status !== 'cancelling') return false;
  const started = Date.parse(runStartOf(run));
  return Number.isFinite(started) && now.getTime() - started > limitMinutes * 60_000;
}

export function longRunningAlertOf(input: { run: RunRecord; limitMinutes: number; now: Date; waitingOn?: string; dashboardUrl?: string }): Alert {
  const { run } = input;
  const minutes = Math.floor((input.now.getTime() - Date.parse(runStartOf(run))) / 60_000);
  const link = runLink(input.dashboardUrl, run.runId);
  return {
    kind: 'long-running',
    pipeline: run.pipeline,
    runId: run.runId,
    title: `${run.pipeline} run ${run.runId} has been running for ${minutes} min`,
    summary: `The run started at ${runStartOf(run)} and is still ${run.status} after ${minutes} min (alerts.longRunningMinutes is ${input.limitMinutes})${input.waitingOn ? `; ${input.waitingOn}` : ''}. It is not failed: the watchdog fails it only once it stops making progress.`,
    ...(link ? { link } : {}),
    hint: retryHints.cancel(run.runId),
  };
}

// Destination deliveries that failed for good (a Drive upload refused, a folder gone): one alert per
// run, naming each. Nothing to rerun: the run's data is loaded; the fix is the destination's.
export function destinationsAlertOf(input: { pipeline: string; runId: string; runDate?: string; failures: ReadonlyArray<{ destination: string; what: string; error: string }>; dashboardUrl?: string }): Alert {
  const link = runLink(input.dashboardUrl, input.runId);
  const n = input.failures.length;
  return {
    kind: 'destinations-failed',
    pipeline: input.pipeline,
    runId: input.runId,
    title: `${input.pipeline} run ${input.runId}: ${n} destination deliver${n === 1 ? 'y' : 'ies'} failed${input.runDate ? `, ${input.runDate}` : ''}`,
    summary: input.failures.map((f) => `${f.what}: ${f.error}`).join('; '),
    ...(link ? { link } : {}),
    hint: { command: `npx sluice runs get ${input.runId}`, does: 'shows the run, with each delivery and its error' },
  };
}

// A report mailed with queries that failed (shown as failed in it): the fix is the query's.
export function reportQueryAlertOf(input: { pipeline: string; runId: string; reportName: string; failures: ReadonlyArray<{ title: string; error: string }>; dashboardUrl?: string }): Alert {
  const link = runLink(input.dashboardUrl, input.runId);
  return {
    kind: 'report-query-failed',
    pipeline: input.pipeline,
    runId: input.runId,
    title: `${input.pipeline} run ${input.runId}: report '${input.reportName}': ${input.failures.length} query(ies) failed`,
    summary: `${input.failures.map((f) => `${f.title}: ${f.error}`).join('; ')}. Fix the query in the pipeline definition (reports → queries); it runs again with the next run.`,
    ...(link ? { link } : {}),
    hint: { command: `npx sluice runs get ${input.runId}`, does: 'shows the run and what its notify stage sent' },
  };
}

// A stage gave up on a message that belongs to no recorded run (so no run to fail or rerun): the
// dead letter is kept, and the command lists it.
export function orphanDeadLetterAlertOf(input: { pipeline: string; stage: string; error: string; detail: Record<string, unknown>; dashboardUrl?: string }): Alert {
  const link = pipelineLink(input.dashboardUrl, input.pipeline);
  const detail = Object.entries(input.detail).map(([key, value]) => `${key} ${String(value)}`).join(', ');
  return {
    kind: 'dead-letter',
    pipeline: input.pipeline,
    title: `${input.pipeline}: a ${input.stage} message was given up`,
    summary: `Stage ${input.stage} gave up on a message that belongs to no recorded run: ${input.error}${detail ? ` (${detail})` : ''}`,
    ...(link ? { link } : {}),
    hint: { command: `npx sluice dlq list --pipeline ${input.pipeline} --stage ${input.stage}`, does: 'lists the kept dead letters, to replay or purge' },
  };
}
