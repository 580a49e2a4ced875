// The union of files' time ranges per column: what a load that also removed an earlier version's rows
// tells aggregate to recompute. Values are ISO strings of one column (same shape within a column);
// they are compared as instants where both parse, else as text.
import type { TimeRanges } from './load-ledger';

function earlier(a: string, b: string): boolean {
  const x = Date.parse(a);
  const y = Date.parse(b);
  return Number.isFinite(x) && Number.isFinite(y) ? x < y : a < b;
}

export function unionTimeRanges(ranges: readonly TimeRanges[]): TimeRanges {
  const out: TimeRanges = {};
  for (const range of ranges) {
    for (const [column, { min, max }] of Object.entries(range)) {
      const seen = out[column];
      out[column] = seen ? { min: earlier(min, seen.min) ? min : seen.min, max: earlier(seen.max, max) ? max : seen.max } : { min, max };
    }
  }
  return out;
}
