// The aggregate stage against real PostgreSQL and the Firestore emulator: roll-up documents equal a
// SQL GROUP BY, replays and either processing order give the same documents, stale buckets go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAggregate } from '../../functions/aggregate/handler';
import { bucketsCollection } from '../../functions/aggregate/rollup-documents';
import { TransientError } from '../../shared/errors';
import type { Pipeline } from '../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

const ZONE = 'America/New_York';

let world: StageTestWorld;

const aggregates = [
  { name: 'sales-by-category', table: 'order_items', time: 'ordered_at', timeZone: ZONE, by: ['category'], granularities: ['hour', 'date'] as Array<'hour' | 'date'>, sum: ['quantity', 'line_total'] },
  { name: 'payments-by-method', table: 'payments', time: 'paid_at', timeZone: ZONE, by: ['method'], granularities: ['date'] as Array<'hour' | 'date'>, sum: ['amount', 'tip'] },
];

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'agg', database: true });
  await world.db.query(`
    create table order_items (order_id text, category text, quantity integer, line_total numeric(12,2), ordered_at timestamptz);
    create table payments (payment_id text, method text, amount numeric(12,2), tip numeric(12,2), paid_at timestamp);
    create table notes (note text);
  `);
});

afterAll(async () => {
  await world?.stop();
});

type Row = [orderId: string, category: string | null, quantity: number, lineTotal: string, orderedAt: string];

// File A: 2026-11-21 in New York, including 23:30 local (04:30 UTC the next day).
const FILE_A: Row[] = [
  ['a1', 'Food', 2, '24.50', '2026-11-21T17:05:00-05:00'],
  ['a1', 'Drinks', 1, '6.00', '2026-11-21T17:06:00-05:00'],
  ['a2', 'Food', 1, '12.25', '2026-11-21T18:40:00-05:00'],
  ['a3', 'Beer/Wine', 3, '27.00', '2026-11-21T23:30:00-05:00'],
  ['a4', null, 1, '1.00', '2026-11-21T18:59:59-05:00'],
];
// File B overlaps A's date and reaches into the next.
const FILE_B: Row[] = [
  ['b1', 'Food', 4, '49.00', '2026-11-21T18:10:00-05:00'],
  ['b2', 'Drinks', 2, '12.00', '2026-11-22T00:15:00-05:00'],
  ['b3', 'Food', 1, '12.25', '2026-11-22T12:00:00-05:00'],
];

async function insertItems(rows: Row[]): Promise<void> {
  for (const row of rows) await world.db.query('insert into order_items values ($1, $2, $3, $4, $5)', row);
}

function rangeOf(rows: Row[]): { min: string; max: string } {
  const instants = rows.map((r) => new Date(r[4]).toISOString()).sort();
  return { min: instants[0]!, max: instants.at(-1)! };
}

function loaded(pipeline: Pipeline, runId: string, fileKey: string, table: string, timeRanges: Record<string, { min: string; max: string }>, rows = 1) {
  return {
    v: 1, type: 'sluice.loaded', pipeline: pipeline.name, runId, fileKey,
    raw: { bucket: 'b', object: `raw/${pipeline.name}/${runId}/${fileKey}.csv`, generation: '1' },
    table, rule: table, rows, timeRanges,
  };
}

interface BucketView {
  granularity: string;
  bucket: string;
  dims: Record<string, string | null>;
  count: number;
  sums: Record<string, number>;
}

async function docsOf(pipeline: Pipeline, aggregate: string): Promise<Map<string, BucketView & Record<string, unknown>>> {
  const snap = await bucketsCollection(world.clients.firestore, pipeline.name, aggregate).get();
  return new Map(snap.docs.map((d) => [d.id, d.data() as BucketView & Record<string, unknown>]));
}

// What SQL says, computed independently of the stage's own query.
async function expectedSales(): Promise<BucketView[]> {
  const result = await world.db.query<{ granularity: string; bucket: string; category: string | null; n: string; q: string; t: string }>(`
    select 'date' as granularity, (ordered_at at time zone '${ZONE}')::date::text as bucket, category, count(*) as n, sum(quantity) as q, sum(line_total) as t
      from order_items group by 1, 2, 3
    union all
    select 'hour', to_char(ordered_at at time zone '${ZONE}', 'YYYY-MM-DD"T"HH24'), category, count(*), sum(quantity), sum(line_total)
      from order_items group by 1, 2, 3`);
  return result.rows.map((r) => ({ granularity: r.granularity, bucket: r.bucket, dims: { category: r.category }, count: Number(r.n), sums: { quantity: Number(r.q), line_total: Number(r.t) } }));
}

function view(docs: Map<string, BucketView & Record<string, unknown>>): BucketView[] {
  return [...docs.values()].map((d) => ({ granularity: d.granularity, bucket: d.bucket, dims: d.dims, count: d.count, sums: d.sums }));
}

const sorted = (buckets: BucketView[]) => [...buckets].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function newHarness(): Promise<StageHarness> {
  return stageHarness(world, testPipeline(world, { aggregates }));
}

describe('aggregate stage', () => {
  let h: StageHarness;
  let snapshot: Map<string, BucketView & Record<string, unknown>>;

  it('sets roll-up documents equal to a SQL GROUP BY, ends the file and completes the run', async () => {
    h = await newHarness();
    await insertItems(FILE_A);
    await h.startRun('run-a', [{ fileKey: 'fa', name: 'Items-A.csv' }]);
    await h.deliver('aggregate', handleAggregate, loaded(h.pipeline, 'run-a', 'fa', 'order_items', { ordered_at: rangeOf(FILE_A) }, FILE_A.length));

    snapshot = await docsOf(h.pipeline, 'sales-by-category');
    expect(sorted(view(snapshot))).toEqual(sorted(await expectedSales()));
    // 23:30 New York is the 21st there although it is the 22nd in UTC.
    const late = [...snapshot.values()].find((d) => d.dims.category === 'Beer/Wine' && d.granularity === 'hour');
    expect(late).toMatchObject({ bucket: '2026-11-21T23', date: '2026-11-21', hour: 23, lastRunId: 'run-a' });
    expect([...snapshot.values()].some((d) => d.dims.category === null)).toBe(true);
    for (const id of snapshot.keys()) expect(id).toMatch(/^(hour|date)_[0-9T-]+_[0-9a-f]{24}$/);

    const [file] = await h.files('run-a');
    expect(file?.status).toBe('loaded');
    expect(file?.stages.aggregate?.details).toMatchObject({ buckets: snapshot.size });
    await h.waitForEvents(1);
    expect(h.events[0]).toMatchObject({ type: 'sluice.run-complete', runId: 'run-a' });
  });

  it('the same message twice leaves the same documents', async () => {
    await h.deliver('aggregate', handleAggregate, loaded(h.pipeline, 'run-a', 'fa', 'order_items', { ordered_at: rangeOf(FILE_A) }, FILE_A.length));
    const again = await docsOf(h.pipeline, 'sales-by-category');
    expect([...again.keys()].sort()).toEqual([...snapshot.keys()].sort());
    expect(sorted(view(again))).toEqual(sorted(view(snapshot)));
    await h.close();
  });

  it('two files over overlapping dates give the same documents in either order, or at once', async () => {
    // In load order: A's roll-up ran before B's rows existed (the previous tests); now B arrives.
    const first = await newHarness();
    await first.startRun('run-ab', [{ fileKey: 'fa', name: 'Items-A.csv' }, { fileKey: 'fb', name: 'Items-B.csv' }]);
    await first.deliver('aggregate', handleAggregate, loaded(first.pipeline, 'run-ab', 'fa', 'order_items', { ordered_at: rangeOf(FILE_A) }));
    await insertItems(FILE_B);
    await first.deliver('aggregate', handleAggregate, loaded(first.pipeline, 'run-ab', 'fb', 'order_items', { ordered_at: rangeOf(FILE_B) }));

    // Both loaded, messages the other way round.
    const second = await newHarness();
    await second.startRun('run-ba', [{ fileKey: 'fa', name: 'Items-A.csv' }, { fileKey: 'fb', name: 'Items-B.csv' }]);
    await second.deliver('aggregate', handleAggregate, loaded(second.pipeline, 'run-ba', 'fb', 'order_items', { ordered_at: rangeOf(FILE_B) }));
    await second.deliver('aggregate', handleAggregate, loaded(second.pipeline, 'run-ba', 'fa', 'order_items', { ordered_at: rangeOf(FILE_A) }));

    // Both at once: the advisory lock serialises them.
    const third = await newHarness();
    await third.startRun('run-cc', [{ fileKey: 'fa', name: 'Items-A.csv' }, { fileKey: 'fb', name: 'Items-B.csv' }]);
    await Promise.all([
      third.deliver('aggregate', handleAggregate, loaded(third.pipeline, 'run-cc', 'fa', 'order_items', { ordered_at: rangeOf(FILE_A) })),
      third.deliver('aggregate', handleAggregate, loaded(third.pipeline, 'run-cc', 'fb', 'order_items', { ordered_at: rangeOf(FILE_B) })),
    ]);

    const expected = sorted(await expectedSales());
    expect(sorted(view(await docsOf(first.pipeline, 'sales-by-category')))).toEqual(expected);
    expect(sorted(view(await docsOf(second.pipeline, 'sales-by-category')))).toEqual(expected);
    expect(sorted(view(await docsOf(third.pipeline, 'sales-by-category')))).toEqual(expected);
    for (const x of [first, second, third]) {
      expect((await x.files(x === first ? 'run-ab' : x === second ? 'run-ba' : 'run-cc')).map((f) => f.status)).toEqual(['loaded', 'loaded']);
      await x.close();
    }
  });

  it('a run whose files are all delivered at once, each twice, counts each file once, completes once and rolls up what SQL says', async () => {
    // The demo's shape: every file of a run reaches aggregate within a few ms, and Pub/Sub may deliver
    // each twice. Half the files are for a table no aggregate reads (they end at once).
    const x = await newHarness();
    const items = Array.from({ length: 4 }, (_, i) => ({ fileKey: `fi${i}`, name: `Items-${i}.csv` }));
    const notes = Array.from({ length: 4 }, (_, i) => ({ fileKey: `fn${i}`, name: `Notes-${i}.csv` }));
    await x.startRun('run-many', [...items, ...notes]);
    const range = rangeOf([...FILE_A, ...FILE_B]);
    const messages = [
      ...items.map((f) => loaded(x.pipeline, 'run-many', f.fileKey, 'order_items', { ordered_at: range })),
      ...notes.map((f) => loaded(x.pipeline, 'run-many', f.fileKey, 'notes', {})),
    ];
    await Promise.all([...messages, ...messages].map((m) => x.deliver('aggregate', handleAggregate, m)));

    expect(sorted(view(await docsOf(x.pipeline, 'sales-by-category')))).toEqual(sorted(await expectedSales()));
    expect((await x.files('run-many')).map((f) => f.status)).toEqual(Array(8).fill('loaded'));
    const run = await x.run('run-many');
    expect(run).toMatchObject({ endedFiles: 8, counts: { loaded: 8, quarantined: 0, failed: 0 }, status: 'succeeded' });
    await x.waitForEvents(1);
    // Only the file that ended the run says so (its duplicate may say it again); no other file does.
    expect(new Set(x.events.map((e) => e.runId))).toEqual(new Set(['run-many']));
    await x.close();
  });

  it('removes buckets whose rows were deleted or replaced', async () => {
    const x = await newHarness();
    await x.startRun('run-1', [{ fileKey: 'fa', name: 'Items-A.csv' }]);
    await x.deliver('aggregate', handleAggregate, loaded(x.pipeline, 'run-1', 'fa', 'order_items', { ordered_at: rangeOf([...FILE_A, ...FILE_B]) }));
    const before = await docsOf(x.pipeline, 'sales-by-category');
    expect(view(before).some((b) => b.dims.category === 'Drinks')).toBe(true);

    // A replace-mode reload: the Drinks rows are gone and a Food row moved to another hour.
    await world.db.query(`delete from order_items where category = 'Drinks'`);
    await world.db.query(`update order_items set ordered_at = '2026-11-21T09:00:00-05:00' where order_id = 'a2'`);
    await x.startRun('run-2', [{ fileKey: 'fr', name: 'Items-R.csv' }]);
    await x.deliver('aggregate', handleAggregate, loaded(x.pipeline, 'run-2', 'fr', 'order_items', { ordered_at: rangeOf([...FILE_A, ...FILE_B]) }));
    const after = await docsOf(x.pipeline, 'sales-by-category');
    expect(view(after).some((b) => b.dims.category === 'Drinks')).toBe(false);
    expect(view(after).some((b) => b.bucket === '2026-11-21T09')).toBe(true);
    expect(sorted(view(after))).toEqual(sorted(await expectedSales()));
    expect((await x.files('run-2'))[0]?.stages.aggregate?.details).toMatchObject({ deleted: expect.any(Number) });
    await x.close();
  });

  it('buckets a timestamp (wall time) column by its own date', async () => {
    const x = await newHarness();
    await world.db.query(`insert into payments values
      ('p1', 'card', 30.50, 4.50, '2026-11-21 23:30:00'),
      ('p2', 'cash', 10.00, 0, '2026-11-21 00:10:00'),
      ('p3', 'card', 5.00, 1.00, '2026-11-22 08:00:00')`);
    await x.startRun('run-p', [{ fileKey: 'fp', name: 'Payments.csv' }]);
    // As node-postgres + toISOString() serialise wall times on a UTC host.
    await x.deliver('aggregate', handleAggregate, loaded(x.pipeline, 'run-p', 'fp', 'payments', { paid_at: { min: '2026-11-21T00:10:00.000Z', max: '2026-11-22T08:00:00.000Z' } }));
    const docs = view(await docsOf(x.pipeline, 'payments-by-method'));
    const expected = await world.db.query<{ d: string; method: string; n: string; a: string; t: string }>(
      `select paid_at::date::text as d, method, count(*) as n, sum(amount) as a, sum(tip) as t from payments group by 1, 2`,
    );
    expect(sorted(docs)).toEqual(sorted(expected.rows.map((r) => ({ granularity: 'date', bucket: r.d, dims: { method: r.method }, count: Number(r.n), sums: { amount: Number(r.a), tip: Number(r.t) } }))));
    await x.close();
  });

  it('a file for a table no aggregate reads just ends', async () => {
    const x = await newHarness();
    await x.startRun('run-n', [{ fileKey: 'fn', name: 'Notes.csv' }]);
    await x.deliver('aggregate', handleAggregate, loaded(x.pipeline, 'run-n', 'fn', 'notes', {}));
    const [file] = await x.files('run-n');
    expect(file?.status).toBe('loaded');
    expect(file?.stages.aggregate).toBeUndefined();
    await x.waitForEvents(1);
    await x.close();
  });

  it('an unavailable database is a transient error and names no secret', async () => {
    const pipeline = testPipeline(world, { aggregates, database: { url: { secret: 'dead-db-url' }, schema: world.schema.schema } });
    const x = await stageHarness(world, pipeline);
    await x.startRun('run-d', [{ fileKey: 'fa', name: 'Items-A.csv' }]);
    const attempt = x.deliver('aggregate', handleAggregate, loaded(pipeline, 'run-d', 'fa', 'order_items', { ordered_at: rangeOf(FILE_A) }));
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.not.toThrow(/nope/);
    expect((await x.files('run-d'))[0]?.status).not.toBe('loaded');
    expect(world.logLines.join('\n')).not.toContain('nope');
    await x.close();
  });
});
