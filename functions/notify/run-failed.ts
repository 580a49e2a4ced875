// sluice.run-failed: the run failed as a whole (the source refused us, a trigger was given up, the
// watchdog found it stalled). Mark it failed and alert once through deliver-all.ts (the alert needs no
// database), then deliver to the declared destinations what the run did get: files it fetched
// (`on: 'fetched'`) or loaded (`on: 'loaded'`) before it failed are the user's as much as a good run's.
import type { RunFailedMessage } from '../../shared/messages';
import type { StageContext } from '../runtime/context';
import { removeStagedLeftovers } from './cleanup-run';
import { deliveryLeaseMs } from './deliver-once';
import { deliverAll } from './destinations/deliver-all';
import { deliverDestinations } from './destinations/deliver-destinations';
import type { Destinations } from './destinations/destination';
import { failureAlertDelivery } from './destinations/mail/alert-mail';
import { smtpUrlOf } from './destinations/mail/mail-delivery';
import { runDateOf } from './run-summary';

export async function handleRunFailed(ctx: StageContext, message: RunFailedMessage, options: { destinations?: Destinations } = {}): Promise<void> {
  const { runId } = message;
  const log = ctx.logger.child({ runId });
  const run = await ctx.runs.settleFailedRun(runId, { pipeline: message.pipeline, stage: message.stage, error: message.error });
  const smtp = smtpUrlOf(ctx);
  const leaseMs = deliveryLeaseMs(ctx.stage.timeoutSeconds);
  const alert = failureAlertDelivery({ pipeline: ctx.pipeline, runId, stage: message.stage, error: message.error, runDate: runDateOf(run) }, smtp);
  await deliverAll([{ name: 'run failure alert', deliveries: [alert], onFailure: 'throw' }], { firestore: ctx.firestore, runId, leaseMs, logger: log, run });
  const files = await ctx.runs.getFiles(runId);
  await deliverDestinations(ctx, { run, files, leaseMs, logger: log, smtp, ...(options.destinations ? { destinations: options.destinations } : {}) });
  if (!run.notifications?.doneAt) {
    await removeStagedLeftovers(ctx, runId, files);
    await ctx.runs.markNotifyDone(runId);
  }
}
