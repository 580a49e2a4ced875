// Source files whose names Cloud Storage or the bucket layout cannot hold, in the same drop as the
// demo's good files, through the real SFTP server: each fails on the run with the reason, the good
// files load, and the run ends (before: U+2028 was fetched and ignored, the run never completed).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoHarness, type DemoHarness } from './demo-harness';

const DATE = '2026-09-15';
let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness();
});
afterAll(async () => h?.close());

// Legal in Linux file names, refused by the layout. (NUL, "../" and over-long names cannot exist as
// one file name on disk; test/shared/object-names.test.ts covers those.)
const BAD = ['Line\u2028Separator.csv', 'Paragraph\u2029Separator.csv', 'Carriage\r\nReturn.csv', 'Bell\u0007.csv'];

it('fails each unusable name with its reason and loads the good files', async () => {
  const fixture = h.generate([DATE], 30, 5);
  const dir = path.join(h.exportRoot, DATE.replace(/-/g, ''));
  for (const name of BAD) fs.writeFileSync(path.join(dir, name), 'Order Id\r\n1\r\n');

  const run = await h.runOnce({ date: DATE });
  expect(run.run.status).not.toBe('running');
  expect(run.run.counts).toMatchObject({ loaded: 3, failed: BAD.length });
  const failed = run.files.filter((f) => f.status === 'failed');
  expect(failed).toHaveLength(BAD.length);
  for (const file of failed) {
    expect(file.error?.stage).toBe('fetch');
    expect(file.error?.message).toMatch(/cannot be fetched: its name holds the control or line-separator character U\+(2028|2029|000D|0007)/);
    expect(`${file.name}${file.error?.message ?? ''}`).not.toMatch(/[\r\n\u2028\u2029\u0007]/);
  }

  const [objects] = await h.deployment.storage.bucket(h.deployment.bucket).getFiles({ prefix: `archive/${h.pipeline.name}/` });
  expect(objects.map((f) => path.basename(f.name)).sort()).toEqual(['ItemSelectionDetails.csv', 'OrderDetails.csv', 'PaymentDetails.csv']);
  const { rows } = await h.db.query('select count(*)::int as n from pos.orders');
  expect(rows[0].n).toBe(fixture.rows.orders);

  // A second run skips them (the first run's refusal settled their claims) instead of failing them again.
  const again = await h.runOnce({ date: DATE });
  expect(again.run.counts).toMatchObject({ loaded: 0, failed: 0 });
  expect(again.files.filter((f) => f.status === 'skipped' && /^refused by run/.test(f.skippedReason ?? ''))).toHaveLength(BAD.length);
});
