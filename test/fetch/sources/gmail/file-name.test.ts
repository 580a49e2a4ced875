// Unit tests: where a mail's attachment lands (date from the mail, names safe for object names).
import { describe, expect, it } from 'vitest';
import { itemPath, mailDate, messagePath, safeFileName } from '../../../../functions/fetch/sources/gmail/file-name';
import { fileLocationProblem, objectName } from '../../../../shared/object-names';

const at = { pipeline: 'finance', runId: 'sched-20260302T0400Z' };

describe('gmail file names', () => {
  it('dates a file by the mail Date header in the source time zone, else by internalDate', () => {
    // 23:30 in New York on 1 March is 04:30 UTC on 2 March.
    expect(mailDate('Sun, 1 Mar 2026 23:30:00 -0500', '0', 'America/New_York')).toBe('2026-03-01');
    expect(mailDate('Sun, 1 Mar 2026 23:30:00 -0500', '0', 'UTC')).toBe('2026-03-02');
    expect(mailDate('not a date', String(Date.parse('2026-05-05T12:00:00Z')), 'Asia/Tokyo')).toBe('2026-05-05');
    expect(mailDate(undefined, String(Date.parse('2026-05-05T20:00:00Z')), 'Asia/Tokyo')).toBe('2026-05-06');
  });

  it('makes a name safe: no separators, controls, NUL, line separators, lone surrogates, dot names', () => {
    expect(safeFileName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(safeFileName('a\u0000b\r\nc\u2028d\u2029e\u0085f\\g.csv')).toBe('a_b__c_d_e_f_g.csv');
    expect(safeFileName('bad\uD800.csv')).toBe('bad\uFFFD.csv');
    expect(safeFileName('..')).toBe('attachment');
    expect(safeFileName('  ')).toBe('attachment');
    expect(safeFileName('Preise Änderung.xlsx')).toBe('Preise Änderung.xlsx');
  });

  it('lays out <yyyyMMdd>/<yyyyMMdd>_<name>, which the layout accepts', () => {
    const path = itemPath({ ...at, date: '2026-03-01', fileName: 'prices/march.xlsx' });
    expect(path).toBe('20260301/20260301_prices_march.xlsx');
    expect(fileLocationProblem({ ...at, path })).toBeNull();
    expect(messagePath('2026-03-01', '18c3f0a1b2')).toBe('20260301/20260301_18c3f0a1b2.eml');
  });

  it('shortens a long name (keeping its extension) until every derived object name fits 1,024 bytes', () => {
    const long = `${'é'.repeat(600)}.xlsx`;
    const path = itemPath({ ...at, date: '2026-03-01', fileName: long });
    expect(path.endsWith('.xlsx')).toBe(true);
    expect(path.startsWith('20260301/20260301_éé')).toBe(true);
    expect(fileLocationProblem({ ...at, path })).toBeNull();
    expect(Buffer.byteLength(objectName('raw', { ...at, path }))).toBeLessThanOrEqual(1024);
    // It keeps as much as fits: a little longer would not.
    expect(Buffer.byteLength(objectName('raw', { ...at, path }))).toBeGreaterThan(900);
  });
});
