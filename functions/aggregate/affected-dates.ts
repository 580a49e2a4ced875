// Which calendar dates (in an aggregate's time zone) a loaded file touched, from the file's time range.
// Recomputing a date too many only costs a query; missing one leaves a stale roll-up, so where a
// value's meaning is ambiguous we take every date it could mean.

export interface DateRange {
  // YYYY-MM-DD, inclusive.
  from: string;
  to: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

export function dateInZone(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

// The dates one range endpoint may stand for.
// - A bare date, or a timestamp without offset: a wall-clock value, its own date.
// - With an offset, for a timestamptz column: an instant, dated in the aggregate's zone.
// - With an offset, for a wall-time column (timestamp, date): a wall time that was serialised as if it
//   were UTC (what node-postgres + toISOString() do on a UTC host) or in the host's zone; we take both
//   its UTC date and its date in the aggregate's zone.
function candidateDates(value: string, timeZone: string, wallTime: boolean): string[] {
  const text = value.trim();
  if (DATE_ONLY.test(text)) return [text];
  const isoLike = text.replace(' ', 'T');
  if (!HAS_ZONE.test(isoLike)) {
    const prefix = isoLike.slice(0, 10);
    if (!DATE_ONLY.test(prefix)) return [];
    if (wallTime) return [prefix];
    const asUtc = new Date(`${isoLike}Z`);
    return Number.isNaN(asUtc.getTime()) ? [prefix] : [prefix, dateInZone(asUtc, timeZone)];
  }
  const instant = new Date(isoLike);
  if (Number.isNaN(instant.getTime())) return [];
  const zoned = dateInZone(instant, timeZone);
  return wallTime ? [zoned, instant.toISOString().slice(0, 10)] : [zoned];
}

// null when the range names no usable date (the file had no values in that column).
export function affectedDateRange(range: { min: string; max: string } | undefined, timeZone: string, wallTime: boolean): DateRange | null {
  if (!range) return null;
  const dates = [...candidateDates(range.min, timeZone, wallTime), ...candidateDates(range.max, timeZone, wallTime)].sort();
  const from = dates[0];
  const to = dates[dates.length - 1];
  return from && to ? { from, to } : null;
}
