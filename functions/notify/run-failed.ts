// sluice.run-failed: the run failed as a whole (the source refused us, a trigger was given up, the
// watchdog found it stalled). Mark it failed and alert once through deliver-once.ts: the alert needs
// no database.
import type { RunFailedMessage } from '../../shared/messages';
import type { StageContext } from '../runtime/context';
import { deliverOnce, deliveryLeaseMs } from './deliver-once';
import { renderFailureAlert } from './render-alert';
import { removeStagedLeftovers } from './cleanup-run';
import { markNotifyDone, readFiles, settleFailedRun } from './run-state';
import { runDateOf } from './run-summary';
import { sendMail } from './send-mail';

export async function handleRunFailed(ctx: StageContext, message: RunFailedMessage): Promise<void> {
  const { runId } = message;
  const log = ctx.logger.child({ runId });
  const run = await settleFailedRun(ctx.firestore, runId, { pipeline: message.pipeline, stage: message.stage, error: message.error });
  const mail = renderFailureAlert({ pipeline: ctx.pipeline, runId, stage: message.stage, error: message.error, runDate: runDateOf(run) });
  const outcome = await deliverOnce(
    { firestore: ctx.firestore, runId, key: 'failureAlertSentAt', leaseMs: deliveryLeaseMs(ctx.stage.timeoutSeconds), logger: log },
    async () => sendMail(await ctx.secrets.read(ctx.pipeline.mail.smtpUrl.secret), mail),
  );
  if (outcome === 'delivered') log.warn('run failure alert sent', { stage: message.stage, messageId: mail.messageId, to: mail.to });
  else log.info('failure alert already sent; not sending again');
  if (!run.notifications?.doneAt) {
    await removeStagedLeftovers(ctx, runId, await readFiles(ctx.firestore, runId));
    await markNotifyDone(ctx.firestore, runId);
  }
}
