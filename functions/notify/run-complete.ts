// sluice.run-complete: settle the run's status, alert when the run is partial or failed, and mail the
// declared reports that apply to it.
//
// The alert goes first: it needs no database, so a PostgreSQL outage that makes the report queries
// wait for a retry cannot hold it back. Each mail is delivered once through deliver-once.ts (claimed
// after its queries ran, released when the send fails, recorded after the SMTP server accepted it); a
// crash between the send and the record can repeat a mail with the same deterministic Message-ID
// (`<runId.report@sluice>`), which mail clients and many servers collapse into one message.
import type { RunCompleteMessage } from '../../shared/messages';
import type { ReportDefinition } from '../../shared/pipeline-definition';
import type { StageContext } from '../runtime/context';
import { RUNS_COLLECTION, type RunRecord } from '../runtime/run-record';
import { removeStagedLeftovers } from './cleanup-run';
import { deliverOnce, deliveryLeaseMs, wasDelivered, type DeliveryKey } from './deliver-once';
import { badFilesOf, renderRunAlert } from './render-alert';
import { renderReport } from './render-report';
import { runReportQueries } from './report-queries';
import { markNotifyDone, readFiles, settleRun } from './run-state';
import { summarizeRun } from './run-summary';
import { sendMail } from './send-mail';

// Whether a report is mailed for a run that ended with this status.
export function reportApplies(report: ReportDefinition, status: RunRecord['status']): boolean {
  return report.when === 'always' || status !== 'no-new-data';
}

export async function handleRunComplete(ctx: StageContext, message: RunCompleteMessage): Promise<void> {
  const { runId } = message;
  const log = ctx.logger.child({ runId });
  const run = await settleRun(ctx.firestore, runId);
  const files = await readFiles(ctx.firestore, runId);
  const summary = summarizeRun(run, files);
  let smtpUrl: string | undefined;
  const smtp = async () => (smtpUrl ??= await ctx.secrets.read(ctx.pipeline.mail.smtpUrl.secret));
  const once = (key: DeliveryKey, deliver: () => Promise<unknown>) =>
    deliverOnce({ firestore: ctx.firestore, runId, key, leaseMs: deliveryLeaseMs(ctx.stage.timeoutSeconds), logger: log }, deliver);

  if (run.status === 'partial' || run.status === 'failed') {
    const badFiles = badFilesOf(files);
    const mail = renderRunAlert({ pipeline: ctx.pipeline, summary, badFiles, ...(run.error ? { runError: run.error } : {}) });
    const outcome = await once('alertSentAt', async () => sendMail(await smtp(), mail));
    if (outcome === 'delivered') log.warn('run alert sent', { status: run.status, badFiles: badFiles.length, messageId: mail.messageId, to: mail.to });
    else log.info('alert already sent; not sending again');
  }

  let applied = 0;
  for (const [index, report] of ctx.pipeline.reports.entries()) {
    const key: DeliveryKey = `report-${index}`;
    if (!reportApplies(report, run.status)) {
      log.info('report not mailed: the run brought no new data', { report: report.name, status: run.status });
      continue;
    }
    applied += 1;
    if (wasDelivered(run, key)) {
      log.info('report already sent; not sending again', { report: report.name });
      continue;
    }
    // Queries first: an outage fails this attempt before anything is claimed.
    const results = await runReportQueries(ctx, report);
    const mail = renderReport({ pipeline: ctx.pipeline, report, reportIndex: index, results, summary });
    const outcome = await once(key, async () => sendMail(await smtp(), mail));
    if (outcome === 'delivered') log.info('report sent', { report: report.name, messageId: mail.messageId, to: mail.to, attachments: mail.attachments?.length ?? 0 });
    else log.info('report already sent; not sending again', { report: report.name });
  }
  // Everything this run was owed has gone out: watchers (npm start, tests, the ops surface) wait for this.
  if (applied > 0 && !run.notifications?.reportSentAt) {
    const at = new Date().toISOString();
    await ctx.firestore.collection(RUNS_COLLECTION).doc(runId).update({ 'notifications.reportSentAt': at, updatedAt: at });
  }
  if (!run.notifications?.doneAt) {
    await removeStagedLeftovers(ctx, runId, files);
    await markNotifyDone(ctx.firestore, runId);
  }
}
