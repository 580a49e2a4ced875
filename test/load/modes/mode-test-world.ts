// What the load-mode tests share: a bucket on the Cloud Storage emulator, a fresh schema per test,
// files uploaded as fetch does (source path and mtime stamped), staged by the real transform handler
// and loaded by the real load handler.
import type { Bucket } from '@google-cloud/storage';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { loadHandler } from '../../../functions/load/handler';
import { transformHandler } from '../../../functions/transform/handler';
import type { LoadedMessage, StagedMessage } from '../../../shared/messages';
import type { Pipeline, PipelineInput } from '../../../shared/pipeline-definition';
import { createTestSchema, localCloud, uniqueName, uniqueProjectId, type TestSchema } from '../../support/local-cloud';
import { createTestContext, objectFinalizedMessage, stageMessage, type TestStageContext } from '../../support/stage-test-context';
import { testPipeline } from '../test-pipeline';

export interface ModeTestWorld {
  readonly schema: string;
  readonly db: pg.Pool;
  pipelineWith(imports: PipelineInput['imports']): Pipeline;
  // Uploads `content` as the source file `path` with that mtime and runs the real transform.
  stage(pipeline: Pipeline, path: string, content: string, mtime: string): Promise<StagedMessage>;
  load(pipeline: Pipeline, message: StagedMessage): Promise<TestStageContext>;
  rows(table: string, order?: string): Promise<Array<Record<string, unknown>>>;
  ledger(): Promise<Array<{ load_id: string; source_id: string; status: string; rows: string | null }>>;
}

// The load's run-record details and LoadedMessage, for a context that loaded one file.
export const detailsOf = (ctx: TestStageContext) => (ctx.runs.of('stageSucceeded')[0]?.detail as { details: Record<string, unknown> }).details;
export const loadedOf = (ctx: TestStageContext) => ctx.published[0]?.message as LoadedMessage;
export const outcomeOf = (ctx: TestStageContext) => (ctx.runs.of('finishFile')[0]?.detail as { outcome?: string } | undefined)?.outcome;

export function modeTestWorld(prefix: string): ModeTestWorld {
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

  const contextFor = (pipeline: Pipeline, stage: 'transform' | 'load'): TestStageContext => {
    const endpoints = localCloud();
    const ctx = createTestContext({ pipeline, stage, bucket: bucketName, storageUrl: endpoints.storageUrl, databaseUrl: endpoints.databaseUrl, projectId: endpoints.projectId });
    contexts.push(ctx);
    return ctx;
  };

  return {
    get schema() { return schema.schema; },
    get db() { return db; },
    pipelineWith: (imports) => testPipeline(schema.schema, imports),
    async stage(pipeline, path, content, mtime) {
      const runId = `run${++runCounter}`;
      const name = `raw/${pipeline.name}/${runId}/${path.split('/').at(-1)}`;
      const file = bucket.file(name);
      const metadata = { sluiceRunId: runId, sluiceSourcePath: path, sluiceSourceSize: String(Buffer.byteLength(content)), sluiceSourceMtime: mtime };
      await file.save(content, { resumable: false, metadata: { metadata } });
      const ctx = contextFor(pipeline, 'transform');
      await transformHandler(ctx, objectFinalizedMessage({ bucket: bucketName, object: name, generation: String(file.metadata.generation) }, content.length));
      expect(ctx.quarantined).toEqual([]);
      return ctx.published[0]!.message as StagedMessage;
    },
    async load(pipeline, message) {
      const ctx = contextFor(pipeline, 'load');
      await loadHandler(ctx, stageMessage(message));
      return ctx;
    },
    async rows(table, order = '1') {
      const result = await db.query(`select * from ${schema.schema}.${table} order by ${order}`);
      return result.rows.map(({ _sluice_load: _, ...row }) => row);
    },
    async ledger() {
      return (await db.query(`select load_id, source_id, status, rows from ${schema.schema}.sluice_load_ledger order by load_id`)).rows;
    },
  };
}
