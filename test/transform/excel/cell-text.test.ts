import { describe, expect, it } from 'vitest';
import { CellText } from '../../../functions/transform/excel/cell-text';
import { numberKind } from '../../../functions/transform/excel/number-format';
import { plainNumber } from '../../../functions/transform/excel/plain-number';
import { serialToWallClock } from '../../../functions/transform/excel/serial-date';

const serialOf = (iso: string) => Date.parse(`${iso}Z`) / 86_400_000 + 25_569;

describe('plainNumber', () => {
  it.each([
    [0.1 + 0.2, '0.3'], [1e21, '1000000000000000000000'], [1e-7, '0.0000001'], [-123.456, '-123.456'],
    [12345678901234567, '12345678901234600'], [100, '100'], [0, '0'], [-0, '0'], [123456789012345.6, '123456789012346'], [NaN, null],
  ])('%s → %s', (value, text) => expect(plainNumber(value)).toBe(text));
});

describe('numberKind (ssf)', () => {
  it.each([
    ['General', 'number'], ['0.00', 'number'], ['0%', 'number'], ['@', 'number'], ['"Date" 0', 'number'],
    ['yyyy-mm-dd', 'date'], ['m/d/yy', 'date'], ['[$-409]mmmm d, yyyy;@', 'date'],
    ['yyyy-mm-dd hh:mm:ss', 'datetime'], ['m/d/yy h:mm', 'datetime'], ['dd/mm/yyyy\\ hh:mm', 'datetime'],
    ['h:mm:ss', 'time'], ['hh:mm AM/PM', 'time'], ['mm:ss', 'time'], ['[h]:mm:ss', 'duration'],
  ])('%s is %s', (code, kind) => expect(numberKind(code)).toBe(kind));
});

describe('serialToWallClock', () => {
  it('knows the 1900 system, its phantom 1900-02-29, and the 1904 system', () => {
    expect(serialToWallClock(1, false)?.date).toBe('1900-01-01');
    expect(serialToWallClock(59, false)?.date).toBe('1900-02-28');
    expect(serialToWallClock(60, false)).toBeNull();
    expect(serialToWallClock(61, false)?.date).toBe('1900-03-01');
    expect(serialToWallClock(0, true)?.date).toBe('1904-01-01');
    expect(serialToWallClock(serialOf('2026-03-09T00:00:00') - 1462, true)?.date).toBe('2026-03-09');
  });

  it('rounds to the nearest second, rolling over midnight', () => {
    expect(serialToWallClock(serialOf('2026-03-09T09:07:00') - 1e-9, false)?.time).toBe('09:07:00');
    expect(serialToWallClock(serialOf('2026-03-10T00:00:00') - 1e-9, false)).toMatchObject({ date: '2026-03-10', time: '00:00:00' });
  });
});

describe('CellText', () => {
  const ny = new CellText({ date1904: false, timeZone: 'America/New_York' });
  it('stages date-times with the zone offset at that local time', () => {
    expect(ny.number(serialOf('2026-03-07T09:00:00'), 'yyyy-mm-dd hh:mm')).toBe('2026-03-07T09:00:00-05:00');
    expect(ny.number(serialOf('2026-03-09T09:07:00'), 'yyyy-mm-dd hh:mm')).toBe('2026-03-09T09:07:00-04:00');
    // The hour skipped when DST starts takes the offset before the change; the repeated hour the first.
    expect(ny.number(serialOf('2026-03-08T02:30:00'), 'yyyy-mm-dd hh:mm')).toBe('2026-03-08T02:30:00-05:00');
    expect(ny.number(serialOf('2026-11-01T01:30:00'), 'yyyy-mm-dd hh:mm')).toBe('2026-11-01T01:30:00-04:00');
    expect(new CellText({ date1904: false, timeZone: 'Asia/Kolkata' }).number(serialOf('2026-03-09T09:07:00'), 'm/d/yy h:mm')).toBe('2026-03-09T09:07:00+05:30');
  });

  it('stages dates, times and durations as text, and counts what it cannot stage', () => {
    const cells = new CellText({ date1904: false, timeZone: 'UTC' });
    expect(cells.number(serialOf('2026-03-09T09:07:00'), 'yyyy-mm-dd hh:mm')).toBe('2026-03-09T09:07:00Z');
    expect(cells.number(serialOf('2026-03-09T18:00:00'), 'yyyy-mm-dd')).toBe('2026-03-09');
    expect(cells.number((9 * 3600 + 7 * 60) / 86400 - 1e-9, 'h:mm:ss')).toBe('09:07:00');
    expect(cells.number(1.5, '[h]:mm:ss')).toBe('36:00:00');
    expect(cells.number(60, 'yyyy-mm-dd')).toBeNull();
    expect(cells.error()).toBeNull();
    expect(cells.boolean(true)).toBe('true');
    expect([cells.errorCells, cells.impossibleDates]).toEqual([1, 1]);
    expect(cells.notes()).toHaveLength(1);
  });
});
