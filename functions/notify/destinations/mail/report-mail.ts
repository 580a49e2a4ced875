// The run's report mails as deliveries: one per declared report that applies to the run's status
// (`report-<index>`). Each report's queries run in `prepare`, before its claim, so a database outage
// fails the attempt without holding a claim and a report already sent never queries again.
import type { ReportDefinition } from '../../../../shared/pipeline-definition';
import type { Logger } from '../../../../shared/logger';
import type { StageContext } from '../../../runtime/context';
import type { RunRecord } from '../../../runtime/run-record';
import { renderReport, type QueryResult } from '../../render-report';
import { renderReportQueryAlert } from '../../render-alert';
import { sendMail } from '../../send-mail';
import { runReportQueries } from '../../report-queries';
import type { RunSummary } from '../../run-summary';
import type { OutgoingMail } from '../../send-mail';
import { webhookDelivery, webhookKeyOf, type WebhookUrl } from '../../alerts/alert-deliveries';
import { reportQueryAlertOf } from '../../alerts/run-alerts';
import type { Delivery, DeliveryReceipt } from '../destination';
import { mailDelivery, type SmtpUrl } from './mail-delivery';

// Whether a report is mailed for a run that ended with this status.
export function reportApplies(report: ReportDefinition, status: RunRecord['status']): boolean {
  return report.when === 'always' || status !== 'no-new-data';
}

export interface ReportDeliveries {
  // The report mails and, right after each, its query alert's mail.
  mails: Delivery[];
  // The query alerts for the alert webhook, when the pipeline declares one (a 'settle' group: a
  // receiver refusing them never holds a mail back).
  webhooks: Delivery[];
}

export function reportMailDeliveries(ctx: StageContext, run: RunRecord, summary: RunSummary, smtp: SmtpUrl, log: Logger, webhook?: WebhookUrl): ReportDeliveries {
  const deliveries: Delivery[] = [];
  const webhooks: Delivery[] = [];
  for (const [index, report] of ctx.pipeline.reports.entries()) {
    if (!reportApplies(report, run.status)) {
      log.info('report not mailed: the run brought no new data', { report: report.name, status: run.status });
      continue;
    }
    let mail: OutgoingMail | undefined;
    let results: QueryResult[] | undefined;
    deliveries.push(mailDelivery(
      `report-${index}`,
      `report '${report.name}'`,
      () => mail!,
      smtp,
      async () => {
        results = await runReportQueries(ctx, report);
        mail = renderReport({ pipeline: ctx.pipeline, report, reportIndex: index, results, summary });
      },
    ));
    // Right after its report: one alert when any of its queries failed. It reuses the report's results
    // and queries again only when the report went out on an earlier delivery (its prepare then did
    // not run). When nothing failed the delivery sends nothing and records that it checked.
    let failures: Array<{ title: string; error: string }> = [];
    const queryFailures = async () => {
      results ??= await runReportQueries(ctx, report);
      failures = results.flatMap((r) => (r.error !== undefined ? [{ title: r.title, error: r.error }] : []));
    };
    const key = `report-${index}-query-alert`;
    deliveries.push({
      key,
      describe: `query alert of report '${report.name}'`,
      prepare: queryFailures,
      async deliver(): Promise<DeliveryReceipt> {
        if (failures.length === 0) return { sent: false };
        const alert = renderReportQueryAlert({ pipeline: ctx.pipeline, runId: run.runId, reportName: report.name, reportIndex: index, failures });
        const sent = await sendMail(await smtp(), alert);
        return { sent: true, messageId: sent.messageId, failedQueries: failures.length };
      },
    });
    // The same alert to the webhook, under its own key: it queries again only when the mails went out
    // on an earlier delivery.
    if (webhook) {
      webhooks.push({
        key: webhookKeyOf(key),
        describe: `webhook query alert of report '${report.name}'`,
        prepare: queryFailures,
        async deliver(): Promise<DeliveryReceipt | void> {
          if (failures.length === 0) return { sent: false };
          const alert = reportQueryAlertOf({ pipeline: ctx.pipeline.name, runId: run.runId, reportName: report.name, failures, ...(ctx.dashboardUrl ? { dashboardUrl: ctx.dashboardUrl } : {}) });
          return webhookDelivery(alert, webhookKeyOf(key), webhook).deliver();
        },
      });
    }
  }
  return { mails: deliveries, webhooks };
}
