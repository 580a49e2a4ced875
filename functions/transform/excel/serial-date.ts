// Excel serial numbers → calendar date and time of day. A serial counts days (the fraction is the
// time of day) from an epoch that depends on the workbook's date system:
// - 1900 (the default): day 1 is 1900-01-01, and day 60 is 1900-02-29, a day that never existed
//   (Lotus 1-2-3 took 1900 for a leap year and Excel kept it), so from day 61 on the epoch is
//   1899-12-30. Day 60 has no calendar date: callers stage it as NULL and say so.
// - 1904 (workbook property date1904, old Mac Excel): day 0 is 1904-01-01, no phantom day.
// The time is rounded to the nearest second before anything else, so a float a hair below 09:07:00
// (0.37986111111111109) is 09:07:00, and 23:59:59.9996 rolls over to the next day's 00:00:00.

export interface WallClock {
  // 'YYYY-MM-DD'
  date: string;
  // 'HH:MM:SS'
  time: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const DAY_MS = 86_400_000;
const EPOCH_1900_EARLY = Date.UTC(1899, 11, 31);
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);
const PHANTOM_DAY = 60;

// null: the serial names no real instant (Excel's 1900-02-29, or a negative 1900-system serial).
export function serialToWallClock(serial: number, date1904: boolean): WallClock | null {
  if (!Number.isFinite(serial)) return null;
  const totalSeconds = Math.round(serial * 86_400);
  const days = Math.floor(totalSeconds / 86_400);
  const seconds = totalSeconds - days * 86_400;
  let epoch: number;
  if (date1904) epoch = EPOCH_1904;
  else if (days < 0 || days === PHANTOM_DAY) return null;
  else epoch = days < PHANTOM_DAY ? EPOCH_1900_EARLY : EPOCH_1900;
  const at = new Date(epoch + days * DAY_MS + seconds * 1000);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth() + 1;
  const day = at.getUTCDate();
  const hour = at.getUTCHours();
  const minute = at.getUTCMinutes();
  const second = at.getUTCSeconds();
  return {
    date: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    time: `${pad(hour)}:${pad(minute)}:${pad(second)}`,
    year, month, day, hour, minute, second,
  };
}

// A time of day or a duration needs no calendar: only the rounded seconds of the serial.
export function serialSeconds(serial: number): number {
  return Math.round(serial * 86_400);
}

export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
