// Which export dates a fetch run looks at. Dates are calendar days (YYYY-MM-DD) in the pipeline's
// time zone: a vendor in New York names its 2026-03-01 export after New York's day, whatever the
// UTC clock says when the scheduler fires.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface ExportDateOptions {
  // An explicit export date from the trigger: it IS the export date (no offset applied). When absent,
  // "today" in `timeZone` at `now`, plus `dateOffsetDays`.
  date?: string;
  now: Date;
  // IANA zone; UTC when the pipeline has no schedule.
  timeZone?: string;
  dateOffsetDays: number;
  lookbackDays: number;
}

// Today's calendar date in a time zone, as YYYY-MM-DD.
export function calendarDateIn(timeZone: string, now: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const part = (type: 'year' | 'month' | 'day') => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

// Calendar arithmetic on a date with no time zone: done in UTC, where every day has 24 hours.
export function addDays(date: string, days: number): string {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  const [, y, m, d] = match as unknown as [string, string, string, string];
  const utc = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d) + days));
  return utc.toISOString().slice(0, 10);
}

// "2026-03-01" → "20260301": the form used in directory names and in object names (a run's files
// sit under `<yyyyMMdd>/`).
export function compactDate(date: string): string {
  return date.replaceAll('-', '');
}

export function isValidDate(date: string): boolean {
  const match = ISO_DATE.exec(date);
  if (!match) return false;
  return addDays(date, 0) === date; // rejects 2026-02-30 and friends, which Date.UTC would roll over
}

// The export dates to look at, oldest first: `lookbackDays` days ending at the trigger's date, or at
// today + offset.
export function exportDates(options: ExportDateOptions): string[] {
  const last = options.date ?? addDays(calendarDateIn(options.timeZone ?? 'UTC', options.now), options.dateOffsetDays);
  const count = Math.max(1, options.lookbackDays);
  const dates: string[] = [];
  for (let back = count - 1; back >= 0; back--) dates.push(addDays(last, -back));
  return dates;
}
