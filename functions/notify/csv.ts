// RFC 4180 CSV for report attachments: CRLF line ends, a field quoted when it holds the delimiter, a
// quote, a line break or edge spaces, quotes doubled.
//
// Cells are neutralised against CSV (formula) injection as OWASP describes: a text cell starting with
// `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so a spreadsheet shows it as
// text instead of evaluating it (`=HYPERLINK(...)` from a vendor's file stays inert). Numbers stay
// numbers: a JavaScript number and a string that is wholly a plain decimal number (PostgreSQL's
// numeric and bigint arrive as strings, e.g. "-3.25") are not prefixed — a spreadsheet reads them as
// a number, never as a formula.

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function neutralise(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

export function csvField(value: unknown): string {
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : neutralise(cellText(value));
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

export function toCsv(columns: string[], rows: Array<Record<string, unknown>>): string {
  return csvLine(columns) + rows.map((row) => csvLine(columns.map((c) => row[c]))).join('');
}
