// The alert mails as deliveries: a run that ended partial or failed (`alertSentAt`), a run that failed
// as a whole (`failureAlertSentAt`), a run still going past alerts.longRunningMinutes
// (`long-running-alert`), and the one alert about destinations that could not be delivered to
// (`destinations-alert`). Each also goes to the webhook when one is declared (alerts/alert-deliveries.ts).
// An alert needs no database, so it never waits for one. A dead letter of no recorded run has nothing
// to claim on: it is sent straight away (sendOrphanAlert), as the only record there is, then posted to
// the webhook best effort (postAlertWebhook).
import type { Pipeline } from '../../../../shared/pipeline-definition';
import type { FileRecord, RunRecord } from '../../../runtime/run-record';
import type { Alert } from '../../alerts/alert';
import { badFilesOf, renderAlertMail, renderDestinationAlert, renderFailureAlert, renderRunAlert, type AlertLinks, type DestinationFailure } from '../../render-alert';
import type { RunSummary } from '../../run-summary';
import { sendMail, type OutgoingMail } from '../../send-mail';
import type { Delivery } from '../destination';
import { mailDelivery, type SmtpUrl } from './mail-delivery';

export function runAlertDelivery(input: { pipeline: Pipeline; run: RunRecord; summary: RunSummary; files: FileRecord[]; links?: AlertLinks }, smtp: SmtpUrl): Delivery {
  const { run } = input;
  const mail = renderRunAlert({ pipeline: input.pipeline, summary: input.summary, badFiles: badFilesOf(input.files), ...(run.error ? { runError: run.error } : {}), ...(input.links ? { links: input.links } : {}) });
  return mailDelivery('alertSentAt', `run alert (${run.status})`, () => mail, smtp);
}

export function failureAlertDelivery(input: { pipeline: Pipeline; runId: string; stage: string; error: string; runDate?: string; links?: AlertLinks }, smtp: SmtpUrl): Delivery {
  const mail = renderFailureAlert(input);
  return mailDelivery('failureAlertSentAt', `run failure alert (${input.stage})`, () => mail, smtp);
}

// The watchdog's alert about a run still going past alerts.longRunningMinutes: once per run.
export const LONG_RUNNING_ALERT_KEY = 'long-running-alert';

export function longRunningAlertDelivery(pipeline: Pipeline, alert: Alert, smtp: SmtpUrl): Delivery {
  const mail = renderAlertMail(pipeline, alert, `<${alert.runId}.long-running-alert@sluice>`);
  return mailDelivery(LONG_RUNNING_ALERT_KEY, 'long-running alert', () => mail, smtp);
}

export const DESTINATIONS_ALERT_KEY = 'destinations-alert';

export function destinationAlertDelivery(input: { pipeline: Pipeline; runId: string; runDate?: string; failures: DestinationFailure[] }, smtp: SmtpUrl): Delivery {
  const mail = renderDestinationAlert(input);
  return mailDelivery(DESTINATIONS_ALERT_KEY, `destinations alert (${input.failures.length} failed)`, () => mail, smtp);
}

export async function sendOrphanAlert(smtp: SmtpUrl, mail: OutgoingMail): Promise<void> {
  await sendMail(await smtp(), mail);
}
