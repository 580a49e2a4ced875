// A Markdown table, numbers right-aligned, as every part of the bench prints its results.
export function formatTable(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => `| ${widths.map((w, i) => (cells[i] ?? '').padStart(w)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const perSec = (rows: number, ms: number) => Math.round(rows / (ms / 1000));
export const count = (n: number) => n.toLocaleString('en-US');
export const ratio = (r: number) => `${r.toFixed(2)}×`;
export const round2 = (r: number) => Math.round(r * 100) / 100;
