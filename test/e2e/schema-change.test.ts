// A new column appears in a later day's files: added to the table under schema 'evolve'; the file is
// quarantined, naming the column, under 'strict'.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoHarness, type DemoHarness } from './demo-harness';

let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness();
});
afterAll(async () => h?.close());

function addColumn(file: string, header: string, value: string): void {
  const lines = fs.readFileSync(file, 'utf8').split('\r\n');
  const out = lines.map((line, i) => (line === '' ? line : i === 0 ? `${line},${header}` : `${line},${value}`));
  fs.writeFileSync(file, out.join('\r\n'));
}

it('evolves order_items and quarantines payments (strict) when a column appears', async () => {
  h.generate(['2026-07-01'], 30, 1);
  const first = await h.runOnce({ date: '2026-07-01' });
  expect(first.run.status).toBe('succeeded');

  h.generate(['2026-07-02'], 30, 2);
  const dir = path.join(h.exportRoot, '20260702');
  addColumn(path.join(dir, 'ItemSelectionDetails.csv'), 'Seat', '2');
  addColumn(path.join(dir, 'PaymentDetails.csv'), 'Card Brand', 'VISA');
  const second = await h.runOnce({ date: '2026-07-02' });
  expect(second.run.status).toBe('partial');

  const items = second.files.find((f) => f.name === '20260702/ItemSelectionDetails.csv');
  const payments = second.files.find((f) => f.name === '20260702/PaymentDetails.csv');
  expect(items?.status).toBe('loaded');
  expect(payments?.status).toBe('quarantined');
  expect(payments?.error?.message).toMatch(/card_brand/);

  const { rows } = await h.db.query(
    `select column_name from information_schema.columns where table_schema = 'pos' and table_name = 'order_items' and column_name = 'seat'`,
  );
  expect(rows).toHaveLength(1);
  const { rows: seats } = await h.db.query(`select count(*)::int as n from pos.order_items where seat is not null`);
  expect(seats[0].n).toBeGreaterThan(0);
});
