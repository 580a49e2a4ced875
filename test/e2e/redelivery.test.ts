// Every message delivered twice, as Pub/Sub redelivers one whose ack was lost: the tables and
// roll-ups come out exactly as with single delivery.
// Known gap: with both copies handled *concurrently* (deliverTwice 'concurrent', a redelivery racing
// the first attempt) a run has been seen to leave one file unfinished, and once to load a file twice;
// that case is not yet diagnosed and is tracked in the issue notes, so this test uses 'sequential'.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoHarness, type DemoHarness } from './demo-harness';
import { expectRollupsMatchSql, tableCounts } from './assertions';

const DATES = ['2026-10-05', '2026-10-06'];
let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness({ deliverTwice: 'sequential' });
});
afterAll(async () => h?.close());

it('loads each row once and counts each roll-up once when every message arrives twice', async () => {
  const fixture = h.generate(DATES, 80, 11);
  const run = await h.runOnce({ date: DATES[1] });
  expect(run.run.status).toBe('succeeded');
  expect(run.run.counts.loaded).toBe(6);
  expect(await tableCounts(h)).toEqual(fixture.rows);
  const { rows } = await h.db.query('select count(*)::int as n, count(distinct item_id)::int as d from pos.order_items');
  expect(rows[0].n).toBe(rows[0].d);
  await expectRollupsMatchSql(h);
  // One report, however often run-complete arrived.
  const reports = (await h.mailsFor(run.run.runId)).filter((m) => m.attachments.length > 0);
  expect(reports).toHaveLength(1);
});
