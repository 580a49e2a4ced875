// Schema evolution through the real transform and load handlers on the local cloud: columns widened
// in place along integer → bigint → numeric → text and date → timestamptz → text, every change in
// sluice_schema_history, schema 'strict' refusing, a view on the column refusing clearly.
import { describe, expect, it } from 'vitest';
import { widenedType } from '../../functions/load/column-widening';
import { useLoadHarness } from './load-test-harness';

const h = useLoadHarness('schema');

async function columnType(table: string, column: string): Promise<string | undefined> {
  const result = await h.db.query<{ type: string }>(
    `select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = to_regclass($1) and attname = $2`,
    [`${h.schema}.${table}`, column],
  );
  return result.rows[0]?.type;
}

async function history(): Promise<Array<Record<string, unknown>>> {
  const exists = await h.db.query('select to_regclass($1) as t', [`${h.schema}.sluice_schema_history`]);
  if (!exists.rows[0].t) return [];
  const result = await h.db.query(
    `select table_name, column_name, from_type, to_type, raw_object, run_id, changed_at from ${h.schema}.sluice_schema_history order by id`,
  );
  return result.rows;
}

describe('schema evolution', () => {
  it('widens an integer column to bigint, numeric and text as later files need, recording each change', async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock' }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'id,qty\n1,5\n')).message);
    expect(await columnType('stock', 'qty')).toBe('integer');

    const bigger = (await h.stage(pipeline, 'Stock.csv', 'id,qty,note\n2,3000000000,big\n')).message;
    const second = await h.load(pipeline, bigger);
    expect(await columnType('stock', 'qty')).toBe('bigint');
    expect(second.runs.of('stageSucceeded')[0]).toMatchObject({
      detail: { details: { columnsAdded: ['note'], columnsWidened: [{ column: 'qty', from: 'integer', to: 'bigint' }] } },
    });

    const decimal = (await h.stage(pipeline, 'Stock.csv', 'id,qty\n3,2.5\n')).message;
    await h.load(pipeline, decimal);
    expect(await columnType('stock', 'qty')).toBe('numeric');

    const words = (await h.stage(pipeline, 'Stock.csv', 'id,qty\n4,many\n')).message;
    await h.load(pipeline, words);
    expect(await columnType('stock', 'qty')).toBe('text');

    // Narrower than the table's: loaded as it is, nothing changes.
    const narrow = await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'id,qty\n5,7\n')).message);
    expect(narrow.runs.of('stageSucceeded')[0]).toMatchObject({ detail: { details: { columnsAdded: [] } } });
    expect((narrow.runs.of('stageSucceeded')[0]!.detail as { details: Record<string, unknown> }).details.columnsWidened).toBeUndefined();

    expect(await h.rows('stock')).toEqual([
      { id: 1, qty: '5', note: null },
      { id: 2, qty: '3000000000', note: 'big' },
      { id: 3, qty: '2.5', note: null },
      { id: 4, qty: 'many', note: null },
      { id: 5, qty: '7', note: null },
    ]);
    const changes = await history();
    expect(changes).toEqual([
      { table_name: 'stock', column_name: 'note', from_type: null, to_type: 'text', raw_object: bigger.raw.object, run_id: bigger.runId, changed_at: expect.any(Date) },
      { table_name: 'stock', column_name: 'qty', from_type: 'integer', to_type: 'bigint', raw_object: bigger.raw.object, run_id: bigger.runId, changed_at: expect.any(Date) },
      { table_name: 'stock', column_name: 'qty', from_type: 'bigint', to_type: 'numeric', raw_object: decimal.raw.object, run_id: decimal.runId, changed_at: expect.any(Date) },
      { table_name: 'stock', column_name: 'qty', from_type: 'numeric', to_type: 'text', raw_object: words.raw.object, run_id: words.runId, changed_at: expect.any(Date) },
    ]);
  });

  it("widens date to timestamptz at midnight in the rule's time zone, whatever the session's, then to ISO text", async () => {
    const pipeline = h.pipelineWith([{ name: 'visits', match: '^Visits', table: 'visits', timeZone: 'Europe/Berlin' }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Visits.csv', 'id,day\n1,2024-01-02\n')).message);
    expect(await columnType('visits', 'day')).toBe('date');
    // A session zone other than the rule's must not matter.
    const ctx = await h.load(pipeline, (await h.stage(pipeline, 'Visits.csv', 'id,day\n2,2024-03-01T10:00:00Z\n')).message, { sessionTimeZone: 'America/New_York' });
    expect(ctx.quarantined).toEqual([]);
    expect(await columnType('visits', 'day')).toBe('timestamp with time zone');
    expect(await h.rows('visits')).toEqual([
      { id: 1, day: new Date('2024-01-01T23:00:00Z') },
      { id: 2, day: new Date('2024-03-01T10:00:00Z') },
    ]);

    await h.load(pipeline, (await h.stage(pipeline, 'Visits.csv', 'id,day\n3,soon\n')).message);
    expect(await columnType('visits', 'day')).toBe('text');
    expect(await h.rows('visits')).toEqual([
      { id: 1, day: '2024-01-01T23:00:00Z' },
      { id: 2, day: '2024-03-01T10:00:00Z' },
      { id: 3, day: 'soon' },
    ]);
    expect((await history()).map((c) => [c.column_name, c.from_type, c.to_type])).toEqual([['day', 'date', 'timestamptz'], ['day', 'timestamptz', 'text']]);
  });

  it("quarantines a file needing a wider type under schema 'strict', naming the column and both types", async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', schema: 'strict' }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'id,qty\n1,5\n')).message);
    const { message, rawPath } = await h.stage(pipeline, 'Stock.csv', 'id,qty\n2,2.5\n');
    const ctx = await h.load(pipeline, message);
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.reason).toBe(`Stock.csv (rule stock): column qty is integer in table ${h.schema}.stock but numeric in the file, and its import rule is schema 'strict' (schema 'evolve' would widen it)`);
    expect(await h.exists(`quarantine/shop/${rawPath}`)).toBe(true);
    expect(await columnType('stock', 'qty')).toBe('integer');
    expect(await h.rows('stock')).toEqual([{ id: 1, qty: 5 }]);
    expect(await history()).toEqual([]);
  });

  it('quarantines with a clear reason, changing nothing, when a view uses the column to widen', async () => {
    const pipeline = h.pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock' }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Stock.csv', 'id,qty\n1,5\n')).message);
    await h.db.query(`create view ${h.schema}.stock_totals as select sum(qty) as total from ${h.schema}.stock`);
    // Also adds a column: rolled back with the failed widening, history included.
    const { message } = await h.stage(pipeline, 'Stock.csv', 'id,qty,note\n2,3000000000,x\n');
    const ctx = await h.load(pipeline, message);
    expect(ctx.published).toEqual([]);
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.reason).toMatch(new RegExp(
      `^Stock\\.csv \\(rule stock\\): table ${h.schema}\\.stock cannot widen column qty from integer to bigint for this file: cannot alter type of a column used by a view or rule \\(rule _RETURN on view ${h.schema}\\.stock_totals depends on column "qty"\\); drop or recreate the view .*\\(SQLSTATE 0A000\\)$`,
    ));
    expect(await columnType('stock', 'qty')).toBe('integer');
    expect(await columnType('stock', 'note')).toBeUndefined();
    expect(await h.rows('stock')).toEqual([{ id: 1, qty: 5 }]);
    expect(await history()).toEqual([]);
  });

  it('turns timestamps, booleans and mixed branches into text with session-independent ISO values', async () => {
    const pipeline = h.pipelineWith([{ name: 'log', match: '^Log', table: 'log' }]);
    await h.load(pipeline, (await h.stage(pipeline, 'Log.csv', 'id,at,ok,day\n1,2024-05-01 10:00:00,true,2024-05-01\n2,2024-05-01 10:00:00.25,false,2024-05-02\n')).message);
    expect([await columnType('log', 'at'), await columnType('log', 'ok')]).toEqual(['timestamp without time zone', 'boolean']);
    // integer on the date column: the two branches meet at text.
    await h.load(pipeline, (await h.stage(pipeline, 'Log.csv', 'id,at,ok,day\n3,later,maybe,17\n')).message, { sessionTimeZone: 'Asia/Tokyo' });
    expect(await h.rows('log')).toEqual([
      { id: 1, at: '2024-05-01T10:00:00', ok: 'true', day: '2024-05-01' },
      { id: 2, at: '2024-05-01T10:00:00.25', ok: 'false', day: '2024-05-02' },
      { id: 3, at: 'later', ok: 'maybe', day: '17' },
    ]);
  });
});

describe('the widening lattice', () => {
  it('widens along integer → bigint → numeric → text and date → timestamp → timestamptz → text, and across branches to text', () => {
    expect(widenedType('integer', 'bigint')).toBe('bigint');
    expect(widenedType('smallint', 'integer')).toBe('integer');
    expect(widenedType('bigint', 'numeric')).toBe('numeric');
    expect(widenedType('numeric', 'text')).toBe('text');
    expect(widenedType('date', 'timestamptz')).toBe('timestamptz');
    expect(widenedType('timestamp', 'timestamptz')).toBe('timestamptz');
    expect(widenedType('boolean', 'integer')).toBe('text');
    expect(widenedType('date', 'integer')).toBe('text');
    // Narrower or equal: nothing to do.
    expect(widenedType('numeric', 'integer')).toBeUndefined();
    expect(widenedType('timestamptz', 'date')).toBeUndefined();
    expect(widenedType('text', 'boolean')).toBeUndefined();
    expect(widenedType('bigint', 'bigint')).toBeUndefined();
  });
});
