// Mode merge through the real transform and load handlers (Cloud Storage emulator, real PostgreSQL):
// inserts new keys, rewrites only changed rows (unchanged ones keep their lineage), deleteMissing,
// the per-key ordering guard (a late older file never overwrites or deletes what a newer one wrote),
// the old values' dates in the LoadedMessage, a redelivery loads once.
import { Readable } from 'node:stream';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { copyStagedFile } from '../../../functions/load/copy-into-table';
import { mergeMode } from '../../../functions/load/modes/merge';
import { detailsOf, loadedOf, modeTestWorld, outcomeOf } from './mode-test-world';

const world = modeTestWorld('mrg');
const MON = '2024-05-06T01:00:00.000Z';
const TUE = '2024-05-07T01:00:00.000Z';
const WED = '2024-05-08T01:00:00.000Z';
const prices = (deleteMissing = false) => world.pipelineWith([
  { name: 'prices', match: '^Prices', table: 'prices', mode: 'merge', key: ['item'], deleteMissing, types: { item: 'text' } },
]);
const lineage = async () => Object.fromEntries((await world.db.query(`select item, _sluice_load::text as l from ${world.schema}.prices`)).rows.map((r) => [r.item, r.l]));

// The client, but with `race` run (and committed, by another connection) just before the first
// statement matching `statement`: a writer outside Sluice acting between merge's plan and its rewrite.
function racingClient(client: pg.PoolClient, statement: RegExp, race: () => Promise<unknown>): pg.PoolClient {
  const query = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
  return new Proxy(client, {
    get: (t, p) => (p === 'query'
      ? async (text: string, values?: unknown[]) => {
        if (statement.test(text)) await race();
        return query(text, values);
      }
      : Reflect.get(t, p)),
  });
}

describe('merge', () => {
  it('inserts new keys, updates changed rows only, counts unchanged ones and keeps their lineage', async () => {
    const pipeline = prices();
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price,valid_on\na,1,2024-05-01\nb,2,2024-04-01\nc,3,2024-05-01\n', MON));
    const before = await lineage();
    const message = await world.stage(pipeline, '/x/20240507/Prices.csv', 'item,price,valid_on\na,1,2024-05-01\nb,5,2024-05-02\nd,4,2024-05-02\nd,6,2024-05-03\n', TUE);
    const ctx = await world.load(pipeline, message);
    expect(await world.rows('prices')).toEqual([
      { item: 'a', price: 1, valid_on: new Date('2024-05-01T00:00:00') },
      { item: 'b', price: 5, valid_on: new Date('2024-05-02T00:00:00') },
      { item: 'c', price: 3, valid_on: new Date('2024-05-01T00:00:00') },
      { item: 'd', price: 6, valid_on: new Date('2024-05-03T00:00:00') },
    ]);
    expect(detailsOf(ctx)).toMatchObject({ mode: 'merge', written: 4, inserted: 1, updated: 1, unchanged: 1, deleted: 0, supersededKeys: 0 });
    const after = await lineage();
    expect(after.a).toBe(before.a);
    expect(after.c).toBe(before.c);
    expect(after.b).not.toBe(before.b);
    expect(after.d).toBe(after.b);
    // b moved from 2024-04-01 to 2024-05-02: its old date is recomputed too.
    expect(loadedOf(ctx).timeRanges).toEqual({ valid_on: { min: '2024-04-01', max: '2024-05-03' } });
    // Redelivered: nothing loaded again, same counts and ranges.
    const again = await world.load(pipeline, message);
    expect(loadedOf(again)).toEqual(loadedOf(ctx));
    expect(detailsOf(again)).toMatchObject({ redelivered: true, inserted: 1, updated: 1, unchanged: 1 });
    expect((await world.ledger()).map((l) => l.status)).toEqual(['loaded', 'loaded']);
  });

  it('deleteMissing deletes the rows whose key the snapshot lacks, and publishes their dates', async () => {
    const pipeline = prices(true);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price,valid_on\na,1,2024-05-01\nb,2,2024-03-01\n', MON));
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Prices.csv', 'item,price,valid_on\na,1,2024-05-01\nc,3,2024-05-04\n', TUE));
    expect((await world.rows('prices')).map((r) => r.item)).toEqual(['a', 'c']);
    expect(detailsOf(ctx)).toMatchObject({ inserted: 1, updated: 0, unchanged: 1, deleted: 1 });
    expect(loadedOf(ctx).timeRanges).toEqual({ valid_on: { min: '2024-03-01', max: '2024-05-04' } });
    // An empty snapshot empties the table.
    const empty = await world.load(pipeline, await world.stage(pipeline, '/x/20240508/Prices.csv', 'item,price,valid_on\n', WED));
    expect(await world.rows('prices')).toEqual([]);
    expect(detailsOf(empty)).toMatchObject({ deleted: 2 });
  });

  it('per key: Monday\'s file arriving after Tuesday\'s never overwrites what Tuesday wrote, and still adds its own keys', async () => {
    const pipeline = prices();
    await world.load(pipeline, await world.stage(pipeline, '/x/20240505/Prices.csv', 'item,price\na,1\nb,1\n', '2024-05-05T01:00:00.000Z'));
    const monday = await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,2\nb,2\ne,2\n', MON);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Prices.csv', 'item,price\na,3\n', TUE));
    const ctx = await world.load(pipeline, monday);
    expect(outcomeOf(ctx)).toBeUndefined();
    // a: Tuesday's value stays; b: Monday's is newer than Sunday's; e: new.
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 3 }, { item: 'b', price: 2 }, { item: 'e', price: 2 }]);
    expect(detailsOf(ctx)).toMatchObject({ inserted: 1, updated: 1, unchanged: 0, supersededKeys: 1 });
  });

  it('per key: a late full snapshot never deletes rows a newer file wrote', async () => {
    const pipeline = world.pipelineWith([
      { name: 'delta', match: '^Delta', table: 'prices', mode: 'merge', key: ['item'], types: { item: 'text' } },
      { name: 'full', match: '^Full', table: 'prices', mode: 'merge', key: ['item'], deleteMissing: true, types: { item: 'text' } },
    ]);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240505/Full.csv', 'item,price\na,1\nb,1\n', '2024-05-05T01:00:00.000Z'));
    const monday = await world.stage(pipeline, '/x/20240506/Full.csv', 'item,price\na,2\n', MON);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Delta.csv', 'item,price\nx,9\n', TUE));
    const ctx = await world.load(pipeline, monday);
    // b is gone (Monday's snapshot lacks it, Sunday wrote it); x stays (Tuesday wrote it).
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 2 }, { item: 'x', price: 9 }]);
    expect(detailsOf(ctx)).toMatchObject({ updated: 1, deleted: 1 });
  });

  it('supersedes a whole file older than a newer full snapshot of the table (which decided every key)', async () => {
    const pipeline = prices(true);
    const monday = await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,2\nz,2\n', MON);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Prices.csv', 'item,price\na,3\n', TUE));
    const ctx = await world.load(pipeline, monday);
    expect(outcomeOf(ctx)).toBe('superseded');
    expect(ctx.published).toEqual([]);
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 3 }]);
    expect((await world.ledger()).map((l) => l.status)).toEqual(['loaded', 'superseded']);
  });

  it('a key repeated in the file counts once, by its last row: an earlier different row of it changes nothing', async () => {
    const pipeline = prices();
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,1\nb,2\n', MON));
    const before = await lineage();
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Prices.csv', 'item,price\na,9\na,1\nb,3\nb,4\nc,5\nc,6\n', TUE));
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 1 }, { item: 'b', price: 4 }, { item: 'c', price: 6 }]);
    expect(detailsOf(ctx)).toMatchObject({ written: 6, inserted: 1, updated: 1, unchanged: 1, deleted: 0, supersededKeys: 0 });
    expect((await lineage()).a).toBe(before.a);
  });

  it('a file of key columns only: known keys are unchanged, new ones inserted; deleteMissing still deletes', async () => {
    const pipeline = world.pipelineWith([
      { name: 'stores', match: '^Stores', table: 'stores', mode: 'merge', key: ['store', 'item'], deleteMissing: true, types: { store: 'text', item: 'text' } },
    ]);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Stores.csv', 'store,item\nx,a\nx,b\ny,a\n', MON));
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Stores.csv', 'store,item\nx,a\ny,a\ny,b\n', TUE));
    expect(await world.rows('stores', 'store, item')).toEqual([{ store: 'x', item: 'a' }, { store: 'y', item: 'a' }, { store: 'y', item: 'b' }]);
    expect(detailsOf(ctx)).toMatchObject({ written: 3, inserted: 1, updated: 0, unchanged: 2, deleted: 1 });
  });

  it('refuses a file whose composite key is empty in one column, naming the first such row', async () => {
    const pipeline = world.pipelineWith([
      { name: 'stores', match: '^Stores', table: 'stores', mode: 'merge', key: ['store', 'item'], types: { store: 'text', item: 'text' } },
    ]);
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Stores.csv', 'store,item,qty\nx,a,1\nx,b,2\ny,,3\n,c,4\n', MON));
    expect(ctx.quarantined[0]).toMatchObject({ row: 3 });
    expect(ctx.quarantined[0]!.reason).toMatch(/row 3: merge key \(store, item\) is empty/);
  });

  it('refuses a file whose single-column key is empty, naming the row by its place in the file (repeated keys before it included)', async () => {
    const pipeline = prices();
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,1\na,2\n,3\nb,4\n', MON));
    expect(ctx.quarantined[0]).toMatchObject({ row: 3 });
    expect(ctx.quarantined[0]!.reason).toMatch(/row 3: merge key \(item\) is empty/);
  });

  it('counts stay exact across inserted, updated, unchanged and repeated keys in one file', async () => {
    const pipeline = prices(true);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,1\nb,2\nc,3\nd,4\n', MON));
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Prices.csv', 'item,price\nb,2\nc,9\nc,3\na,7\ne,5\ne,6\nf,1\n', TUE));
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 7 }, { item: 'b', price: 2 }, { item: 'c', price: 3 }, { item: 'e', price: 6 }, { item: 'f', price: 1 }]);
    expect(detailsOf(ctx)).toMatchObject({ written: 7, inserted: 2, updated: 1, unchanged: 2, deleted: 1, supersededKeys: 0 });
  });

  it('a changed row another writer updates between the plan and the rewrite makes the load retry (transient), not miss it', async () => {
    const pipeline = prices();
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,1\nb,2\n', MON));
    const table = `${world.schema}.prices`;
    const client = await world.db.connect();
    try {
      await client.query('begin');
      // Just before merge rewrites its changed rows, someone outside Sluice updates one of them and commits.
      const racing = racingClient(client, /^update /, () => world.db.query(`update ${table} set price = 8 where item = 'a'`));
      const written = mergeMode.write({
        client: racing, schema: world.schema, table: 'prices', columns: ['item', 'price'], rows: 2, rule: { key: ['item'], deleteMissing: false }, newerLoadIds: [],
        timeColumns: async () => [],
        copy: (into) => copyStagedFile(client, into, ['item', 'price'], () => Readable.from(['item,price\na,5\nb,6\n'])),
      });
      await expect(written).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/1 of the 2 changed rows were changed by another writer/) });
    } finally {
      await client.query('rollback');
      client.release();
    }
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 8 }, { item: 'b', price: 2 }]);
  });

  it('deleteMissing: a missing row another writer updates between the plan and the delete makes the load retry (transient), not keep it', async () => {
    const pipeline = prices(true);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,1\nb,2\nc,3\n', MON));
    const table = `${world.schema}.prices`;
    const client = await world.db.connect();
    try {
      await client.query('begin');
      const racing = racingClient(client, /^delete from /, () => world.db.query(`update ${table} set price = 8 where item = 'c'`));
      const written = mergeMode.write({
        client: racing, schema: world.schema, table: 'prices', columns: ['item', 'price'], rows: 2, rule: { key: ['item'], deleteMissing: true }, newerLoadIds: [],
        timeColumns: async () => [],
        copy: (into) => copyStagedFile(client, into, ['item', 'price'], () => Readable.from(['item,price\na,1\nb,2\n'])),
      });
      await expect(written).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/1 of the 1 rows missing from the file were changed by another writer/) });
    } finally {
      await client.query('rollback');
      client.release();
    }
    expect(await world.rows('prices')).toEqual([{ item: 'a', price: 1 }, { item: 'b', price: 2 }, { item: 'c', price: 8 }]);
  });

  it('merges the same whether the file is in key order (merge join through indexes) or shuffled (hash join), repeats and deleteMissing included', async () => {
    // A: ids 1..300. B: every 10th changed, 100..109 missing, 301..330 new; `repeat`: id 5 first with a
    // value that its later row undoes (a key repeats: the unique index fails, the old pass dedupes).
    const line = (id: number, v: number) => `${id},${v},2024-05-${String(1 + (id % 28)).padStart(2, '0')}`;
    const a = Array.from({ length: 300 }, (_, i) => line(i + 1, i + 1));
    const b = Array.from({ length: 330 }, (_, i) => i + 1).filter((id) => id < 100 || id > 109).map((id) => line(id, id % 10 === 0 ? id + 1000 : id));
    let seed = 3;
    const shuffled = [...b];
    for (let i = shuffled.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const variants = { sorted: b, repeated: [line(5, 77), ...b], shuffled: [line(5, 77), ...shuffled] };
    const results: Record<string, unknown> = {};
    for (const [table, file] of Object.entries(variants)) {
      const pipeline = world.pipelineWith([{ name: table, match: '^Ids', table, mode: 'merge', key: ['id'], deleteMissing: true, types: { id: 'integer', v: 'integer' } }]);
      await world.load(pipeline, await world.stage(pipeline, `/x/20240506/Ids-${table}.csv`, `id,v,on\n${a.join('\n')}\n`, MON));
      const client = await world.db.connect();
      const settings: unknown[][] = [];
      const query = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
      const watched = new Proxy(client, {
        get: (t, p) => (p === 'query'
          ? (text: string, values?: unknown[]) => {
            if (/set_config/.test(text)) settings.push(values ?? []);
            return query(text, values);
          }
          : Reflect.get(t, p)),
      });
      try {
        await client.query('begin');
        const outcome = await mergeMode.write({
          client: watched, schema: world.schema, table, columns: ['id', 'v', 'on'], rows: file.length, rule: { key: ['id'], deleteMissing: true }, newerLoadIds: [],
          timeColumns: async () => [{ name: 'on', type: 'date' }],
          copy: (into) => copyStagedFile(client, into, ['id', 'v', 'on'], () => Readable.from([`id,v,on\n${file.join('\n')}\n`])),
        });
        const rows = (await client.query(`select id, v, "on"::text from ${world.schema}.${table} order by id`)).rows;
        results[table] = { counts: { ...outcome.counts, written: undefined }, removedRanges: outcome.removedRanges, rows };
        // In key order: the plan's statement alone runs with the hash join off, and it is put back.
        expect(settings).toEqual(table === 'shuffled' ? [] : [['enable_hashjoin', 'off'], ['enable_hashjoin', 'on']]);
      } finally {
        await client.query('rollback');
        client.release();
      }
    }
    expect(results.repeated).toEqual(results.sorted);
    expect(results.shuffled).toEqual(results.sorted);
    expect(results.sorted).toMatchObject({ counts: { inserted: 30, updated: 29, unchanged: 261, deleted: 10, supersededKeys: 0 } });
    expect((results.sorted as { rows: unknown[] }).rows).toHaveLength(320);
    expect((results.sorted as { rows: unknown[] }).rows[9]).toEqual({ id: 10, v: 1010, on: '2024-05-11' });
  });

  it('a key column may be named like the key pass\'s own columns (n, keys)', async () => {
    const pipeline = world.pipelineWith([{ name: 'tally', match: '^Tally', table: 'tally', mode: 'merge', key: ['n', 'keys'], types: { n: 'text', keys: 'text' } }]);
    await world.load(pipeline, await world.stage(pipeline, '/x/20240506/Tally.csv', 'n,keys,v\na,b,1\n', MON));
    const ctx = await world.load(pipeline, await world.stage(pipeline, '/x/20240507/Tally.csv', 'n,keys,v\na,b,2\na,b,1\nc,d,3\n', TUE));
    expect(await world.rows('tally', 'n')).toEqual([{ n: 'a', keys: 'b', v: 1 }, { n: 'c', keys: 'd', v: 3 }]);
    expect(detailsOf(ctx)).toMatchObject({ written: 3, inserted: 1, updated: 0, unchanged: 1 });
  });

  it('loads once however often it is delivered', async () => {
    const pipeline = prices();
    const message = await world.stage(pipeline, '/x/20240506/Prices.csv', 'item,price\na,1\nb,2\n', MON);
    await Promise.all([world.load(pipeline, message), world.load(pipeline, message)]);
    await world.load(pipeline, message);
    expect(await world.rows('prices')).toHaveLength(2);
    expect(await world.ledger()).toEqual([expect.objectContaining({ status: 'loaded', rows: '2' })]);
  });
});
