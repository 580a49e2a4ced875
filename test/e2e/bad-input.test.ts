// A malformed CSV and a file no rule matches, in the same drop as good files: both quarantined with
// clear reasons on the run record, the others loaded, the run partial, an alert mailed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoHarness, type DemoHarness } from './demo-harness';

const DATE = '2026-09-14';
let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness();
});
afterAll(async () => h?.close());

it('quarantines what cannot load, loads the rest and alerts', async () => {
  const fixture = h.generate([DATE], 40, 3);
  const dir = path.join(h.exportRoot, DATE.replace(/-/g, ''));
  // A ragged row on line 4 of the payments file; and a file nobody declared a rule for.
  const payments = fs.readFileSync(path.join(dir, 'PaymentDetails.csv'), 'utf8').split('\r\n');
  payments.splice(3, 1, 'broken-row,with,too,many,fields,here,and,more');
  fs.writeFileSync(path.join(dir, 'PaymentDetails.csv'), payments.join('\r\n'));
  fs.writeFileSync(path.join(dir, 'TimeEntries.csv'), 'Employee,Clock In\r\nAvery,2026-09-14 10:58:00\r\n');

  const run = await h.runOnce({ date: DATE });
  expect(run.run.status).toBe('partial');
  expect(run.run.counts).toMatchObject({ loaded: 2, quarantined: 2 });

  const bad = run.files.filter((f) => f.status === 'quarantined');
  const byName = Object.fromEntries(bad.map((f) => [path.basename(f.name), f]));
  expect(byName['PaymentDetails.csv']?.error?.message).toMatch(/row 3|line 4/i);
  expect(byName['TimeEntries.csv']?.error?.message).toMatch(/no import rule/i);

  const [quarantined] = await h.deployment.storage.bucket(h.deployment.bucket).getFiles({ prefix: `quarantine/${h.pipeline.name}/` });
  expect(quarantined.map((f) => path.basename(f.name)).sort()).toEqual(['PaymentDetails.csv', 'TimeEntries.csv']);

  const { rows } = await h.db.query('select count(*)::int as n from pos.orders');
  expect(rows[0].n).toBe(fixture.rows.orders);

  const alert = (await h.mailsFor(run.run.runId)).find((m) => /TimeEntries\.csv/.test(m.text ?? '') || /TimeEntries\.csv/.test(String(m.html)));
  expect(alert, 'alert e-mail naming the quarantined files').toBeDefined();
  const body = `${alert?.text ?? ''}${String(alert?.html ?? '')}`;
  expect(body).toContain('PaymentDetails.csv');
});
