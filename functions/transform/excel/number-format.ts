// What a cell's number format code says its number is: a plain number, a calendar date, a date with a
// time of day, a time of day, or an elapsed duration ([h]:mm:ss). Recognised with SSF (SheetJS'
// maintained format-code library, the one Excel-compatible readers share), not by a hand-rolled
// grammar: `is_date` decides whether the code is a date code at all, and which parts it shows is
// learned by letting SSF render probe serials that differ only in the date, or only in the time.
import SSF from 'ssf';

export type NumberKind = 'number' | 'date' | 'datetime' | 'time' | 'duration';

// 2001-02-03 04:05:06 in the 1900 system; +397 days changes year, month, day and weekday, and
// +1:01:01 changes hour, minute and second, so any date (or time) token shows a difference.
const PROBE = 36925 + (4 * 3600 + 5 * 60 + 6) / 86400;
const OTHER_DAY = PROBE + 397;
const OTHER_TIME = PROBE + 3661 / 86400;
// Elapsed-time tokens ([h], [mm], [ss]) count past a day: the value is a duration, not a time of day.
const ELAPSED = /\[(h+|m+|s+)\]/i;

const kinds = new Map<string, NumberKind>();

export function numberKind(formatCode: string | undefined): NumberKind {
  if (formatCode === undefined || formatCode === '' || formatCode === 'General') return 'number';
  let kind = kinds.get(formatCode);
  if (kind === undefined) {
    kind = classify(formatCode);
    // Format codes come from the file; a workbook holds few distinct ones, but keep the cache bounded.
    if (kinds.size > 10_000) kinds.clear();
    kinds.set(formatCode, kind);
  }
  return kind;
}

function classify(code: string): NumberKind {
  try {
    if (!SSF.is_date(code)) return 'number';
    const shown = SSF.format(code, PROBE);
    const showsDate = SSF.format(code, OTHER_DAY) !== shown;
    const showsTime = SSF.format(code, OTHER_TIME) !== shown;
    if (showsTime && ELAPSED.test(stripLiterals(code))) return 'duration';
    if (showsDate && showsTime) return 'datetime';
    if (showsDate) return 'date';
    if (showsTime) return 'time';
    return 'number';
  } catch {
    // A code SSF cannot render is not one we can trust to be a date: the number stays a number.
    return 'number';
  }
}

// Quoted literals and backslash escapes can hold any text, "[h]" included.
function stripLiterals(code: string): string {
  return code.replace(/"[^"]*"/g, '').replace(/\\./g, '');
}
