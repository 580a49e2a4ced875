// Times as tables show them: local time with the zone named ("2026-12-01 17:05 CET"), or UTC with
// --utc. The zone's short name comes from Intl: en-US knows "EST", en-GB knows "CET"; where neither
// has a name, the offset ("GMT+5:30") is what there is.
export interface TimeStyle {
  utc: boolean;
  // Only for tests and odd hosts: the zone to show local times in (default: the process's, i.e. TZ).
  timeZone?: string;
}

function zoneName(date: Date, timeZone: string | undefined): string {
  let fallback = '';
  for (const locale of ['en-US', 'en-GB']) {
    const name = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (name !== '' && !/^GMT[+-]/.test(name)) return name;
    fallback ||= name;
  }
  return fallback;
}

export function formatTime(iso: string | undefined, style: TimeStyle, withSeconds = false): string {
  if (iso === undefined || iso === '') return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const timeZone = style.utc ? 'UTC' : style.timeZone;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  const clock = `${parts.hour}:${parts.minute}${withSeconds ? `:${parts.second}` : ''}`;
  return `${parts.year}-${parts.month}-${parts.day} ${clock} ${style.utc ? 'UTC' : zoneName(date, timeZone)}`;
}

// 950 → "950ms", 61_000 → "1m 1s", 3_720_000 → "1h 2m".
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

// --since / --until: an instant (2026-12-01T08:00:00Z), a date (2026-12-01, local midnight), or an
// age back from now (90s, 30m, 2h, 7d). The API takes instants.
export function parseInstant(value: string, now: Date = new Date()): string | undefined {
  const age = /^(\d+)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (age) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[age[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(age[1]) * unit).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T00:00:00`);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return undefined;
}
