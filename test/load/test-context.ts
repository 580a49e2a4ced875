// A StageContext for transform/load tests and the benchmark: real Storage and PostgreSQL clients,
// the runtime's real quarantine mover, and in-memory stand-ins for what these tests only observe
// (run recorder calls, published messages). The lead's Firestore recorder can replace `runs` later.
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import pg from 'pg';
import type { Logger } from '../../shared/logger';
import { silentLogger } from '../../shared/logger';
import type { ObjectRef, StageMessage } from '../../shared/messages';
import type { Pipeline } from '../../shared/pipeline-definition';
import type { StageName } from '../../shared/stage-declaration';
import type { FileOutcome, FileStageReport, QuarantineInput, RunRecorder, RunStart, StageContext } from '../../functions/runtime/context';
import { quarantineObject } from '../../functions/runtime/quarantine-object';
import { stages } from '../../functions/stages';

export interface RecordedCall {
  method: keyof RunRecorder;
  runId: string;
  fileKey?: string;
  stage?: StageName;
  detail?: unknown;
}

// Records every call; finishFile is idempotent per file like the real one.
export class MemoryRunRecorder implements RunRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly finished = new Set<string>();

  async startRun(runId: string, start: RunStart): Promise<void> {
    this.calls.push({ method: 'startRun', runId, detail: start });
  }
  async setExpectedFiles(runId: string, count: number): Promise<{ runComplete: boolean }> {
    this.calls.push({ method: 'setExpectedFiles', runId, detail: count });
    return { runComplete: false };
  }
  async recordSkipped(runId: string, fileKey: string, file: { name: string; reason: string; size?: number }): Promise<void> {
    this.calls.push({ method: 'recordSkipped', runId, fileKey, detail: file });
  }
  async stageStarted(runId: string, fileKey: string, stage: StageName, file?: { name?: string; raw?: ObjectRef }): Promise<void> {
    this.calls.push({ method: 'stageStarted', runId, fileKey, stage, detail: file });
  }
  async stageSucceeded(runId: string, fileKey: string, stage: StageName, report?: FileStageReport): Promise<void> {
    this.calls.push({ method: 'stageSucceeded', runId, fileKey, stage, detail: report });
  }
  async stageFailed(runId: string, fileKey: string, stage: StageName, error: string): Promise<void> {
    this.calls.push({ method: 'stageFailed', runId, fileKey, stage, detail: error });
  }
  async finishFile(runId: string, fileKey: string, outcome: FileOutcome, details?: { stage?: StageName; error?: string; row?: number }): Promise<{ runComplete: boolean }> {
    const key = `${runId}/${fileKey}`;
    if (this.finished.has(key)) return { runComplete: false };
    this.finished.add(key);
    this.calls.push({ method: 'finishFile', runId, fileKey, detail: { outcome, ...details } });
    return { runComplete: false };
  }
  of(method: keyof RunRecorder): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }
}

export interface TestStageContext extends StageContext {
  runs: MemoryRunRecorder;
  published: Array<{ stage: StageName; message: StageMessage }>;
  quarantined: QuarantineInput[];
  close(): Promise<void>;
}

export interface TestContextOptions {
  pipeline: Pipeline;
  stage: 'transform' | 'load';
  bucket: string;
  storageUrl: string;
  databaseUrl?: string;
  projectId?: string;
  pubsubHost?: string;
  firestoreHost?: string;
  logger?: Logger;
}

export function createTestContext(o: TestContextOptions): TestStageContext {
  const projectId = o.projectId ?? 'sluice-test';
  const storage = new Storage({ projectId, apiEndpoint: o.storageUrl });
  // Constructed but not used by transform/load; they connect lazily, so unreachable hosts are fine.
  const pubsub = new PubSub({ projectId, apiEndpoint: o.pubsubHost ?? '127.0.0.1:9', emulatorMode: true });
  const firestore = new Firestore({ projectId, host: o.firestoreHost ?? '127.0.0.1:9', ssl: false });
  const runs = new MemoryRunRecorder();
  const published: TestStageContext['published'] = [];
  const quarantined: QuarantineInput[] = [];
  let pool: pg.Pool | undefined;
  const stage = stages[o.stage];

  const ctx: TestStageContext = {
    pipeline: o.pipeline,
    stage,
    logger: o.logger ?? silentLogger,
    messageId: 'test-message',
    bucket: o.bucket,
    storage,
    pubsub,
    firestore,
    secrets: { read: async (name) => { throw new Error(`test context has no secret ${name}`); } },
    runs,
    overrides: {},
    published,
    quarantined,
    async database() {
      if (!o.databaseUrl) throw new Error('test context has no database');
      pool ??= new pg.Pool({ connectionString: o.databaseUrl, max: 3 });
      return pool;
    },
    async publish(target, message) {
      published.push({ stage: target, message });
      return String(published.length);
    },
    async quarantine(input) {
      await quarantineObject(storage, input, stage.name);
      quarantined.push(input);
      await runs.stageFailed(input.runId, input.fileKey, stage.name, input.reason);
      await ctx.finishFile(input.runId, input.fileKey, 'quarantined', { stage: stage.name, error: input.reason, ...(input.row !== undefined ? { row: input.row } : {}) });
    },
    async finishFile(runId, fileKey, outcome, details) {
      await runs.finishFile(runId, fileKey, outcome, details);
    },
    async setExpectedFiles(runId, count) {
      await runs.setExpectedFiles(runId, count);
    },
    async failRun(runId, error) {
      runs.calls.push({ method: 'stageFailed', runId, stage: stage.name, detail: { runFailed: error } });
    },
    async close() {
      await pool?.end();
      await Promise.all([pubsub.close().catch(() => undefined), firestore.terminate().catch(() => undefined)]);
    },
  };
  return ctx;
}

// The Pub/Sub message Cloud Storage sends for a finalized object (payloadFormat JSON_API_V1).
export function objectFinalizedMessage(ref: ObjectRef, size: number, eventType = 'OBJECT_FINALIZE') {
  return {
    messageId: `gcs-${ref.generation}`,
    attributes: { eventType, bucketId: ref.bucket, objectId: ref.object, objectGeneration: ref.generation, payloadFormat: 'JSON_API_V1', notificationConfig: 'projects/_/buckets/test/notificationConfigs/1' },
    data: Buffer.from(JSON.stringify({ kind: 'storage#object', bucket: ref.bucket, name: ref.object, generation: ref.generation, size: String(size) })),
  };
}

export function stageMessage(message: StageMessage, id = 'm1') {
  return { messageId: id, attributes: {}, data: Buffer.from(JSON.stringify(message)) };
}
