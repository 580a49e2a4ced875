// One record of the staged CSV, in the dialect `COPY ... (FORMAT csv)` reads: ',' delimiter, '"' quote.
// NULL is written as nothing, an empty string as "" — COPY tells them apart only that way. A field
// starting with a backslash is quoted so a lone "\." is never read as COPY's end-of-data marker.
const NEEDS_QUOTES = /[",\r\n\\]/;

export function formatCsvField(value: string | null): string {
  if (value === null) return '';
  if (value === '') return '""';
  if (!NEEDS_QUOTES.test(value)) return value;
  return `"${value.replace(/"/g, '""')}"`;
}

export function formatCsvLine(values: ReadonlyArray<string | null>): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += formatCsvField(values[i] ?? null);
  }
  return line + '\n';
}
