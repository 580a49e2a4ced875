// The demo's supplier workbooks end to end on the local cloud: SFTP → Cloud Storage → transform (the
// streaming XLSX reader and SheetJS for the legacy .xls, by content) → PostgreSQL (merge by item code,
// append) → run record. Real clients, servers and parsers throughout.
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBackOfficeFiles } from '../../emulator/demo/back-office-files';
import type { FinishedRun } from '../../emulator/run-watch';
import { startDemoHarness, type DemoHarness } from './demo-harness';

// A Friday, and the Monday after it (the next week's price list).
const FRIDAY = '2026-11-20';
const MONDAY = '2026-11-23';

async function columnTypes(h: DemoHarness, table: string): Promise<Record<string, string>> {
  const { rows } = await h.db.query<{ column_name: string; data_type: string }>(
    `select column_name, data_type from information_schema.columns where table_schema = 'pos' and table_name = $1`, [table],
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
}

describe('supplier workbooks end to end', () => {
  let h: DemoHarness;
  let first: FinishedRun;

  beforeAll(async () => {
    h = await startDemoHarness();
    h.generate([FRIDAY], 10);
    const exportId = sftpSourceOf(h.pipeline).params.exportId as string;
    await writeBackOfficeFiles({ root: h.exportRoot.replace(/\/exports\/[^/]+$/, ''), exportId, date: FRIDAY });
    first = await h.runOnce({ date: FRIDAY });
  });
  afterAll(async () => h?.close());

  it('loads the POS CSVs, the .xlsx price list and the .xls delivery note in one run', () => {
    expect(first.run.status).toBe('succeeded');
    expect(first.run.counts.loaded).toBe(5);
    const byRule = Object.fromEntries(first.files.map((f) => [f.name.split('/').pop(), f]));
    expect(Object.keys(byRule).sort()).toEqual(['DN41120.xls', 'ItemSelectionDetails.csv', 'OrderDetails.csv', 'PaymentDetails.csv', 'PriceList_20261116.xlsx']);
  });

  it('reads the price list below its title block, typed, and stops at the blank row above the notes', async () => {
    const { rows } = await h.db.query(`select item_code, unit, unit_price::text, currency, valid_from::text from pos.supplier_prices order by item_code`);
    expect(rows).toHaveLength(14);
    expect(rows.every((r) => r.currency === 'USD' && r.valid_from === '2026-11-16')).toBe(true);
    expect(rows.find((r) => r.item_code === 'BEEF-GRD-80')?.unit).toBe('lb');
    expect(await columnTypes(h, 'supplier_prices')).toMatchObject({ item_code: 'text', unit_price: 'numeric', valid_from: 'date' });
  });

  it('reads the legacy delivery note without its letterhead and TOTAL row, times in the rule\'s zone', async () => {
    const { rows } = await h.db.query(
      `select line, product_code, qty, line_total::float8 as total,
              to_char(delivered_at at time zone 'America/New_York', 'YYYY-MM-DD HH24:MI') as local
         from pos.dairy_deliveries order by line`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => typeof r.line === 'number' && r.product_code !== null)).toBe(true);
    // Deliveries arrive 5:30–7:00 local time on the note's date.
    for (const r of rows) expect(r.local).toMatch(/^2026-11-20 0(5:[3-5]\d|6:\d\d|7:00)$/);
    expect(await columnTypes(h, 'dairy_deliveries')).toMatchObject({ product_code: 'text', delivered_at: 'timestamp with time zone' });
  });

  it("merges next week's price list into the same rows by item code", async () => {
    h.generate([MONDAY], 10);
    const exportId = sftpSourceOf(h.pipeline).params.exportId as string;
    await writeBackOfficeFiles({ root: h.exportRoot.replace(/\/exports\/[^/]+$/, ''), exportId, date: MONDAY });
    const next = await h.runOnce({ date: MONDAY });
    expect(next.run.status).toBe('succeeded');
    const prices = next.files.find((f) => f.name.endsWith('PriceList_20261123.xlsx'));
    expect(prices?.stages?.load?.details).toMatchObject({ mode: 'merge', inserted: 0, updated: 14 });
    const { rows } = await h.db.query(`select count(*)::int as n, min(valid_from)::text as since from pos.supplier_prices`);
    expect(rows[0]).toEqual({ n: 14, since: '2026-11-23' });
  });
});
