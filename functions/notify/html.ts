// HTML pieces for mails. Every value that reaches the markup goes through escapeHtml: query results,
// file names and error messages come from outside.
import { cellText } from './csv';

export function escapeHtml(value: unknown): string {
  return cellText(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const CELL = 'style="border:1px solid #ccc;padding:4px 8px;text-align:left"';

export function htmlTable(columns: string[], rows: Array<Record<string, unknown>>): string {
  const head = `<tr>${columns.map((c) => `<th ${CELL}>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${columns.map((c) => `<td ${CELL}>${escapeHtml(row[c])}</td>`).join('')}</tr>`).join('\n');
  return `<table style="border-collapse:collapse">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function htmlDocument(title: string, body: string): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body style="font-family:sans-serif">\n${body}\n</body></html>\n`;
}

// Plain-text rendition of a table for the text/plain alternative.
export function textTable(columns: string[], rows: Array<Record<string, unknown>>): string {
  return [columns.join('\t'), ...rows.map((row) => columns.map((c) => cellText(row[c])).join('\t'))].join('\n');
}
