import { describe, expect, it } from 'vitest';
import { affectedDateRange } from '../../functions/aggregate/affected-dates';
import { bucketDocId } from '../../functions/aggregate/rollup-documents';
import { rollupQuery } from '../../functions/aggregate/rollup-sql';

const NY = 'America/New_York';

describe('affected dates', () => {
  it('dates instants in the aggregate time zone', () => {
    expect(affectedDateRange({ min: '2026-11-21T22:00:00Z', max: '2026-11-22T04:30:00Z' }, NY, false)).toEqual({ from: '2026-11-21', to: '2026-11-21' });
    expect(affectedDateRange({ min: '2026-11-21T04:59:00Z', max: '2026-11-22T05:00:00Z' }, NY, false)).toEqual({ from: '2026-11-20', to: '2026-11-22' });
  });

  it('takes a wall time by its own date, and both readings when it carries an offset', () => {
    expect(affectedDateRange({ min: '2026-11-21 23:30:00', max: '2026-11-21T23:59:59' }, NY, true)).toEqual({ from: '2026-11-21', to: '2026-11-21' });
    expect(affectedDateRange({ min: '2026-11-21', max: '2026-11-23' }, NY, true)).toEqual({ from: '2026-11-21', to: '2026-11-23' });
    expect(affectedDateRange({ min: '2026-11-21T02:00:00.000Z', max: '2026-11-21T02:00:00.000Z' }, NY, true)).toEqual({ from: '2026-11-20', to: '2026-11-21' });
  });

  it('has no range for a missing or unreadable one', () => {
    expect(affectedDateRange(undefined, NY, false)).toBeNull();
    expect(affectedDateRange({ min: 'soon', max: 'later' }, NY, false)).toBeNull();
  });
});

describe('roll-up SQL and document ids', () => {
  it('quotes identifiers and binds the zone and dates', () => {
    const q = rollupQuery({ name: 'a', table: 'order_items', time: 'ordered_at', timeZone: NY, by: ['category'], granularities: ['hour'], sum: ['line_total'] }, 'pos', 'timestamptz', 'hour', { from: '2026-11-21', to: '2026-11-22' });
    expect(q.values).toEqual([NY, '2026-11-21', '2026-11-22']);
    expect(q.text).toContain('"pos"."order_items"');
    expect(q.text).not.toContain(NY);
    expect(q.text).not.toContain('2026-11-21');
  });

  it('makes deterministic, distinct, Firestore-safe ids', () => {
    const a = bucketDocId('date', '2026-11-21', { category: 'Beer/Wine' });
    expect(a).toBe(bucketDocId('date', '2026-11-21', { category: 'Beer/Wine' }));
    expect(a).not.toContain('/');
    expect(a).not.toBe(bucketDocId('date', '2026-11-21', { category: null }));
    expect(bucketDocId('date', '2026-11-21', { category: 'null' })).not.toBe(bucketDocId('date', '2026-11-21', { category: null }));
  });
});
