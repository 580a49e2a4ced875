// The one notice of a cancelled run, to the alert recipients: who cancelled it, when, and what its
// files had become by then. Delivered once like every mail (deliver-all → deliver-once, key
// `cancelledSentAt` under notifications.deliveries), with a deterministic Message-ID.
import type { Pipeline } from '../../../../shared/pipeline-definition';
import type { RunRecord } from '../../../runtime/run-record';
import { escapeHtml, htmlDocument } from '../../html';
import type { OutgoingMail } from '../../send-mail';
import type { Delivery } from '../destination';
import { mailDelivery, type SmtpUrl } from './mail-delivery';

export const CANCELLED_NOTICE_KEY = 'run-cancelled';

export function renderCancelledNotice(pipeline: Pipeline, run: RunRecord): OutgoingMail {
  const date = run.logicalDate ?? run.dates.at(-1);
  const subject = `[Sluice] ${pipeline.name} run ${run.runId} cancelled${date ? `, ${date}` : ''}`;
  const by = run.cancel ? ` by ${run.cancel.requestedBy} at ${run.cancel.requestedAt}` : '';
  const intro = `Pipeline ${pipeline.name}, run ${run.runId}${date ? ` (${date})` : ''} was cancelled${by}.`;
  const counts = Object.entries(run.counts).filter(([, n]) => n > 0).map(([outcome, n]) => `${outcome}: ${n}`).join(', ');
  const files = `Files when it ended: ${counts || 'none'}. Files that had not begun their next stage were not processed further.`;
  return {
    from: pipeline.alerts.from ?? pipeline.mail.from,
    to: [...pipeline.alerts.to],
    subject,
    html: htmlDocument(subject, `<h2>${escapeHtml(subject)}</h2>\n<p>${escapeHtml(intro)}</p>\n<p>${escapeHtml(files)}</p>`),
    text: `${intro}\n${files}\n`,
    messageId: `<${run.runId}.cancelled@sluice>`,
  };
}

export function cancelledNoticeDelivery(pipeline: Pipeline, run: RunRecord, smtp: SmtpUrl): Delivery {
  const mail = renderCancelledNotice(pipeline, run);
  return mailDelivery(CANCELLED_NOTICE_KEY, 'run cancelled notice', () => mail, smtp);
}
