// A declared report as a mail: each query's result as an HTML table in the body and as a CSV
// attachment, followed by the run summary.
import type { Pipeline, ReportDefinition } from '../../shared/pipeline-definition';
import { csvLine } from './csv';
import { escapeHtml, htmlDocument, htmlTable, textTable } from './html';
import type { RunSummary } from './run-summary';
import { summaryHtml, summaryText } from './run-summary';
import type { OutgoingMail } from './send-mail';

export interface QueryResult {
  title: string;
  columns: string[];
  rows: Array<Record<string, unknown>>;
  // Set when the query failed: the report still goes out, saying so.
  error?: string;
  // Set when the query returned more than the report's maxRows: only the first `limit` rows are here.
  cut?: { by: 'rows'; limit: number };
}

// The CSV attachment of a result, cut at whole lines to at most `maxBytes` (UTF-8); how many rows it holds.
export function cappedCsv(columns: string[], rows: Array<Record<string, unknown>>, maxBytes: number): { csv: string; rows: number } {
  const parts = [csvLine(columns)];
  let bytes = Buffer.byteLength(parts[0]!);
  let kept = 0;
  for (const row of rows) {
    const line = csvLine(columns.map((c) => row[c]));
    const size = Buffer.byteLength(line);
    if (bytes + size > maxBytes) break;
    parts.push(line);
    bytes += size;
    kept += 1;
  }
  return { csv: parts.join(''), rows: kept };
}

// The body shows at most this many rows per query; the CSV has them all, up to the report's caps.
export const BODY_ROW_LIMIT = 500;

export function slugOf(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
}

export function reportMessageId(runId: string, report: ReportDefinition, index: number): string {
  return index === 0 ? `<${runId}.report@sluice>` : `<${runId}.report.${report.name}@sluice>`;
}

export function reportSubject(report: ReportDefinition, summary: RunSummary): string {
  return `${report.subject} [${summary.pipeline}] ${summary.status}, ${summary.runDate}`;
}

export function attachmentNames(report: ReportDefinition): string[] {
  const seen = new Map<string, number>();
  return report.queries.map((q, i) => {
    const base = `${report.name}-${slugOf(q.title) || `query-${i + 1}`}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return `${n === 1 ? base : `${base}-${n}`}.csv`;
  });
}

export function renderReport(input: { pipeline: Pipeline; report: ReportDefinition; reportIndex: number; results: QueryResult[]; summary: RunSummary }): OutgoingMail {
  const { pipeline, report, results, summary } = input;
  const names = attachmentNames(report);
  const subject = reportSubject(report, summary);
  const html: string[] = [`<h2>${escapeHtml(subject)}</h2>`];
  const text: string[] = [subject, ''];
  const attachments: NonNullable<OutgoingMail['attachments']> = [];
  results.forEach((result, i) => {
    html.push(`<h3>${escapeHtml(result.title)}</h3>`);
    text.push(result.title, '');
    if (result.error !== undefined) {
      html.push(`<p><b>This query failed:</b> ${escapeHtml(result.error)}</p>`);
      text.push(`This query failed: ${result.error}`, '');
      return;
    }
    const shown = result.rows.slice(0, BODY_ROW_LIMIT);
    html.push(result.rows.length ? htmlTable(result.columns, shown) : '<p>(no rows)</p>');
    text.push(result.rows.length ? textTable(result.columns, shown) : '(no rows)');
    const name = names[i] ?? `${report.name}-query-${i + 1}.csv`;
    if (result.rows.length > shown.length) {
      const note = `Showing ${shown.length} of ${result.rows.length} rows; all are in ${name}.`;
      html.push(`<p>${escapeHtml(note)}</p>`);
      text.push(note);
    }
    const attachment = cappedCsv(result.columns, result.rows, report.maxAttachmentBytes);
    const cuts: string[] = [];
    if (result.cut) cuts.push(`The query returned more than ${result.cut.limit} rows (the report's maxRows); only the first ${result.cut.limit} were fetched.`);
    if (attachment.rows < result.rows.length) cuts.push(`${name} holds the first ${attachment.rows} of ${result.rows.length} rows: the attachment is capped at ${report.maxAttachmentBytes} bytes (maxAttachmentBytes).`);
    for (const cut of cuts) {
      html.push(`<p><b>Cut:</b> ${escapeHtml(cut)}</p>`);
      text.push(`Cut: ${cut}`);
    }
    text.push('');
    attachments.push({ filename: name, content: attachment.csv, contentType: 'text/csv; charset=utf-8' });
  });
  html.push(summaryHtml(summary));
  text.push(summaryText(summary));
  return {
    from: pipeline.mail.from,
    to: [...report.to],
    subject,
    html: htmlDocument(subject, html.join('\n')),
    text: text.join('\n') + '\n',
    messageId: reportMessageId(summary.runId, report, input.reportIndex),
    attachments,
  };
}
