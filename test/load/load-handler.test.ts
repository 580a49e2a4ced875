// The load handler against the local cloud: real Cloud Storage emulator, real PostgreSQL. Files are
// staged by the real transform handler, so these also cover the transform → load contract.
import type { Bucket } from '@google-cloud/storage';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedMessage, StagedMessage } from '../../shared/messages';
import type { Pipeline, PipelineInput } from '../../shared/pipeline-definition';
import { loadHandler } from '../../functions/load/handler';
import { loadFile } from '../../functions/load/load-file';
import { readSidecar } from '../../functions/load/read-sidecar';
import { advisoryKey } from '../../functions/runtime/advisory-lock';
import { databaseBounds } from '../../functions/runtime/postgres/database-bounds';
import { TransientError } from '../../shared/errors';
import { transformHandler } from '../../functions/transform/handler';
import { createTestSchema, localCloud, uniqueName, uniqueProjectId, type TestSchema } from '../support/local-cloud';
import { createTestContext, objectFinalizedMessage, stageMessage, type TestStageContext } from '../support/stage-test-context';
import { testPipeline } from './test-pipeline';

let bucket: Bucket;
let bucketName: string;
let schema: TestSchema;
let db: pg.Pool;
const contexts: TestStageContext[] = [];
let runCounter = 0;

beforeAll(async () => {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline: testPipeline('x', [{ name: 'x', match: 'x', table: 'x' }]), stage: 'load', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
  bucketName = uniqueName('sluice-load');
  [bucket] = await ctx.storage.createBucket(bucketName);
  await ctx.close();
  db = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 2 });
});

beforeEach(async () => {
  schema = await createTestSchema('load');
});

afterEach(async () => {
  await schema.drop();
});

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await db.end();
});

function contextFor(pipeline: Pipeline, stage: 'transform' | 'load'): TestStageContext {
  const endpoints = localCloud();
  const ctx = createTestContext({ pipeline, stage, bucket: bucketName, storageUrl: endpoints.storageUrl, databaseUrl: endpoints.databaseUrl, projectId: endpoints.projectId });
  contexts.push(ctx);
  return ctx;
}

// Uploads a raw file and runs the real transform on it; returns the message transform published.
async function stage(pipeline: Pipeline, fileName: string, content: string): Promise<{ message: StagedMessage; rawPath: string }> {
  const runId = `run${++runCounter}`;
  const name = `raw/${pipeline.name}/${runId}/${fileName}`;
  const file = bucket.file(name);
  await file.save(content, { resumable: false });
  const ctx = contextFor(pipeline, 'transform');
  await transformHandler(ctx, objectFinalizedMessage({ bucket: bucketName, object: name, generation: String(file.metadata.generation) }, content.length));
  expect(ctx.quarantined).toEqual([]);
  return { message: ctx.published[0]!.message as StagedMessage, rawPath: `${runId}/${fileName}` };
}

async function load(pipeline: Pipeline, message: StagedMessage): Promise<TestStageContext> {
  const ctx = contextFor(pipeline, 'load');
  await loadHandler(ctx, stageMessage(message));
  return ctx;
}

// The table's rows without the lineage column (checked on its own where it matters).
async function rows(table: string, order = 1): Promise<Array<Record<string, unknown>>> {
  const result = await db.query(`select * from ${schema.schema}.${table} order by ${order}`);
  return result.rows.map(({ _sluice_load: _, ...row }) => row);
}

const exists = async (name: string) => (await bucket.file(name).exists())[0];

function pipelineWith(imports: PipelineInput['imports']): Pipeline {
  return testPipeline(schema.schema, imports);
}

describe('load handler', () => {
  it('appends once however often the message is delivered, then archives and cleans up', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales', mode: 'append' }]);
    const { message, rawPath } = await stage(pipeline, 'Sales.csv', 'id,qty,sold_at\n1,2,2024-05-01 10:00:00\n2,5,2024-05-03 18:00:00\n');

    const first = await load(pipeline, message);
    expect(await rows('sales')).toEqual([
      { id: 1, qty: 2, sold_at: new Date('2024-05-01T10:00:00') },
      { id: 2, qty: 5, sold_at: new Date('2024-05-03T18:00:00') },
    ]);
    const loaded = first.published[0]!;
    expect(loaded.stage).toBe('aggregate');
    expect(loaded.message).toMatchObject({
      type: 'sluice.loaded', table: 'sales', rule: 'sales', rows: 2, raw: message.raw,
      timeRanges: { sold_at: { min: '2024-05-01T10:00:00', max: '2024-05-03T18:00:00' } },
    } satisfies Partial<LoadedMessage>);
    expect(first.runs.of('stageSucceeded')[0]).toMatchObject({ stage: 'load', detail: { rows: 2 } });
    expect(await exists(`archive/shop/${rawPath}`)).toBe(true);
    expect(await exists(message.raw.object)).toBe(false);
    expect(await exists(message.staged.object)).toBe(false);
    expect(await exists(message.schemaObject)).toBe(false);

    // Redelivered after everything was done: no new rows, the same loaded message again.
    const second = await load(pipeline, message);
    expect(await rows('sales')).toHaveLength(2);
    expect(second.published[0]!.message).toEqual(loaded.message);
  });

  it('finishes a load whose function died right after the commit, without loading again', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message, rawPath } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n2,3\n');
    // The transaction alone, as if the instance was killed before archiving and publishing.
    const ctx = contextFor(pipeline, 'load');
    const found = await readSidecar(bucket, message.schemaObject);
    const committed = await loadFile({
      pool: await ctx.database(), schema: schema.schema, rule: pipeline.imports[0]!, message, sidecar: found!.sidecar, bounds: databaseBounds(540),
      openStaged: () => bucket.file(message.staged.object, { generation: message.staged.generation }).createReadStream(),
    });
    expect(committed).toMatchObject({ kind: 'loaded', rows: 2 });
    expect(await exists(message.raw.object)).toBe(true);

    const redelivered = await load(pipeline, message);
    expect(await rows('sales')).toHaveLength(2);
    expect(redelivered.published[0]!.message).toMatchObject({ type: 'sluice.loaded', rows: 2 });
    expect(await exists(`archive/shop/${rawPath}`)).toBe(true);
    expect(await exists(message.raw.object)).toBe(false);
    expect(await exists(message.staged.object)).toBe(false);
  });

  it('a second loader blocked by a held table lock fails transient within the lock bound, loading nothing', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n');
    const ctx = contextFor(pipeline, 'load');
    const found = await readSidecar(bucket, message.schemaObject);
    const holder = await db.connect();
    try {
      // As a frozen instance mid-load would: the table's advisory lock, held.
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock($1::bigint)', [advisoryKey(`sluice:table:${schema.schema}.sales`)]);
      const started = Date.now();
      const attempt = loadFile({
        pool: await ctx.database(), schema: schema.schema, rule: pipeline.imports[0]!, message, sidecar: found!.sidecar,
        bounds: { ...databaseBounds(540), lockMs: 300 },
        openStaged: () => bucket.file(message.staged.object, { generation: message.staged.generation }).createReadStream(),
      });
      await expect(attempt).rejects.toThrow(TransientError);
      await expect(attempt).rejects.toThrow(/lock timeout \(55P03\)/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    const table = await db.query('select to_regclass($1) as t', [`${schema.schema}.sales`]);
    expect(table.rows[0].t).toBeNull();
    // Once the lock is free, the redelivery loads the file.
    await load(pipeline, message);
    expect(await rows('sales')).toHaveLength(1);
  });

  it('loads once when two deliveries of the same message race', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n2,3\n3,4\n');
    await Promise.all([load(pipeline, message), load(pipeline, message)]);
    expect(await rows('sales')).toHaveLength(3);
    const ledger = await db.query(`select rows from ${schema.schema}.sluice_load_ledger`);
    expect(ledger.rows).toEqual([{ rows: '3' }]);
  });

  it('merges on the key: updates existing rows, inserts new ones, last row of a file wins', async () => {
    const pipeline = pipelineWith([{ name: 'orders', match: '^Orders', table: 'orders', mode: 'merge', key: ['order_id'], types: { order_id: 'text' } }]);
    await load(pipeline, (await stage(pipeline, 'Orders.csv', 'Order ID,Total\nA,1\nB,2\n')).message);
    await load(pipeline, (await stage(pipeline, 'Orders.csv', 'Order ID,Total\nB,3\nC,4\nB,5\n')).message);
    expect(await rows('orders')).toEqual([
      { order_id: 'A', total: 1 },
      { order_id: 'B', total: 5 },
      { order_id: 'C', total: 4 },
    ]);
  });

  it('replaces the table contents', async () => {
    const pipeline = pipelineWith([{ name: 'menu', match: '^Menu', table: 'menu', mode: 'replace' }]);
    await load(pipeline, (await stage(pipeline, 'Menu.csv', 'item,price\nsoup,4.5\nbread,1\n')).message);
    await load(pipeline, (await stage(pipeline, 'Menu.csv', 'item,price\ncake,3.25\n')).message);
    expect(await rows('menu')).toEqual([{ item: 'cake', price: '3.25' }]);
  });

  it('adds new columns under schema evolve', async () => {
    const pipeline = pipelineWith([{ name: 'items', match: '^Items', table: 'items', schema: 'evolve' }]);
    await load(pipeline, (await stage(pipeline, 'Items.csv', 'id,qty\n1,2\n')).message);
    const ctx = await load(pipeline, (await stage(pipeline, 'Items.csv', 'id,qty,note,day\n2,3,hi,2024-01-02\n')).message);
    expect(await rows('items')).toEqual([
      { id: 1, qty: 2, note: null, day: null },
      { id: 2, qty: 3, note: 'hi', day: expect.any(Date) },
    ]);
    expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({ detail: { details: { columnsAdded: ['note', 'day'] } } });
  });

  it('quarantines a file with new columns under schema strict', async () => {
    const pipeline = pipelineWith([{ name: 'payments', match: '^Payments', table: 'payments', schema: 'strict' }]);
    await load(pipeline, (await stage(pipeline, 'Payments.csv', 'id,amount\n1,2.5\n')).message);
    const { message, rawPath } = await stage(pipeline, 'Payments.csv', 'id,amount,tip\n2,3,1\n');
    const ctx = await load(pipeline, message);
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.reason).toMatch(/column\(s\) tip that table .*payments does not have.*strict/);
    expect(await rows('payments')).toHaveLength(1);
    expect(await exists(`quarantine/shop/${rawPath}`)).toBe(true);
    expect(await exists(message.raw.object)).toBe(false);
    expect(await exists(message.staged.object)).toBe(false);
    expect(ctx.published).toEqual([]);
  });

  it('quarantines a value the column type refuses, naming the row and column', async () => {
    // Declared integer: an inferred text column would widen the table's (schema evolve) instead of failing.
    const pipeline = pipelineWith([{ name: 'stock', match: '^Stock', table: 'stock', types: { qty: 'integer' } }]);
    await load(pipeline, (await stage(pipeline, 'Stock.csv', 'sku,qty\nX-1,4\n')).message);
    const { message, rawPath } = await stage(pipeline, 'Stock.csv', 'sku,qty\nX-2,5\nX-3,6\nX-4,lots\n');
    const ctx = await load(pipeline, message);
    expect(ctx.quarantined).toHaveLength(1);
    expect(ctx.quarantined[0]!.row).toBe(3);
    expect(ctx.quarantined[0]!.reason).toMatch(/^Stock\.csv \(rule stock\): load into .*stock failed at row 3, column qty: invalid input syntax for type integer: "lots" \(SQLSTATE 22P02\)$/);
    expect(await rows('stock')).toEqual([{ sku: 'X-1', qty: 4 }]);
    expect(await exists(`quarantine/shop/${rawPath}`)).toBe(true);
    const ledger = await db.query(`select count(*)::int as n from ${schema.schema}.sluice_load_ledger`);
    expect(ledger.rows[0].n).toBe(1);
  });

  it('quarantines a merge file with an empty key', async () => {
    const pipeline = pipelineWith([{ name: 'orders', match: '^Orders', table: 'orders', mode: 'merge', key: ['order_id'] }]);
    const ctx = await load(pipeline, (await stage(pipeline, 'Orders.csv', 'order_id,total\nA,1\n,2\n')).message);
    expect(ctx.quarantined[0]).toMatchObject({ row: 2 });
    expect(ctx.quarantined[0]!.reason).toMatch(/row 2: merge key \(order_id\) is empty/);
  });

  it('transforms the raw file again when the staged CSV vanished before load, then loads it', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n2,3\n');
    await bucket.file(message.staged.object).delete();
    const first = await load(pipeline, message);
    expect(first.runs.of('finishFile')).toEqual([]);
    expect(first.runs.of('stageFailed')[0]).toMatchObject({ stage: 'load', detail: expect.stringMatching(/staged data gone .*transforming the raw file again \(1 of 3\)/) });
    const notice = first.published[0]!;
    expect(notice).toMatchObject({ stage: 'transform', attributes: { eventType: 'OBJECT_FINALIZE', objectId: message.raw.object, objectGeneration: message.raw.generation, sluiceRetransform: '1' } });
    // Delivered to transform as the local cloud would, and on to load.
    const transform = contextFor(pipeline, 'transform');
    await transformHandler(transform, { messageId: 'again', attributes: notice.attributes!, data: Buffer.from(JSON.stringify(notice.message)) });
    const restaged = transform.published[0]!.message as StagedMessage;
    expect(restaged.staged.object).not.toBe(message.staged.object);
    const second = await load(pipeline, restaged);
    expect(await rows('sales')).toHaveLength(2);
    expect(second.published[0]).toMatchObject({ stage: 'aggregate', message: { rows: 2 } });
  });

  it('fails the file, with the reason, when the staged data and the raw file are both gone', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n');
    await bucket.file(message.schemaObject).delete();
    await bucket.file(message.raw.object).delete();
    const ctx = await load(pipeline, message);
    expect(ctx.published).toEqual([]);
    expect(ctx.runs.of('finishFile')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ outcome: 'failed', stage: 'load', error: expect.stringMatching(/staged data gone \(sidecar missing\).*raw file .* no longer exists/) }) })]);
  });

  it('ends the file quarantined when an earlier delivery quarantined it and died before ending it', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message, rawPath } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n');
    // What load's quarantine leaves when it dies after moving the file: the copy, no staged data, no raw.
    const quarantined = `quarantine/${pipeline.name}/${rawPath}`;
    await bucket.file(message.raw.object).copy(bucket.file(quarantined), { metadata: { sluiceStage: 'load', sluiceReason: 'Sales.csv (rule sales): column qty: "x" is not an integer', sluiceRow: '4' } });
    for (const name of [message.raw.object, message.staged.object, message.schemaObject]) await bucket.file(name).delete();
    const ctx = await load(pipeline, message);
    expect(ctx.published).toEqual([]);
    expect(ctx.runs.of('finishFile')).toEqual([expect.objectContaining({
      detail: expect.objectContaining({ outcome: 'quarantined', stage: 'load', row: 4, quarantinedAs: quarantined, error: expect.stringContaining('is not an integer') }),
    })]);
  });

  it('fails the file after three re-transforms whose staged data vanished again', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { message } = await stage(pipeline, 'Sales.csv', 'id,qty\n1,2\n');
    await bucket.file(message.schemaObject).delete();
    for (let i = 1; i <= 3; i++) expect((await load(pipeline, message)).published[0]).toMatchObject({ stage: 'transform', attributes: { sluiceRetransform: String(i) } });
    const last = await load(pipeline, message);
    expect(last.published).toEqual([]);
    expect(last.runs.of('finishFile')[0]).toMatchObject({ detail: { outcome: 'failed', error: expect.stringMatching(/after transforming the raw file again 3 times/) } });
  });

  it('loads a header-only file as zero rows without creating the table', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const ctx = await load(pipeline, (await stage(pipeline, 'Sales.csv', 'id,qty\n')).message);
    expect(ctx.published[0]!.message).toMatchObject({ rows: 0 });
    const table = await db.query('select to_regclass($1) as t', [`${schema.schema}.sales`]);
    expect(table.rows[0].t).toBeNull();
  });
});
