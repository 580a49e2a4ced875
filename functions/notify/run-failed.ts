// sluice.run-failed: the run failed as a whole (e.g. the source refused us). Mark it failed and alert
// once, recorded on the run as notifications.failureAlertSentAt after the send (same trade-off as
// run-complete: a rare duplicate with the same Message-ID rather than a lost alert).
import type { RunFailedMessage } from '../../shared/messages';
import type { StageContext } from '../runtime/context';
import { renderFailureAlert } from './render-alert';
import { markNotified, mayNotify, settleFailedRun } from './run-state';
import { runDateOf } from './run-summary';
import { sendMail } from './send-mail';

export async function handleRunFailed(ctx: StageContext, message: RunFailedMessage): Promise<void> {
  const { runId } = message;
  const log = ctx.logger.child({ runId });
  const run = await settleFailedRun(ctx.firestore, runId, { pipeline: message.pipeline, stage: message.stage, error: message.error });
  if (run.notifications?.failureAlertSentAt || !(await mayNotify(ctx.firestore, runId, 'failureAlertSentAt'))) {
    log.info('failure alert already sent; not sending again');
    return;
  }
  const mail = renderFailureAlert({ pipeline: ctx.pipeline, runId, stage: message.stage, error: message.error, runDate: runDateOf(run) });
  const sent = await sendMail(await ctx.secrets.read(ctx.pipeline.mail.smtpUrl.secret), mail);
  await markNotified(ctx.firestore, runId, 'failureAlertSentAt');
  log.warn('run failure alert sent', { stage: message.stage, messageId: sent.messageId, to: mail.to });
}
