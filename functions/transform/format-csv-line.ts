// One record of the staged CSV, in the dialect `COPY ... (FORMAT csv)` reads: ',' delimiter, '"' quote.
// NULL is written as nothing, an empty string as "" — COPY tells them apart only that way. A field
// starting with a backslash is quoted so a lone "\." is never read as COPY's end-of-data marker.
const NEEDS_QUOTES = /[",\r\n\\]/;

export function formatCsvField(value: string | null): string {
  if (value === null) return '';
  if (value === '') return '""';
  if (!NEEDS_QUOTES.test(value)) return value;
  return value.indexOf('"') < 0 ? `"${value}"` : `"${value.replace(/"/g, '""')}"`;
}

export function formatCsvLine(values: ReadonlyArray<string | null>): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += formatCsvField(values[i] ?? null);
  }
  return line + '\n';
}

// formatCsvLine for a data row just seen by the type inference: `typed[i] === 1` says value i fits a
// number, boolean, date or time shape (ColumnTypeInference.typed), so it holds none of the characters
// that need quotes and is written without the check. Same text as formatCsvLine. (Concatenation,
// not Array.prototype.join: measured faster on rows of short values.)
export function formatTypedCsvLine(values: ReadonlyArray<string | null>, typed: Uint8Array): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    const value = values[i];
    if (value !== null && value !== undefined) line += typed[i] === 1 ? value : formatCsvField(value);
  }
  return line + '\n';
}
