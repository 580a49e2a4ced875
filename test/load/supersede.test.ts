// The load ledger keyed on the source file, and re-exported files superseding earlier versions, via the
// real transform and load handlers on the local cloud (Cloud Storage emulator, real PostgreSQL).
import type { Bucket } from '@google-cloud/storage';
import pg from 'pg';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadHandler } from '../../functions/load/handler';
import { loadFile } from '../../functions/load/load-file';
import { readSidecar } from '../../functions/load/read-sidecar';
import { databaseBounds } from '../../functions/runtime/postgres/database-bounds';
import { transformHandler } from '../../functions/transform/handler';
import type { LoadedMessage, StagedMessage } from '../../shared/messages';
import type { Pipeline, PipelineInput } from '../../shared/pipeline-definition';
import { sourceIdentityOf } from '../../shared/source-identity';
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
  bucketName = uniqueName('sluice-sup');
  [bucket] = await ctx.storage.createBucket(bucketName);
  await ctx.close();
  db = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 2 });
});

beforeEach(async () => {
  schema = await createTestSchema('sup');
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

interface SourceFile { path: string; mtime: string; sha256?: string }

// Uploads a raw file as fetch does (source metadata stamped) and runs the real transform on it.
async function stage(pipeline: Pipeline, fileName: string, content: string, source: SourceFile): Promise<StagedMessage> {
  const runId = `run${++runCounter}`;
  const name = `raw/${pipeline.name}/${runId}/${fileName}`;
  const file = bucket.file(name);
  const metadata: Record<string, string> = { sluiceRunId: runId, sluiceSourcePath: source.path, sluiceSourceSize: String(Buffer.byteLength(content)), sluiceSourceMtime: source.mtime };
  if (source.sha256) metadata.sluiceSourceSha256 = source.sha256;
  await file.save(content, { resumable: false, metadata: { metadata } });
  const ctx = contextFor(pipeline, 'transform');
  await transformHandler(ctx, objectFinalizedMessage({ bucket: bucketName, object: name, generation: String(file.metadata.generation) }, content.length));
  expect(ctx.quarantined).toEqual([]);
  return ctx.published[0]!.message as StagedMessage;
}

async function load(pipeline: Pipeline, message: StagedMessage): Promise<TestStageContext> {
  const ctx = contextFor(pipeline, 'load');
  await loadHandler(ctx, stageMessage(message));
  return ctx;
}

async function rows(table: string, order = 1): Promise<Array<Record<string, unknown>>> {
  const result = await db.query(`select * from ${schema.schema}.${table} order by ${order}`);
  return result.rows.map(({ _sluice_load: _, ...row }) => row);
}

async function ledger(): Promise<Array<{ raw_object: string; source_id: string; source_version: string; status: string; rows: string | null }>> {
  return (await db.query(`select raw_object, source_id, source_version, status, rows from ${schema.schema}.sluice_load_ledger order by load_id`)).rows;
}

const pipelineWith = (imports: PipelineInput['imports']) => testPipeline(schema.schema, imports);
const exists = async (name: string) => (await bucket.file(name).exists())[0];

const V1 = 'id,qty,sold_at\n1,2,2024-05-01 10:00:00\n2,5,2024-05-03 18:00:00\n3,1,2024-05-02 09:00:00\n';
// The vendor's corrected re-export: row 2 fixed, row 3 gone (and its date with it), a later mtime.
const V2 = 'id,qty,sold_at\n1,2,2024-05-01 10:00:00\n2,6,2024-05-03 18:00:00\n';
const T1 = '2024-05-04T01:00:00.000Z';
const T2 = '2024-05-04T09:30:00.000Z';
const PATH = '/exports/20240504/Sales.csv';

describe('source identity', () => {
  it('is the remote path, and sha256 when known, else size and mtime', () => {
    expect(sourceIdentityOf({ sluiceSourcePath: '/a/B.csv', sluiceSourceSize: '12', sluiceSourceMtime: T1 })).toEqual({ id: '/a/B.csv', version: `size:12,mtime:${T1}`, time: T1 });
    expect(sourceIdentityOf({ sluiceSourcePath: '/a/B.csv', sluiceSourceSize: '12', sluiceSourceMtime: T1, sluiceSourceSha256: 'AB'.repeat(32) })).toEqual({ id: '/a/B.csv', version: `sha256:${'ab'.repeat(32)}`, time: T1 });
    expect(sourceIdentityOf({})).toBeUndefined();
    expect(sourceIdentityOf(undefined)).toBeUndefined();
  });
});

describe('load ledger keyed on the source file', () => {
  it('loads one source version once, whatever raw name it arrived under', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const first = await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 });
    expect(first.source).toEqual({ id: PATH, version: `size:${V1.length},mtime:${T1}`, time: T1 });
    await load(pipeline, first);
    // A fetch crash made a later run fetch the same file again, under a new raw name.
    const again = await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 });
    expect(again.raw.object).not.toBe(first.raw.object);
    const ctx = await load(pipeline, again);
    expect(await rows('sales')).toHaveLength(3);
    expect(ctx.published).toEqual([]);
    expect(ctx.runs.of('finishFile')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ outcome: 'skipped', stage: 'load', error: expect.stringContaining(`already loaded from ${first.raw.object}`) }) })]);
    expect(await exists(again.raw.object)).toBe(false);
    expect(await exists(again.staged.object)).toBe(false);
    expect(await ledger()).toEqual([expect.objectContaining({ raw_object: first.raw.object, status: 'loaded', rows: '3' })]);
  });

  for (const mode of ['append', 'merge', 'replace'] as const) {
    it(`a re-exported corrected file supersedes the earlier version's rows (${mode})`, async () => {
      const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales', mode, ...(mode === 'merge' ? { key: ['id'] } : {}) }]);
      // Rows of another source file in the same table stay.
      await load(pipeline, await stage(pipeline, 'Sales-other.csv', 'id,qty,sold_at\n9,9,2024-04-01 08:00:00\n', { path: '/exports/20240401/Sales-other.csv', mtime: T1 }));
      await load(pipeline, await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 }));
      const ctx = await load(pipeline, await stage(pipeline, 'Sales.csv', V2, { path: PATH, mtime: T2 }));
      const expected = [{ id: 1, qty: 2, sold_at: new Date('2024-05-01T10:00:00') }, { id: 2, qty: 6, sold_at: new Date('2024-05-03T18:00:00') }];
      const other = { id: 9, qty: 9, sold_at: new Date('2024-04-01T08:00:00') };
      expect(await rows('sales')).toEqual(mode === 'replace' ? expected : [...expected, other]);
      // The removed row's date (2024-05-02) lies inside the published range; the whole old range is covered.
      const loaded = ctx.published[0]!.message as LoadedMessage;
      expect(loaded.timeRanges.sold_at).toEqual({ min: '2024-05-01T10:00:00', max: '2024-05-03T18:00:00' });
      expect((await ledger()).map((l) => l.status)).toEqual(['loaded', 'replaced', 'loaded']);
      expect(ctx.runs.of('stageSucceeded')[0]).toMatchObject({ detail: { details: { removedRows: 3 } } });
    });
  }

  it('publishes the removed rows\' time ranges when they lie outside the new version\'s', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    await load(pipeline, await stage(pipeline, 'Sales.csv', 'id,qty,sold_at\n1,1,2024-04-30 10:00:00\n', { path: PATH, mtime: T1 }));
    const message = await stage(pipeline, 'Sales.csv', 'id,qty,sold_at\n1,1,2024-05-01 10:00:00\n', { path: PATH, mtime: T2 });
    const ctx = await load(pipeline, message);
    expect((ctx.published[0]!.message as LoadedMessage).timeRanges.sold_at).toEqual({ min: '2024-04-30T10:00:00', max: '2024-05-01T10:00:00' });
    // A redelivery after the commit publishes the same ranges.
    const again = await load(pipeline, message);
    expect(again.published[0]!.message).toEqual(ctx.published[0]!.message);
  });

  it('records an older version arriving after a newer one as superseded, leaving the rows as they are', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const older = await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 });
    await load(pipeline, await stage(pipeline, 'Sales.csv', V2, { path: PATH, mtime: T2 }));
    const ctx = await load(pipeline, older);
    expect(await rows('sales')).toHaveLength(2);
    expect(ctx.published).toEqual([]);
    expect(ctx.runs.of('finishFile')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ outcome: 'superseded', stage: 'load' }) })]);
    expect(ctx.quarantined).toEqual([]);
    expect(await exists(older.raw.object)).toBe(false);
    expect((await ledger()).map((l) => l.status)).toEqual(['loaded', 'superseded']);
    // Redelivered: still superseded, nothing applied.
    const again = await load(pipeline, older);
    expect(again.runs.of('finishFile')[0]).toMatchObject({ detail: { outcome: 'superseded' } });
    expect(await rows('sales')).toHaveLength(2);
  });

  it('leaves no partial state when the superseding transaction fails midway', async () => {
    // Declared integer: an inferred text column would widen the table's (schema evolve) instead of failing.
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales', types: { qty: 'integer' } }]);
    await load(pipeline, await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 }));
    const before = await rows('sales');
    // Bad value in the last row: the earlier version's rows were already deleted in the transaction.
    const bad = await stage(pipeline, 'Sales.csv', 'id,qty,sold_at\n1,2,2024-05-01 10:00:00\n2,lots,2024-05-03 18:00:00\n', { path: PATH, mtime: T2 });
    const quarantined = await load(pipeline, bad);
    expect(quarantined.quarantined).toHaveLength(1);
    expect(await rows('sales')).toEqual(before);
    expect((await ledger()).map((l) => l.status)).toEqual(['loaded']);

    // The instance dies mid-COPY (the stream breaks): rolled back, then the redelivery applies it.
    const good = await stage(pipeline, 'Sales.csv', V2, { path: PATH, mtime: T2 });
    const ctx = contextFor(pipeline, 'load');
    const found = await readSidecar(bucket, good.schemaObject);
    const broken = () => {
      const stream = new PassThrough();
      stream.write('id,qty,sold_at\n1,2,2024-05-01 10:00:00\n');
      setImmediate(() => stream.destroy(new Error('instance killed')));
      return stream;
    };
    await expect(loadFile({ pool: await ctx.database(), schema: schema.schema, rule: pipeline.imports[0]!, message: good, sidecar: found!.sidecar, bounds: databaseBounds(540), openStaged: broken })).rejects.toThrow();
    expect(await rows('sales')).toEqual(before);
    expect((await ledger()).map((l) => l.status)).toEqual(['loaded']);
    await load(pipeline, good);
    expect(await rows('sales')).toHaveLength(2);
    expect((await ledger()).map((l) => l.status)).toEqual(['replaced', 'loaded']);
  });

  it('brings a table and ledger of an earlier version up to date; their old rows keep NULL lineage', async () => {
    const s = schema.schema;
    await db.query(`create table ${s}.sales (id integer, qty integer, sold_at timestamp)`);
    await db.query(`insert into ${s}.sales values (7, 7, '2024-03-01 10:00')`);
    await db.query(`create table ${s}.sluice_load_ledger (raw_object text not null, raw_generation text not null, run_id text not null, file_key text not null,
      target_table text not null, rule text not null, rows bigint, time_ranges jsonb not null default '{}'::jsonb, loaded_at timestamptz not null default now(),
      primary key (raw_object, raw_generation))`);
    await db.query(`insert into ${s}.sluice_load_ledger (raw_object, raw_generation, run_id, file_key, target_table, rule, rows) values ('raw/shop/old/Sales.csv', '1', 'old', 'k', 'sales', 'sales', 1)`);
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    await load(pipeline, await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 }));
    await load(pipeline, await stage(pipeline, 'Sales.csv', V2, { path: PATH, mtime: T2 }));
    const all = (await db.query(`select id, _sluice_load from ${s}.sales order by id`)).rows;
    expect(all.map((r) => r.id)).toEqual([1, 2, 7]);
    expect(all.find((r) => r.id === 7)._sluice_load).toBeNull();
    expect(await ledger()).toEqual([
      expect.objectContaining({ raw_object: 'raw/shop/old/Sales.csv', source_id: 'raw/shop/old/Sales.csv', source_version: 'generation:1', status: 'loaded' }),
      expect.objectContaining({ source_id: PATH, status: 'replaced' }),
      expect.objectContaining({ source_id: PATH, status: 'loaded' }),
    ]);
  });

  it('keys a message without a source (an older transform) on the raw object and generation', async () => {
    const pipeline = pipelineWith([{ name: 'sales', match: '^Sales', table: 'sales' }]);
    const { source: _, ...legacy } = await stage(pipeline, 'Sales.csv', V1, { path: PATH, mtime: T1 });
    await load(pipeline, legacy);
    await load(pipeline, legacy);
    expect(await rows('sales')).toHaveLength(3);
    expect(await ledger()).toEqual([expect.objectContaining({ source_id: legacy.raw.object, source_version: `generation:${legacy.raw.generation}` })]);
  });
});
