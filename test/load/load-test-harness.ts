// The load handler on the local cloud for a test file: a bucket, a PostgreSQL schema per test, files
// staged by the real transform handler and loaded by the real load handler (as load-handler.test.ts).
import type { Bucket } from '@google-cloud/storage';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { loadHandler } from '../../functions/load/handler';
import { transformHandler } from '../../functions/transform/handler';
import type { StagedMessage } from '../../shared/messages';
import type { Pipeline, PipelineInput } from '../../shared/pipeline-definition';
import { createTestSchema, localCloud, uniqueName, uniqueProjectId, type TestSchema } from '../support/local-cloud';
import { createTestContext, objectFinalizedMessage, stageMessage, type TestStageContext } from '../support/stage-test-context';
import { testPipeline } from './test-pipeline';

export interface LoadHarness {
  readonly schema: string;
  readonly db: pg.Pool;
  readonly bucket: Bucket;
  pipelineWith(imports: PipelineInput['imports']): Pipeline;
  // Uploads a raw file (with the source metadata fetch stamps, when given) and runs the real transform
  // on it; returns the message transform published.
  stage(pipeline: Pipeline, fileName: string, content: string, source?: { path: string; mtime: string }): Promise<{ message: StagedMessage; rawPath: string }>;
  // `sessionTimeZone`: the database sessions' TimeZone setting (the server's default otherwise).
  load(pipeline: Pipeline, message: StagedMessage, options?: { sessionTimeZone?: string }): Promise<TestStageContext>;
  // The table's rows without the lineage column.
  rows(table: string, order?: string): Promise<Array<Record<string, unknown>>>;
  exists(object: string): Promise<boolean>;
  // The load ledger's rows, in load order.
  ledger(): Promise<Array<{ load_id: string; source_id: string; status: string; rows: string | null }>>;
}

export function useLoadHarness(prefix: string): LoadHarness {
  let bucket: Bucket;
  let bucketName: string;
  let schema: TestSchema;
  let db: pg.Pool;
  const contexts: TestStageContext[] = [];
  let runCounter = 0;

  beforeAll(async () => {
    const endpoints = localCloud();
    const ctx = createTestContext({ pipeline: testPipeline('x', [{ name: 'x', match: 'x', table: 'x' }]), stage: 'load', bucket: 'x', storageUrl: endpoints.storageUrl, projectId: uniqueProjectId() });
    bucketName = uniqueName(`sluice-${prefix}`);
    [bucket] = await ctx.storage.createBucket(bucketName);
    await ctx.close();
    // Three: the replace-atomicity test holds one connection open while it reads with another.
    db = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 3 });
  });
  beforeEach(async () => {
    schema = await createTestSchema(prefix);
  });
  afterEach(async () => {
    await schema.drop();
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await db.end();
  });

  const contextFor = (pipeline: Pipeline, stage: 'transform' | 'load', sessionTimeZone?: string): TestStageContext => {
    const endpoints = localCloud();
    const url = new URL(endpoints.databaseUrl);
    if (sessionTimeZone) url.searchParams.set('options', `-c TimeZone=${sessionTimeZone}`);
    const ctx = createTestContext({ pipeline, stage, bucket: bucketName, storageUrl: endpoints.storageUrl, databaseUrl: url.toString(), projectId: endpoints.projectId });
    contexts.push(ctx);
    return ctx;
  };

  return {
    get schema() { return schema.schema; },
    get db() { return db; },
    get bucket() { return bucket; },
    pipelineWith: (imports) => testPipeline(schema.schema, imports),
    async stage(pipeline, fileName, content, source) {
      const runId = `run${++runCounter}`;
      const name = `raw/${pipeline.name}/${runId}/${fileName}`;
      const file = bucket.file(name);
      const metadata = source ? { sluiceRunId: runId, sluiceSourcePath: source.path, sluiceSourceSize: String(Buffer.byteLength(content)), sluiceSourceMtime: source.mtime } : undefined;
      await file.save(content, { resumable: false, ...(metadata ? { metadata: { metadata } } : {}) });
      const ctx = contextFor(pipeline, 'transform');
      await transformHandler(ctx, objectFinalizedMessage({ bucket: bucketName, object: name, generation: String(file.metadata.generation) }, content.length));
      expect(ctx.quarantined).toEqual([]);
      return { message: ctx.published[0]!.message as StagedMessage, rawPath: `${runId}/${fileName}` };
    },
    async load(pipeline, message, options = {}) {
      const ctx = contextFor(pipeline, 'load', options.sessionTimeZone);
      await loadHandler(ctx, stageMessage(message));
      return ctx;
    },
    async rows(table, order = '1') {
      const result = await db.query(`select * from ${schema.schema}.${table} order by ${order}`);
      return result.rows.map(({ _sluice_load: _, ...row }) => row);
    },
    async exists(object) {
      return (await bucket.file(object).exists())[0];
    },
    async ledger() {
      return (await db.query(`select load_id, source_id, status, rows from ${schema.schema}.sluice_load_ledger order by load_id`)).rows;
    },
  };
}
