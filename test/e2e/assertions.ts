// Checks shared by the end-to-end tests.
import { expect } from 'vitest';
import { AGGREGATES_COLLECTION } from '../../functions/runtime/run-record';
import type { FinishedRun } from '../../emulator/run-watch';
import type { DemoHarness } from './demo-harness';

export async function expectRollupsMatchSql(h: DemoHarness): Promise<void> {
  const snap = await h.firestore.collection(AGGREGATES_COLLECTION).doc(`${h.pipeline.name}__sales-by-category`).collection('buckets').get();
  const docs = snap.docs.map((d) => d.data() as { granularity: string; bucket: string; dims: Record<string, string>; count: number; sums: Record<string, number> });
  const daily = docs.filter((d) => d.granularity === 'date');
  const { rows } = await h.db.query(
    `select to_char(ordered_at, 'YYYY-MM-DD') as day, category, count(*)::int as count,
            sum(quantity)::float8 as quantity, sum(line_total)::float8 as line_total
       from pos.order_items group by 1, 2 order by 1, 2`,
  );
  expect(daily.length).toBe(rows.length);
  for (const row of rows) {
    const doc = daily.find((d) => d.bucket === row.day && d.dims.category === row.category);
    expect(doc, `roll-up for ${row.day} ${row.category}`).toBeDefined();
    expect(doc?.count).toBe(row.count);
    expect(doc?.sums.quantity).toBeCloseTo(row.quantity, 6);
    expect(doc?.sums.line_total).toBeCloseTo(row.line_total, 2);
  }
  const hourly = docs.filter((d) => d.granularity === 'hour');
  const { rows: hours } = await h.db.query(
    `select count(*)::int as buckets, sum(n)::int as items from
       (select date_trunc('hour', ordered_at), category, count(*) as n from pos.order_items group by 1, 2) t`,
  );
  expect(hourly.length).toBe(hours[0].buckets);
  expect(hourly.reduce((sum, d) => sum + d.count, 0)).toBe(hours[0].items);
}

export async function tableCounts(h: DemoHarness): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['orders', 'order_items', 'payments']) {
    const { rows } = await h.db.query(`select count(*)::int as n from pos.${table}`);
    counts[table] = rows[0].n;
  }
  return counts;
}


// A run of the demo in which every one of its files loaded.
export function expectEveryFileLoaded(run: FinishedRun, files: number): void {
  expect(run.run.status).toBe('succeeded');
  expect(run.run.expectedFiles).toBe(files);
  expect(run.run.counts.loaded).toBe(files);
  expect(run.files.every((f) => f.status === 'loaded')).toBe(true);
}
