// Alert mails: a run that ended partial or failed (with each bad file), a run that failed as a whole,
// and a dead letter that belongs to no recorded run.
import type { Pipeline } from '../../shared/pipeline-definition';
import type { Alert } from './alerts/alert';
import type { FileRecord } from '../runtime/run-record';
import { escapeHtml, htmlDocument, htmlTable, textTable } from './html';
import type { RunSummary } from './run-summary';
import { summaryHtml, summaryText } from './run-summary';
import type { OutgoingMail } from './send-mail';

export interface BadFile {
  name: string;
  status: string;
  stage: string;
  row?: number;
  reason: string;
}

// Files that were quarantined or failed, with where and why.
export function badFilesOf(files: FileRecord[]): BadFile[] {
  return files
    .filter((f) => f.status === 'quarantined' || f.status === 'failed')
    .map((f) => {
      const erroredStage = Object.entries(f.stages ?? {}).find(([, timing]) => timing?.error)?.[0];
      const stage = f.error?.stage ?? erroredStage ?? 'unknown';
      const reason = f.error?.message ?? (erroredStage ? f.stages?.[erroredStage as keyof FileRecord['stages']]?.error : undefined) ?? f.status;
      return { name: f.name ?? f.path ?? f.fileKey, status: f.status, stage, ...(f.error?.row !== undefined ? { row: f.error.row } : {}), reason };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const BAD_FILE_COLUMNS = ['file', 'outcome', 'stage', 'row', 'reason'];
const badFileRows = (files: BadFile[]) => files.map((f) => ({ file: f.name, outcome: f.status, stage: f.stage, row: f.row ?? '', reason: f.reason }));

function alertBase(pipeline: Pipeline): Pick<OutgoingMail, 'from' | 'to'> {
  return { from: pipeline.alerts.from ?? pipeline.mail.from, to: [...pipeline.alerts.to] };
}

// What every alert mail ends with: where to look and what to type (alerts/alert.ts).
export type AlertLinks = Pick<Alert, 'link' | 'hint'>;

function linksHtml(links: AlertLinks | undefined): string {
  if (!links) return '';
  const link = links.link ? `<p><a href="${escapeHtml(links.link)}">Open in the dashboard</a></p>\n` : '';
  return `${link}<p>Retry: <code>${escapeHtml(links.hint.command)}</code> (${escapeHtml(links.hint.does)})</p>`;
}

function linksText(links: AlertLinks | undefined): string {
  if (!links) return '';
  return `${links.link ? `Dashboard: ${links.link}\n` : ''}Retry: ${links.hint.command} (${links.hint.does})\n`;
}

// An alert with nothing more to show than what it says (a run running long, a missed schedule).
export function renderAlertMail(pipeline: Pipeline, alert: Alert, messageId: string): OutgoingMail {
  const subject = `[Sluice alert] ${alert.title}`;
  return {
    ...alertBase(pipeline),
    subject,
    html: htmlDocument(subject, `<h2>${escapeHtml(subject)}</h2>\n<p>${escapeHtml(alert.summary)}</p>\n${linksHtml(alert)}`),
    text: `${alert.summary}\n\n${linksText(alert)}`,
    messageId,
  };
}

export function runAlertMessageId(runId: string): string {
  return `<${runId}.alert@sluice>`;
}

export function renderRunAlert(input: { pipeline: Pipeline; summary: RunSummary; badFiles: BadFile[]; runError?: { stage: string; message: string }; links?: AlertLinks }): OutgoingMail {
  const { pipeline, summary, badFiles, runError } = input;
  const subject = `[Sluice alert] ${summary.pipeline} run ${summary.runId} ${summary.status}, ${summary.runDate}`;
  const intro = `Pipeline ${summary.pipeline}, run ${summary.runId} (${summary.runDate}) ended ${summary.status}: ${badFiles.length} file(s) did not load.`;
  const html = [`<h2>${escapeHtml(subject)}</h2>`, `<p>${escapeHtml(intro)}</p>`];
  const text = [intro, ''];
  if (runError) {
    html.push(`<p>The run failed in <b>${escapeHtml(runError.stage)}</b>: ${escapeHtml(runError.message)}</p>`);
    text.push(`The run failed in ${runError.stage}: ${runError.message}`, '');
  }
  if (input.links) {
    html.push(linksHtml(input.links));
    text.push(linksText(input.links));
  }
  if (badFiles.length) {
    html.push(htmlTable(BAD_FILE_COLUMNS, badFileRows(badFiles)));
    text.push(...badFiles.map((f) => `- ${f.name}: ${f.status} in ${f.stage}${f.row !== undefined ? `, row ${f.row}` : ''}: ${f.reason}`), '');
  }
  html.push(summaryHtml(summary));
  text.push(summaryText(summary));
  return { ...alertBase(pipeline), subject, html: htmlDocument(subject, html.join('\n')), text: text.join('\n') + '\n', messageId: runAlertMessageId(summary.runId) };
}

// A run that failed as a whole (run-failed), e.g. the source refused the connection.
export function renderFailureAlert(input: { pipeline: Pipeline; runId: string; stage: string; error: string; runDate?: string; links?: AlertLinks }): OutgoingMail {
  const { pipeline, runId, stage, error } = input;
  const subject = `[Sluice alert] ${pipeline.name} run ${runId} failed in ${stage}${input.runDate ? `, ${input.runDate}` : ''}`;
  const intro = `Pipeline ${pipeline.name}, run ${runId}${input.runDate ? ` (${input.runDate})` : ''} failed in stage ${stage}.`;
  return {
    ...alertBase(pipeline),
    subject,
    html: htmlDocument(subject, `<h2>${escapeHtml(subject)}</h2>\n<p>${escapeHtml(intro)}</p>\n<p>Error: ${escapeHtml(error)}</p>\n${linksHtml(input.links)}`),
    text: `${intro}\nError: ${error}\n\n${linksText(input.links)}`,
    messageId: `<${runId}.failure-alert@sluice>`,
  };
}

// A message a stage gave up on that names no run we know: nothing to record it on, so only a mail.
export function renderOrphanDeadLetterAlert(input: { pipeline: Pipeline; stage: string; error: string; messageId: string; detail: Record<string, unknown> }): OutgoingMail {
  const { pipeline, stage, error } = input;
  const subject = `[Sluice alert] ${pipeline.name}: a ${stage} message was given up`;
  const intro = `Pipeline ${pipeline.name}: stage ${stage} gave up on a message that belongs to no recorded run. ${error}`;
  const rows = Object.entries(input.detail).map(([key, value]) => ({ key, value }));
  return {
    ...alertBase(pipeline),
    subject,
    html: htmlDocument(subject, `<h2>${escapeHtml(subject)}</h2>\n<p>${escapeHtml(intro)}</p>\n${htmlTable(['key', 'value'], rows)}`),
    text: `${intro}\n\n${textTable(['key', 'value'], rows)}\n`,
    messageId: `<${input.messageId.replace(/[^A-Za-z0-9._-]/g, '_')}.dead-letter@sluice>`,
  };
}

// A delivery a destination could never make (a full My Drive, a folder gone, a sign-in revoked): the
// error names the destination's fix.
export interface DestinationFailure {
  destination: string;
  what: string;
  error: string;
}

// One alert per run for every destination delivery that failed for good, sent once they all settled.
export function renderDestinationAlert(input: { pipeline: Pipeline; runId: string; runDate?: string; failures: DestinationFailure[] }): OutgoingMail {
  const { pipeline, runId, failures } = input;
  const destinations = [...new Set(failures.map((f) => f.destination))];
  const subject = `[Sluice alert] ${pipeline.name} run ${runId}: ${failures.length} delivery(ies) to ${destinations.join(', ')} failed${input.runDate ? `, ${input.runDate}` : ''}`;
  const intro = `Pipeline ${pipeline.name}, run ${runId}${input.runDate ? ` (${input.runDate})` : ''}: ${failures.length} delivery(ies) could not be made and will not be retried. The run's data and its report are not affected.`;
  const rows = failures.map((f) => ({ destination: f.destination, delivery: f.what, error: f.error }));
  return {
    ...alertBase(pipeline),
    subject,
    html: htmlDocument(subject, `<h2>${escapeHtml(subject)}</h2>\n<p>${escapeHtml(intro)}</p>\n${htmlTable(['destination', 'delivery', 'error'], rows)}`),
    text: `${intro}\n\n${failures.map((f) => `- ${f.destination}: ${f.what}: ${f.error}`).join('\n')}\n`,
    messageId: `<${runId}.destinations-alert@sluice>`,
  };
}

// One alert per report whose queries the database refused or that ran past the time limit: the
// report itself still goes out saying so, but a broken query is the pipeline author's to fix, so it
// reaches the alert list, not only the managers reading the report.
export function renderReportQueryAlert(input: { pipeline: Pipeline; runId: string; reportName: string; reportIndex: number; failures: Array<{ title: string; error: string }> }): OutgoingMail {
  const { pipeline, runId, reportName, failures } = input;
  const subject = `[Sluice alert] ${pipeline.name} run ${runId}: report '${reportName}': ${failures.length} query(ies) failed`;
  const intro = `Pipeline ${pipeline.name}, run ${runId}: the report '${reportName}' was mailed with ${failures.length} failed query(ies), shown as failed in it. Fix the query in the pipeline definition (reports → queries); it runs again with the next run.`;
  const rows = failures.map((f) => ({ query: f.title, error: f.error }));
  return {
    ...alertBase(pipeline),
    subject,
    html: htmlDocument(subject, `<h2>${escapeHtml(subject)}</h2>\n<p>${escapeHtml(intro)}</p>\n${htmlTable(['query', 'error'], rows)}`),
    text: `${intro}\n\n${failures.map((f) => `- ${f.title}: ${f.error}`).join('\n')}\n`,
    messageId: `<${runId}.report-${input.reportIndex}-query-alert@sluice>`,
  };
}
