// The watchdog's two alerts (sweep.ts calls them each sweep): runs going longer than
// alerts.longRunningMinutes, once per run (deliver-once key `long-running-alert`, on the run record);
// schedule fire times with no run, once per fire time (PipelineStateStore.claimScheduleCheck).
import { errorMessage } from '../../../shared/errors';
import type { StageContext } from '../../runtime/context';
import type { PipelineStateStore } from '../../runtime/pipeline-state-store';
import type { RunRecord } from '../../runtime/run-record';
import type { RunStore } from '../../runtime/run-store';
import { deliveryLeaseMs, wasDelivered } from '../deliver-once';
import { deliverAll } from '../destinations/deliver-all';
import { LONG_RUNNING_ALERT_KEY, longRunningAlertDelivery } from '../destinations/mail/alert-mail';
import { smtpUrlOf } from '../destinations/mail/mail-delivery';
import { renderAlertMail } from '../render-alert';
import { sendMail } from '../send-mail';
import { alertGroups, postAlertWebhook, webhookUrlOf } from './alert-deliveries';
import { fireTimesToJudge, missedScheduleAlertOf, missedScheduleMessageId, pausedAt, runStartedFor, sweepIntervalMinutes } from './missed-schedule';
import { isLongRunning, longRunningAlertOf } from './run-alerts';

type SweepContext = Pick<StageContext, 'pipeline' | 'secrets' | 'firestore' | 'stage' | 'logger' | 'dashboardUrl'>;

const dashboard = (ctx: SweepContext) => (ctx.dashboardUrl ? { dashboardUrl: ctx.dashboardUrl } : {});

// Alerts each running run past the limit once. A run that fails to alert does not hold back the
// others; the first error is thrown at the end, so the sweep is retried (what went out is not sent again).
export async function alertLongRunning(ctx: SweepContext, runs: RunRecord[], now: Date, waitingOn: (run: RunRecord) => string | undefined): Promise<string[]> {
  const limit = ctx.pipeline.alerts.longRunningMinutes;
  if (!limit) return [];
  const smtp = smtpUrlOf(ctx);
  const webhook = webhookUrlOf(ctx);
  const alerted: string[] = [];
  let retry: unknown;
  for (const run of runs) {
    if (!isLongRunning(run, limit, now) || wasDelivered(run, LONG_RUNNING_ALERT_KEY)) continue;
    const seen = waitingOn(run);
    const alert = longRunningAlertOf({ run, limitMinutes: limit, now, ...(seen ? { waitingOn: seen } : {}), ...dashboard(ctx) });
    const log = ctx.logger.child({ runId: run.runId });
    try {
      const results = await deliverAll(alertGroups({ alert, mail: longRunningAlertDelivery(ctx.pipeline, alert, smtp), webhook, name: 'long-running alert' }), {
        firestore: ctx.firestore, runId: run.runId, leaseMs: deliveryLeaseMs(ctx.stage.timeoutSeconds), logger: log, run,
      });
      if (results.some((r) => r.outcome === 'delivered')) alerted.push(run.runId);
    } catch (error) {
      log.warn('long-running alert not sent; the sweep will be retried', { error: errorMessage(error) });
      retry ??= error;
    }
  }
  if (retry !== undefined) throw retry;
  return alerted;
}

export interface MissedScheduleDeps {
  runs: Pick<RunStore, 'listRuns'>;
  pipelineState: PipelineStateStore;
}

// Judges the fire times that became judgeable and alerts each missed one once; returns them (ISO).
export async function alertMissedSchedules(ctx: SweepContext, deps: MissedScheduleDeps, now: Date): Promise<string[]> {
  const { pipeline } = ctx;
  const grace = pipeline.alerts.missedScheduleMinutes;
  if (!grace || !pipeline.schedule) return [];
  // Three sweeps' worth: a sweep that did not run (a deploy, an outage) is made up by the next ones.
  const lookbackMinutes = Math.max(60, 3 * sweepIntervalMinutes(pipeline.watchdog.cron, now));
  const fires = fireTimesToJudge(pipeline.schedule, now, { graceMinutes: grace, lookbackMinutes });
  if (fires.length === 0) return [];
  const state = await deps.pipelineState.get(pipeline.name);
  const missed: string[] = [];
  for (const fire of fires) {
    if (pausedAt(state, fire)) continue;
    if (await runStartedFor(deps.runs, pipeline.name, fire, grace)) continue;
    const fireTime = fire.toISOString();
    if (!(await deps.pipelineState.claimScheduleCheck(pipeline.name, fireTime))) continue;
    const alert = missedScheduleAlertOf({ pipeline, fire, graceMinutes: grace, ...dashboard(ctx) });
    await sendMissedScheduleAlert(ctx, deps, alert, fire);
    missed.push(fireTime);
  }
  return missed;
}

// No run record to claim on: the fire time's claim is the one verdict. The mail goes first; when it
// cannot be sent the claim is given back (where the store can) and the sweep retried. The webhook
// is best effort after it: a refusal or an outage is logged at ERROR, never a second mail.
async function sendMissedScheduleAlert(ctx: SweepContext, deps: MissedScheduleDeps, alert: ReturnType<typeof missedScheduleAlertOf>, fire: Date): Promise<void> {
  const log = ctx.logger.child({ fireTime: fire.toISOString() });
  const fireTime = fire.toISOString();
  try {
    await sendMail(await smtpUrlOf(ctx)(), renderAlertMail(ctx.pipeline, alert, missedScheduleMessageId(ctx.pipeline.name, fire)));
  } catch (error) {
    log.error('missed-schedule alert mail not sent', { error: errorMessage(error) });
    await deps.pipelineState.releaseScheduleCheck?.(ctx.pipeline.name, fireTime);
    throw error;
  }
  log.warn('schedule fire time missed; alerted', { pipeline: ctx.pipeline.name });
  await postAlertWebhook(ctx, alert, log);
}

