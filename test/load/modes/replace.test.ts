// Mode replace through the real transform and load handlers (Cloud Storage emulator, real PostgreSQL):
// atomic for readers, a header-only file empties the table, an older snapshot arriving late is
// superseded, the old rows' dates go to aggregate, a redelivery loads once.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { localCloud } from '../../support/local-cloud';
import { detailsOf, loadedOf, modeTestWorld, outcomeOf } from './mode-test-world';

const world = modeTestWorld('rep');
const MON = '2024-05-06T01:00:00.000Z';
const TUE = '2024-05-07T01:00:00.000Z';
const menu = () => world.pipelineWith([{ name: 'menu', match: '^Menu', table: 'menu', mode: 'replace' }]);

// Resolves once a backend waits on a lock `holder` holds (bounded: the load's lock_timeout is far longer).
async function someoneWaitsOn(db: pg.Pool, holder: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const waiting = await db.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and $1 = any(pg_blocking_pids(pid))`, [holder]);
    if ((waiting.rowCount ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error('the load never reached the lock the test holds');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('replace', () => {
  it('is atomic: a reader during the replace sees the old rows, never an empty table, and is not blocked', async () => {
    const pipeline = menu();
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Menu.csv', 'item,price\nsoup,4.5\nbread,1\n', MON));
    // A unique index someone added: the test holds an uncommitted row with a key the new file has,
    // so the load's COPY waits on it — after its DELETE, mid-transaction, at a known point.
    await world.db.query(`create unique index on ${world.schema}.menu (item)`);
    const holder = new pg.Client({ connectionString: localCloud().databaseUrl });
    const reader = new pg.Client({ connectionString: localCloud().databaseUrl });
    await holder.connect();
    await reader.connect();
    try {
      await holder.query('begin');
      await holder.query(`insert into ${world.schema}.menu (item, price) values ('cake', 0)`);
      const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const message = await world.stage(pipeline, '/x/20240507/Menu.csv', 'item,price\ncake,3.25\ntea,2\n', TUE);
      const loading = world.load(pipeline, message);
      await someoneWaitsOn(world.db, holderPid);
      // The replace is in flight (old rows deleted in its transaction): readers still see them, at once.
      await reader.query(`set statement_timeout = '2s'`);
      const during = await reader.query(`select item from ${world.schema}.menu order by item`);
      expect(during.rows.map((r) => r.item)).toEqual(['bread', 'soup']);
      await holder.query('rollback');
      const ctx = await loading;
      expect(outcomeOf(ctx)).toBeUndefined();
      const after = await reader.query(`select item from ${world.schema}.menu order by item`);
      expect(after.rows.map((r) => r.item)).toEqual(['cake', 'tea']);
      expect(detailsOf(ctx)).toMatchObject({ mode: 'replace', written: 2, inserted: 2, deleted: 2 });
    } finally {
      await holder.end();
      await reader.end();
    }
  });

  it('a file with no rows empties the table, and the old rows\' dates go to aggregate', async () => {
    const pipeline = world.pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales', mode: 'replace' }]);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Sales.csv', 'id,sold_on\n1,2024-04-30\n2,2024-05-02\n', MON));
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Sales.csv', 'id,sold_on\n', TUE));
    expect(await world.rows('sales')).toEqual([]);
    expect(detailsOf(ctx)).toMatchObject({ written: 0, deleted: 2 });
    expect(loadedOf(ctx).timeRanges).toEqual({ sold_on: { min: '2024-04-30', max: '2024-05-02' } });
  });

  it('publishes the removed rows\' dates with the new file\'s (each column: timestamp, timestamptz, date)', async () => {
    const pipeline = world.pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales', mode: 'replace', types: { at: 'timestamptz' } }]);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Sales.csv', 'id,sold_at,at,day\n1,2024-04-29 23:30:00,2024-04-28T10:00:00Z,2024-04-27\n', MON));
    const message = await world.stage(pipeline, '/x/20240507/Sales.csv', 'id,sold_at,at,day\n2,2024-05-01 10:00:00,2024-05-01T10:00:00Z,2024-05-01\n', TUE);
    const ctx = await world.load(pipeline, message);
    expect(loadedOf(ctx).timeRanges).toMatchObject({
      sold_at: { min: '2024-04-29T23:30:00', max: expect.stringMatching(/^2024-05-01T10:00:00/) },
      at: { min: '2024-04-28T10:00:00Z', max: expect.stringMatching(/^2024-05-01T10:00:00/) },
      day: { min: '2024-04-27', max: '2024-05-01' },
    });
    // A redelivery after the commit loads nothing and publishes the same ranges.
    const again = await world.load(pipeline, message);
    expect(loadedOf(again)).toEqual(loadedOf(ctx));
    expect(await world.rows('sales')).toEqual([expect.objectContaining({ id: 2 })]);
    expect(detailsOf(again)).toMatchObject({ redelivered: true, deleted: 1, written: 1 });
  });

  it('supersedes an older snapshot arriving after a newer one: Monday late never overwrites Tuesday', async () => {
    const pipeline = menu();
    const monday = await world.stage(pipeline, '/x/20240506/Menu.csv', 'item,price\nsoup,4.5\n', MON);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Menu.csv', 'item,price\ncake,3.25\n', TUE));
    const ctx = await world.load(pipeline, monday);
    expect(outcomeOf(ctx)).toBe('superseded');
    expect(ctx.published).toEqual([]);
    expect(await world.rows('menu')).toEqual([{ item: 'cake', price: '3.25' }]);
    expect((await world.ledger()).map((l) => l.status)).toEqual(['loaded', 'superseded']);
    const again = await world.load(pipeline, monday);
    expect(outcomeOf(again)).toBe('superseded');
    expect(await world.rows('menu')).toEqual([{ item: 'cake', price: '3.25' }]);
  });

  it('loads once however often it is delivered', async () => {
    const pipeline = menu();
    const message = await world.stage(pipeline, '/x/20240506/Menu.csv', 'item,price\nsoup,4.5\nbread,1\n', MON);
    await world.load(pipeline, message);
    await world.load(pipeline, message);
    await Promise.all([world.load(pipeline, message), world.load(pipeline, message)]);
    expect(await world.rows('menu')).toHaveLength(2);
    expect(await world.ledger()).toEqual([expect.objectContaining({ status: 'loaded', rows: '2' })]);
  });
});
