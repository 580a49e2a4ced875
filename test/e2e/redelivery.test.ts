// Every message delivered twice: one after the other (Pub/Sub redelivering a message whose ack was
// lost) and at the same time (a redelivery racing the first attempt after an ack deadline). Either
// way the tables and roll-ups come out exactly as with single delivery, and one report is mailed.
import { afterAll, describe, expect, it } from 'vitest';
import { startDemoHarness, type DemoHarness } from './demo-harness';
import { expectRollupsMatchSql, tableCounts } from './assertions';

const DATES = ['2026-10-05', '2026-10-06'];

describe.each(['sequential', 'concurrent'] as const)('every message delivered twice (%s)', (mode) => {
  let h: DemoHarness | undefined;
  afterAll(async () => h?.close());

  it('loads each row once and counts each roll-up once', async () => {
    h = await startDemoHarness({ deliverTwice: mode });
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
});
