// COPY … (ON_ERROR ignore, LOG_VERBOSITY verbose) (PostgreSQL 17+) skips a row whose value fails its
// column's type input and says so in one NOTICE per row:
//   skipping row due to data type incompatibility at line 4 for column "qty": "lots"
//   skipping row due to data type incompatibility at line 9 for column "day": null input
// `line` is COPY's physical line of the staged CSV (the header is line 1; a quoted value with line
// breaks spans several lines, and the line named is the row's last). The notice carries the value cut
// to a few dozen bytes and not the reason, so the raw row is read again from the staged file and the
// reason asked of pg_input_error_info (skipped-row-details.ts).
export interface SkippedRow {
  line: number;
  column: string;
}

const PREFIX = /^skipping row due to data type incompatibility at line (\d+) for column "/;

// The column is matched against the COPY's own columns (longest first): a column name may itself
// contain `": `, so the text after it cannot be split reliably.
export function parseSkippedRow(message: string, columns: readonly string[]): SkippedRow | undefined {
  const match = PREFIX.exec(message);
  if (!match) return undefined;
  const rest = message.slice(match[0].length);
  const column = [...columns].sort((a, b) => b.length - a.length).find((c) => rest.startsWith(`${c}": `));
  if (column === undefined) return undefined;
  return { line: Number(match[1]), column };
}
