// sluice.run-complete: settle the run's status, mail the declared reports, and alert when the run is
// partial or failed.
//
// Exactly-once-ish mail: each mail is recorded on the run (notifications.reportSentAt / alertSentAt)
// AFTER the SMTP server accepted it, and skipped when already recorded, so a redelivered run-complete
// sends nothing more. Recording before sending would instead lose the mail for good if the function
// died in between; we prefer a rare duplicate to a lost report. That duplicate (crash after send,
// before the record; two deliveries racing are kept apart by a claim, see run-state.ts) carries the same deterministic Message-ID
// (`<runId.report@sluice>`), which mail clients and many servers collapse into one message.
import type { RunCompleteMessage } from '../../shared/messages';
import type { StageContext } from '../runtime/context';
import { badFilesOf, renderRunAlert } from './render-alert';
import { renderReport } from './render-report';
import { runReportQueries } from './report-queries';
import { markNotified, mayNotify, readFiles, settleRun } from './run-state';
import { summarizeRun } from './run-summary';
import { sendMail } from './send-mail';

export async function handleRunComplete(ctx: StageContext, message: RunCompleteMessage): Promise<void> {
  const { runId } = message;
  const log = ctx.logger.child({ runId });
  const run = await settleRun(ctx.firestore, runId);
  const files = await readFiles(ctx.firestore, runId);
  const summary = summarizeRun(run, files);
  let smtpUrl: string | undefined;
  const smtp = async () => (smtpUrl ??= await ctx.secrets.read(ctx.pipeline.mail.smtpUrl.secret));

  if (ctx.pipeline.reports.length === 0) {
    log.info('no report declared');
  } else if (run.notifications?.reportSentAt || !(await mayNotify(ctx.firestore, runId, 'reportSentAt'))) {
    log.info('report already sent; not sending again');
  } else {
    for (const [index, report] of ctx.pipeline.reports.entries()) {
      const results = await runReportQueries(ctx, report);
      const mail = renderReport({ pipeline: ctx.pipeline, report, reportIndex: index, results, summary });
      const sent = await sendMail(await smtp(), mail);
      log.info('report sent', { report: report.name, messageId: sent.messageId, to: mail.to, attachments: mail.attachments?.length ?? 0 });
    }
    await markNotified(ctx.firestore, runId, 'reportSentAt');
  }

  if (run.status !== 'partial' && run.status !== 'failed') return;
  if (run.notifications?.alertSentAt || !(await mayNotify(ctx.firestore, runId, 'alertSentAt'))) {
    log.info('alert already sent; not sending again');
    return;
  }
  const badFiles = badFilesOf(files);
  const mail = renderRunAlert({ pipeline: ctx.pipeline, summary, badFiles, ...(run.error ? { runError: run.error } : {}) });
  const sent = await sendMail(await smtp(), mail);
  await markNotified(ctx.firestore, runId, 'alertSentAt');
  log.warn('run alert sent', { status: run.status, badFiles: badFiles.length, messageId: sent.messageId, to: mail.to });
}
