// A wall-clock time read from a spreadsheet (which stores no zone) → an ISO-8601 instant with the
// offset that `timeZone` had at that local time, e.g. 2026-03-09T09:07:00-04:00 in America/New_York
// (Z when the offset is zero), so type inference sees timestamptz and PostgreSQL stores the right
// instant. Local times that happen twice (the hour DST ends) take the first, earlier one; local times
// that never happen (the hour skipped when DST starts) take the offset in force just before the
// change, as a clock that was not set forward would read (02:30 EST = 03:30 EDT). Offsets of local
// mean time (before a zone adopted standard time, e.g. Paris +00:09:21 until 1911, Amsterdam +00:19:32
// until 1937) are not whole minutes, which an ISO-8601 offset cannot say: such an instant is written
// in UTC (Z) instead.
import type { WallClock } from './serial-date';
import { pad } from './serial-date';

const SECOND_MS = 1000;
const QUARTER_HOUR_MS = 15 * 60 * SECOND_MS;
const DAY_MS = 86_400_000;

export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat | null;
  // Offsets (in seconds) only change at quarter-hour instants (standard time), so one lookup serves
  // each quarter hour.
  private readonly cache = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.format = timeZone === 'UTC' || timeZone === 'Etc/UTC'
      ? null
      : new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  }

  toIso(clock: WallClock): string {
    const local = Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
    const seconds = this.offsetForLocal(local);
    if (seconds % 60 !== 0) return `${new Date(local - seconds * SECOND_MS).toISOString().slice(0, 19)}Z`;
    return `${clock.date}T${clock.time}${formatOffset(seconds / 60)}`;
  }

  // Offset in seconds east of UTC for a local time given as if it were UTC.
  private offsetForLocal(local: number): number {
    if (this.format === null) return 0;
    const before = this.offsetAt(local - DAY_MS);
    const after = this.offsetAt(local + DAY_MS);
    const fits = (offset: number) => this.offsetAt(local - offset * SECOND_MS) === offset;
    const candidates = [before, after].filter(fits);
    // Both fit: the repeated hour; the earlier instant has the larger offset.
    if (candidates.length > 0) return Math.max(...candidates);
    return before;
  }

  private offsetAt(instant: number): number {
    const key = Math.floor(instant / QUARTER_HOUR_MS);
    let offset = this.cache.get(key);
    if (offset === undefined) {
      const name = this.format!.formatToParts(new Date(key * QUARTER_HOUR_MS)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
      offset = parseOffset(name);
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, offset);
    }
    return offset;
  }
}

// "GMT-04:00", "GMT+05:30", "GMT+00:09:21" (local mean time), "GMT" → seconds east of UTC.
function parseOffset(name: string): number {
  const match = /^GMT([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(name);
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0);
  return match[1] === '-' ? -seconds : seconds;
}

function formatOffset(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
