// sluice.run-complete: settle the run's status, alert when the run is partial or failed, mail the
// declared reports that apply to it, then deliver to the declared destinations (Drive...).
//
// The alert goes first: it needs no database, so a PostgreSQL outage that makes the report queries
// wait for a retry cannot hold it back. Destinations go last, so an upload can never hold back a mail.
// Everything goes through destinations/deliver-all.ts → deliver-once.ts (claimed after its queries ran,
// released when the send fails, recorded after it succeeded); a crash between the send and the record
// can repeat a mail with the same deterministic Message-ID (`<runId.report@sluice>`), which mail
// clients and many servers collapse into one message.
import type { RunCompleteMessage } from '../../shared/messages';
import type { StageContext } from '../runtime/context';
import { alertGroups, webhookUrlOf } from './alerts/alert-deliveries';
import { endedRunAlertOf } from './alerts/run-alerts';
import { removeStagedLeftovers } from './cleanup-run';
import { deliveryLeaseMs } from './deliver-once';
import { deliverAll } from './destinations/deliver-all';
import { deliverDestinations } from './destinations/deliver-destinations';
import type { Destinations } from './destinations/destination';
import { runAlertDelivery } from './destinations/mail/alert-mail';
import { cancelledNoticeDelivery } from './destinations/mail/cancelled-mail';
import { smtpUrlOf } from './destinations/mail/mail-delivery';
import { reportMailDeliveries } from './destinations/mail/report-mail';
import { badFilesOf } from './render-alert';
import { summarizeRun } from './run-summary';

export { reportApplies } from './destinations/mail/report-mail';

export async function handleRunComplete(ctx: StageContext, message: RunCompleteMessage, options: { destinations?: Destinations } = {}): Promise<void> {
  const { runId } = message;
  const log = ctx.logger.child({ runId });
  const run = await ctx.runs.settleRun(runId);
  const files = await ctx.runs.getFiles(runId);
  const summary = summarizeRun(run, files);
  const smtp = smtpUrlOf(ctx);
  const leaseMs = deliveryLeaseMs(ctx.stage.timeoutSeconds);
  const common = { firestore: ctx.firestore, runId, leaseMs, logger: log, run };

  // A cancelled run owes one notice to the alert recipients and nothing else: no report (it covers
  // part of a run an operator stopped on purpose), no failure alert, no destination uploads. A dry
  // run (it only listed what fetch would fetch) owes nothing at all.
  if (run.status === 'cancelled' || run.dryRun) {
    if (run.status === 'cancelled') {
      await deliverAll([{ name: 'run cancelled notice', deliveries: [cancelledNoticeDelivery(ctx.pipeline, run, smtp)], onFailure: 'throw' }], common);
    }
    if (!run.notifications?.doneAt) {
      await removeStagedLeftovers(ctx, runId, files);
      await ctx.runs.markNotifyDone(runId);
    }
    return;
  }
  if (run.status === 'partial' || run.status === 'failed') {
    const alert = endedRunAlertOf({ run, runDate: summary.runDate, badFiles: badFilesOf(files).length, ...(ctx.dashboardUrl ? { dashboardUrl: ctx.dashboardUrl } : {}) });
    const mail = runAlertDelivery({ pipeline: ctx.pipeline, run, summary, files, links: alert }, smtp);
    await deliverAll(alertGroups({ alert, mail, webhook: webhookUrlOf(ctx), name: 'run alert' }), common);
  }
  const reports = reportMailDeliveries(ctx, run, summary, smtp, log, webhookUrlOf(ctx));
  await deliverAll([
    { name: 'report mail', deliveries: reports.mails, onFailure: 'throw' },
    ...(reports.webhooks.length > 0 ? [{ name: 'report query alert webhook', deliveries: reports.webhooks, onFailure: 'settle' as const }] : []),
  ], common);
  // Every report this run was owed has gone out: watchers (npm start, tests, the ops surface) wait for this.
  if (reports.mails.length > 0 && !run.notifications?.reportSentAt) await ctx.runs.markReportsSent(runId);
  await deliverDestinations(ctx, { run, files, leaseMs, logger: log, smtp, ...(options.destinations ? { destinations: options.destinations } : {}) });
  if (!run.notifications?.doneAt) {
    await removeStagedLeftovers(ctx, runId, files);
    await ctx.runs.markNotifyDone(runId);
  }
}
