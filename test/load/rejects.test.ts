// Row rejects (rule.maxRejectPercent) through the real transform and load handlers on the local cloud's
// PostgreSQL 18: rows failing their column's type go to `<table>__rejects` up to the threshold; above it
// the file is quarantined and nothing of it loaded; 0 keeps the plain COPY.
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { copyStagedFile } from '../../functions/load/copy-into-table';
import { rejectsTableName } from '../../functions/load/rejects/rejects-table';
import { parseSkippedRow } from '../../functions/load/rejects/skipped-row-notices';
import { recordsAtLines } from '../../functions/load/rejects/staged-records';
import { isPermanent } from '../../shared/errors';
import type { LoadedMessage } from '../../shared/messages';
import { useLoadHarness } from './load-test-harness';

const h = useLoadHarness('rejects');

// 8 data rows; row 3's note spans two lines, rows 4 and 6 fail their types (an empty value, quoted or
// not, is staged as NULL).
const STOCK = [
  'sku,qty,day,note',
  'A,1,2024-01-01,',
  'B,2,2024-01-02,ok',
  'C,3,2024-01-03,"two',
  'lines"',
  'D,lots,2024-01-04,"say ""hi"""',
  'E,5,2024-01-05,',
  'F,6,2024-13-01,""',
  'G,7,,x',
  'H,8,2024-01-08,y',
  '',
].join('\n');
const TYPES = { qty: 'integer', day: 'date' } as const;

async function rejects(table = 'stock'): Promise<Array<Record<string, unknown>>> {
  const name = `${h.schema}.${rejectsTableName(table)}`;
  const exists = await h.db.query('select to_regclass($1) as t', [name]);
  if (!exists.rows[0].t) return [];
  const result = await h.db.query(`select row_number, column_name, reason, sql_state, raw_row, raw_object, run_id, load_id from ${name} order by row_number`);
  return result.rows;
}

describe('row rejects', () => {
  it('loads the good rows and puts the rejected ones, exactly, in <table>__rejects while under the threshold', async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: TYPES, maxRejectPercent: 25 }]);
    const { message } = await h.stage(pipeline, 'Stock.csv', STOCK);
    const ctx = await h.load(pipeline, message);
    expect(ctx.quarantined).toEqual([]);
    expect((await h.rows('stock')).map((r) => r.sku)).toEqual(['A', 'B', 'C', 'E', 'G', 'H']);
    expect((await h.rows('stock')).find((r) => r.sku === 'C')).toMatchObject({ note: 'two\nlines' });
    const ledger = await h.db.query(`select load_id::text from ${h.schema}.sluice_load_ledger`);
    const loadId = ledger.rows[0].load_id;
    expect(await rejects()).toEqual([
      {
        row_number: '4', column_name: 'qty', reason: 'invalid input syntax for type integer: "lots"', sql_state: '22P02',
        raw_row: { sku: 'D', qty: 'lots', day: '2024-01-04', note: 'say "hi"' }, raw_object: message.raw.object, run_id: message.runId, load_id: loadId,
      },
      {
        row_number: '6', column_name: 'day', reason: 'date/time field value out of range: "2024-13-01"', sql_state: '22008',
        raw_row: { sku: 'F', qty: '6', day: '2024-13-01', note: null }, raw_object: message.raw.object, run_id: message.runId, load_id: loadId,
      },
    ]);
    expect(ctx.published[0]!.message).toMatchObject({ type: 'sluice.loaded', rows: 6, rejected: 2 } satisfies Partial<LoadedMessage>);
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({ detail: { rows: 6, details: { rejected: 2, rejectsTable: `${h.schema}.stock__rejects` } } });
    const ledgerRows = await h.db.query(`select rows from ${h.schema}.sluice_load_ledger`);
    expect(ledgerRows.rows).toEqual([{ rows: '6' }]);

    // Redelivered: the ledger stops it before any COPY, so no rows and no rejects twice.
    const again = await h.load(pipeline, message);
    expect(again.published[0]!.message).toMatchObject({ rows: 6 });
    expect(await h.rows('stock')).toHaveLength(6);
    expect(await rejects()).toHaveLength(2);
  });

  it('quarantines the whole file, loading nothing and rejecting nothing, above the threshold', async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: TYPES, maxRejectPercent: 12.5 }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'sku,qty,day,note\nZ,0,2024-01-01,z\n')).message);
    const { message, rawPath } = await h.stage(pipeline, 'Stock.csv', STOCK);
    const ctx = await h.load(pipeline, message);
    expect(ctx.published).toEqual([]);
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.row).toBe(4);
    // PostgreSQL 18 stops the COPY at the first row past the limit (REJECT_LIMIT 1).
    expect(ctx.quarantined[0]!.reason).toBe("Stock.csv (rule stock): more than 1 of the file's 8 rows fail their column's type or a constraint, more than maxRejectPercent 12.5 allows (1 rows); nothing of the file was loaded; the first is row 4, column qty");
    expect(await h.exists(`quarantine/shop/${rawPath}`)).toBe(true);
    expect((await h.rows('stock')).map((r) => r.sku)).toEqual(['Z']);
    expect(await rejects()).toEqual([]);
    const ledger = await h.db.query(`select count(*)::int as n from ${h.schema}.sluice_load_ledger`);
    expect(ledger.rows[0].n).toBe(1);
  });

  it('counts every rejected row when the threshold allows none (no REJECT_LIMIT to stop at)', async () => {
    // 5% of 8 rows: 0 rows may be rejected.
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: TYPES, maxRejectPercent: 5 }]);
    const ctx = await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', STOCK)).message);
    expect(ctx.quarantined[0]!.reason).toBe("Stock.csv (rule stock): 2 of the file's 8 rows fail their column's type or a constraint, more than maxRejectPercent 5 allows (0 rows); nothing of the file was loaded; the first is row 4, column qty");
    expect(await h.db.query('select to_regclass($1) as t', [`${h.schema}.stock`]).then((r) => r.rows[0].t)).toBeNull();
    expect(await rejects()).toEqual([]);
  });

  it("a newer version of the same source file takes the older one's rejects with its rows", async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: TYPES, maxRejectPercent: 50 }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', STOCK, { path: '/exports/Stock.csv', mtime: '2024-05-01T00:00:00Z' })).message);
    expect(await rejects()).toHaveLength(2);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'sku,qty,day,note\nA,1,2024-01-01,\nB,two,2024-01-02,\n', { path: '/exports/Stock.csv', mtime: '2024-05-02T00:00:00Z' })).message);
    expect((await h.rows('stock')).map((r) => r.sku)).toEqual(['A']);
    expect((await rejects()).map((r) => [r.row_number, r.column_name, (r.raw_row as { sku: string }).sku])).toEqual([['2', 'qty', 'B']]);
  });

  it('sets aside rows breaking a NOT NULL or CHECK constraint someone added to the table, in file order', async () => {
    // 3 of 5 rows rejected: 60% allows them.
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: TYPES, maxRejectPercent: 60 }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'sku,qty,day,note\nZ,9,2024-01-01,z\n')).message);
    await h.db.query(`alter table ${h.schema}.stock add constraint qty_positive check (qty > 0), alter column sku set not null`);
    const file = 'sku,qty,day,note\nA,1,2024-01-01,\nB,-2,2024-01-02,"x\ny"\nC,x,2024-01-03,\n,4,2024-01-04,\nE,5,2024-01-05,\n';
    // At 40% (2 rows) the constraint violations tip it over: nothing loaded, nothing rejected.
    const stricter = h.pipelineWith([{ ...pipeline.imports[0]!, maxRejectPercent: 40 }]);
    const refused = await h.load(stricter, (await h.stage(stricter, 'Stock.csv', file)).message);
    expect(refused.quarantined[0]!.reason).toBe("Stock.csv (rule stock): more than 2 of the file's 5 rows fail their column's type or a constraint, more than maxRejectPercent 40 allows (2 rows); nothing of the file was loaded; the first is row 2, column qty");
    expect(await h.rows('stock')).toHaveLength(1);
    expect(await rejects()).toEqual([]);

    const { message } = await h.stage(pipeline, 'Stock.csv', file);
    const ctx = await h.load(pipeline, message);
    expect(ctx.quarantined).toEqual([]);
    expect(ctx.published[0]!.message).toMatchObject({ rows: 2, rejected: 3 });
    expect((await h.rows('stock', '_sluice_load, sku')).map((r) => r.sku)).toEqual(['Z', 'A', 'E']);
    expect((await rejects()).map(({ row_number, column_name, reason, sql_state, raw_row }) => ({ row_number, column_name, reason, sql_state, raw_row }))).toEqual([
      { row_number: '2', column_name: 'qty', reason: 'new row for relation "stock" violates check constraint "qty_positive"', sql_state: '23514', raw_row: { sku: 'B', qty: '-2', day: '2024-01-02', note: 'x\ny' } },
      { row_number: '3', column_name: 'qty', reason: 'invalid input syntax for type integer: "x"', sql_state: '22P02', raw_row: { sku: 'C', qty: 'x', day: '2024-01-03', note: null } },
      { row_number: '4', column_name: 'sku', reason: 'null value in column "sku" of relation "stock" violates not-null constraint', sql_state: '23502', raw_row: { sku: null, qty: '4', day: '2024-01-04', note: null } },
    ]);
  });

  it('with maxRejectPercent 0 (the default) keeps the plain COPY: the first bad value quarantines the file', async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: TYPES }]);
    const { message } = await h.stage(pipeline, 'Stock.csv', STOCK);
    const ctx = await h.load(pipeline, message);
    expect(ctx.quarantined).toHaveLength(1);
    // COPY's own line (the quoted line break in row 3 counts): line 6 - 1.
    expect(ctx.quarantined[0]!.reason).toMatch(/^Stock\.csv \(rule stock\): load into .*\.stock failed at row 5, column qty: invalid input syntax for type integer: "lots" \(SQLSTATE 22P02\)$/);
    expect(await rejects()).toEqual([]);
  });

  it('replace mode sets rejects aside the same way', async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', mode: 'replace', types: TYPES, maxRejectPercent: 25 }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'sku,qty,day,note\nZ,0,2024-01-01,z\n')).message);
    const ctx = await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', STOCK)).message);
    expect(ctx.published[0]!.message).toMatchObject({ rows: 6, rejected: 2 });
    expect((await h.rows('stock')).map((r) => r.sku)).toEqual(['A', 'B', 'C', 'E', 'G', 'H']);
    expect((await rejects()).map((r) => [r.row_number, r.column_name])).toEqual([['4', 'qty'], ['6', 'day']]);
  });
});

describe('reject capture parts', () => {
  it('names the rejects table within 63 bytes, deterministically and without collisions', () => {
    expect(rejectsTableName('stock')).toBe('stock__rejects');
    const long = 'a'.repeat(60);
    const name = rejectsTableName(long);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^a+_[0-9a-f]{8}__rejects$/);
    expect(rejectsTableName(long)).toBe(name);
    expect(rejectsTableName(`${'a'.repeat(59)}b`)).not.toBe(name);
    // Cut at a character boundary, never inside a multi-byte character.
    const wide = rejectsTableName('ü'.repeat(31));
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(63);
    expect(wide).not.toContain('\ufffd');
  });

  it("reads COPY's skipped-row notices against the COPY's own columns", () => {
    const columns = ['a', 'a": b', 'day'];
    expect(parseSkippedRow('skipping row due to data type incompatibility at line 4 for column "a": "lots"', columns)).toEqual({ line: 4, column: 'a' });
    expect(parseSkippedRow('skipping row due to data type incompatibility at line 9 for column "a": b": "x"', columns)).toEqual({ line: 9, column: 'a": b' });
    expect(parseSkippedRow('skipping row due to data type incompatibility at line 2 for column "day": null input', columns)).toEqual({ line: 2, column: 'day' });
    expect(parseSkippedRow('2 rows were skipped due to data type incompatibility', columns)).toBeUndefined();
  });

  it('finds the staged records at physical lines, NULL apart from an empty string, across chunk boundaries', async () => {
    const text = 'a,b\n1,"x\ny"\n2,\n3,""\n4,"q""q"\n';
    // One character per chunk: every state crosses a boundary somewhere.
    const found = await recordsAtLines(Readable.from([...text].map((c) => Buffer.from(c))), new Set([3, 4, 5, 6]));
    expect(found.get(3)).toEqual({ row: 1, firstLine: 2, lastLine: 3, values: ['1', 'x\ny'] });
    expect(found.get(4)).toMatchObject({ row: 2, values: ['2', null] });
    expect(found.get(5)).toMatchObject({ row: 3, values: ['3', ''] });
    expect(found.get(6)).toMatchObject({ row: 4, values: ['4', 'q"q'] });
  });

  it('refuses a reject policy on a server older than PostgreSQL 17, naming its version', async () => {
    const client = {
      async query() { return { rows: [{ num: '160004', text: '16.4' }] }; },
    } as unknown as PoolClient;
    const attempt = copyStagedFile(client, '"s"."t"', ['a'], () => Readable.from(['a\n1\n']), {
      maxRejectPercent: 1, fileRows: 1, schema: 's', table: 't', origin: { raw: { bucket: 'b', object: 'o', generation: '1' }, runId: 'r', loadId: '1' },
    });
    const error = await attempt.catch((e: unknown) => e);
    expect(isPermanent(error)).toBe(true);
    expect((error as Error).message).toBe('import rule maxRejectPercent 1 needs PostgreSQL 17 or later (COPY ON_ERROR); the database is PostgreSQL 16.4. Set maxRejectPercent to 0 or upgrade the server');
  });
});
