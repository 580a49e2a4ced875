// Drives raw objects through the real transform, load and aggregate handlers of a stage test world, as
// the bucket notification and Pub/Sub would, one handler call at a time: the shared runner of the
// file corpora (test/bad-input/, test/format-corpus/). Each stage runs in a context of its own; what a
// handler throws (a retry in production) is collected, not raised, so a test can assert there was none.
import { pipeline as streamPipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { handleAggregate } from '../../functions/aggregate/handler';
import { loadHandler } from '../../functions/load/handler';
import { createTransformHandler } from '../../functions/transform/handler';
import type { StageHandler } from '../../functions/runtime/context';
import type { ObjectRef, StageMessage } from '../../shared/messages';
import type { StageName } from '../../shared/stage-declaration';
import { createTestContext, objectFinalizedMessage, stageMessage, type StageHarness, type StageTestWorld } from './stage-test-context';

export type CorpusBody = Buffer | { stream: () => Readable; bytes: number };

// A table read back: its columns (without Sluice's `_sluice_load` lineage), their PostgreSQL types
// (information_schema's data_type) and every value in PostgreSQL's text form (timestamptz in UTC), in
// the order the rows were written.
export interface TableContent {
  columns: string[];
  types: Record<string, string>;
  rows: Array<Record<string, string | null>>;
}

export interface CorpusRunner {
  upload(objectPath: string, body: CorpusBody, metadata?: Record<string, string>): Promise<{ ref: ObjectRef; size: number }>;
  // What the handler published, each with the stage it was sent to, and what it threw.
  runStage(stage: StageName, handler: StageHandler, message: Parameters<StageHandler>[1]): Promise<{ published: Published[]; thrown?: unknown }>;
  // transform → load → aggregate for one raw object (and the members an archive expands into), as far
  // as each stage publishes; returns what the handlers threw.
  runFile(ref: ObjectRef, size: number): Promise<unknown[]>;
  // null when the table does not exist.
  tableRows(table: string, orderBy?: string): Promise<TableContent | null>;
}

type Published = { stage: StageName; message: StageMessage };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function corpusRunner(world: StageTestWorld, harness: () => StageHarness): CorpusRunner {
  const transformHandler = createTransformHandler();
  const bucket = () => world.clients.storage.bucket(world.bucket);

  const runner: CorpusRunner = {
    async upload(objectPath, body, metadata) {
      const file = bucket().file(objectPath);
      const options = metadata ? { metadata: { metadata } } : {};
      if (Buffer.isBuffer(body)) {
        await file.save(body, { resumable: false, ...options });
        return { ref: { bucket: world.bucket, object: objectPath, generation: String(file.metadata.generation) }, size: body.length };
      }
      // Streamed: the generator never holds the whole file.
      await streamPipeline(body.stream(), file.createWriteStream({ resumable: true, validation: false, ...options }));
      return { ref: { bucket: world.bucket, object: objectPath, generation: String(file.metadata.generation) }, size: body.bytes };
    },

    async runStage(stage, handler, message) {
      const h = harness();
      const ctx = createTestContext({
        pipeline: h.pipeline, stage, record: 'cloud', clients: world.clients, projectId: world.projectId, prefix: world.prefix,
        bucket: world.bucket, secretsDir: world.secretsDir, logger: world.logger,
      });
      try {
        await handler(ctx, message);
        return { published: ctx.published };
      } catch (thrown) {
        return { published: ctx.published, thrown };
      } finally {
        await ctx.close();
      }
    },

    async runFile(ref, size) {
      const thrown: unknown[] = [];
      const transformed = await runner.runStage('transform', transformHandler, objectFinalizedMessage(ref, size));
      if (transformed.thrown) thrown.push(transformed.thrown);
      // An expanded archive's members (raw objects under its own path), as their notifications would.
      const [members] = await bucket().getFiles({ prefix: `${ref.object}/` });
      for (const member of members) {
        thrown.push(...(await runner.runFile({ bucket: world.bucket, object: member.name, generation: String(member.metadata.generation) }, Number(member.metadata.size))));
      }
      // Only what went to the next stage: a file that ends its run also tells notify.
      for (const staged of transformed.published.filter((p) => p.stage === 'load')) {
        const loaded = await runner.runStage('load', loadHandler, stageMessage(staged.message));
        if (loaded.thrown) thrown.push(loaded.thrown);
        for (const done of loaded.published.filter((p) => p.stage === 'aggregate')) {
          const aggregated = await runner.runStage('aggregate', handleAggregate, stageMessage(done.message));
          if (aggregated.thrown) thrown.push(aggregated.thrown);
        }
      }
      return thrown;
    },

    async tableRows(table, orderBy = 'ctid') {
      const { rows: cols } = await world.db.query<{ name: string; type: string }>(
        `select column_name as name, data_type as type from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
        [world.schema.schema, table],
      );
      if (cols.length === 0) return null;
      // The lineage column is Sluice's bookkeeping (which load wrote the row), not the file's data.
      const data = cols.filter((c) => c.name !== '_sluice_load');
      const list = data.map((c) => `${quote(c.name)}::text as ${quote(c.name)}`).join(', ');
      const client = await world.db.connect();
      try {
        // Text forms of timestamptz depend on the session's zone: read them in UTC.
        await client.query(`set time zone 'UTC'`);
        const { rows } = await client.query<Record<string, string | null>>(`select ${list} from ${quote(world.schema.schema)}.${quote(table)} order by ${orderBy}`);
        return { columns: data.map((c) => c.name), types: Object.fromEntries(data.map((c) => [c.name, c.type])), rows };
      } finally {
        client.release();
      }
    },
  };
  return runner;
}
