// The one way handler tests (and the benchmark's stage worker) get a StageContext: the runtime's own
// (createStageResources), so quarantine, finishFile and failRun behave as in production. What differs
// between suites is an option:
//  - record 'memory' (default): run store calls and published messages stay in memory. For tests that
//    watch one handler (transform, load, the benchmark); needs only Cloud Storage and PostgreSQL.
//  - record 'cloud': the Firestore run store and real topics, for tests that follow a run across
//    stages (fetch, aggregate, notify) in a world of their own (startStageTestWorld + stageHarness).
// Every context also keeps what it published and quarantined, so tests can check it.
// The benchmark's worker measures a stage's peak memory with this module loaded: what only worlds need
// (vitest's inject, the SMTP and SFTP servers) is imported when a world starts, not with the module.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Message } from '@google-cloud/pubsub';
import pg from 'pg';
import type { SftpServer, SftpUser } from '../../emulator/sftp-server';
import type { SmtpServer } from '../../emulator/smtp-server';
import type { ArchiveMemberRecord, FileOutcome, FileStageReport, IncomingMessage, QuarantineInput, RunStart, SecretReader, StageContext, StageHandler } from '../../functions/runtime/context';
import { createFirestoreRunStore, type FirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import type { Actor, FileRecord, RunAction, RunRecord } from '../../functions/runtime/run-record';
import type { QueuedRun, RunPage } from '../../functions/runtime/run-store';
import { createSecretReader } from '../../functions/runtime/secret-reader';
import { createStageResources, topicPublisher, type StageRunRecorder } from '../../functions/runtime/stage-context';
import { stages } from '../../functions/stages';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { createLogger, silentLogger, type Logger } from '../../shared/logger';
import type { ObjectRef, StageMessage } from '../../shared/messages';
import { definePipeline, type Pipeline, type PipelineInput } from '../../shared/pipeline-definition';
import type { StageName } from '../../shared/stage-declaration';
import { topicName } from '../../shared/topology';
import type { TestSchema } from './local-cloud';

// Nobody listens here: clients a test never uses may point at it (they connect lazily), and secrets
// for the "server unavailable" cases do.
const NOWHERE = '127.0.0.1:9';
// A secret value tests check never leaks into a log line or a mail.
export const SMTP_PASSWORD = 'smtp-Pw-7c1f9e';

export interface RecordedCall { method: keyof StageRunRecorder; runId: string; fileKey?: string; stage?: StageName; detail?: unknown }

// Records every call; finishFile and failRun are idempotent like the real ones. It keeps no run
// records: reads find nothing, and the controls are recorded (a run asked to cancel is cancelled, so
// handler tests can check a stage's cooperative cancel).
export class MemoryRunRecorder implements StageRunRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly ended = new Set<string>();
  private readonly cancelled = new Set<string>();
  private record(call: RecordedCall): void { this.calls.push(call); }
  async startRun(runId: string, start: RunStart) { this.record({ method: 'startRun', runId, detail: start }); return { expectedFiles: null }; }
  async setExpectedFiles(runId: string, count: number) { this.record({ method: 'setExpectedFiles', runId, detail: count }); return { runComplete: false }; }
  async recordSkipped(runId: string, fileKey: string, file: { name: string; reason: string; size?: number }) { this.record({ method: 'recordSkipped', runId, fileKey, detail: file }); }
  async recordWarnings(runId: string, warnings: string[]) { this.record({ method: 'recordWarnings', runId, detail: warnings }); }
  async stageStarted(runId: string, fileKey: string, stage: StageName, file?: { name?: string; raw?: ObjectRef; stagedToken?: string }) { this.record({ method: 'stageStarted', runId, fileKey, stage, detail: file }); }
  async stageSucceeded(runId: string, fileKey: string, stage: StageName, report?: FileStageReport) { this.record({ method: 'stageSucceeded', runId, fileKey, stage, detail: report }); }
  async stageFailed(runId: string, fileKey: string, stage: StageName, error: string) { this.record({ method: 'stageFailed', runId, fileKey, stage, detail: error }); }
  async finishFile(runId: string, fileKey: string, outcome: FileOutcome, details?: { stage?: StageName; error?: string; row?: number }) {
    if (this.once(`file:${runId}/${fileKey}`)) this.record({ method: 'finishFile', runId, fileKey, detail: { outcome, ...details } });
    return { runComplete: false };
  }
  async expandFile(runId: string, fileKey: string, members: ArchiveMemberRecord[]) {
    if (this.once(`file:${runId}/${fileKey}`)) this.record({ method: 'expandFile', runId, fileKey, detail: members });
  }
  async failRun(runId: string, stage: StageName, error: string) {
    const firstFailure = this.once(`run:${runId}`);
    if (firstFailure) this.record({ method: 'failRun', runId, stage, detail: error });
    return { firstFailure };
  }
  async getRun(_runId: string): Promise<RunRecord | undefined> { return undefined; }
  async getFiles(_runId: string): Promise<FileRecord[]> { return []; }
  async getFile(_runId: string, _fileKey: string): Promise<FileRecord | undefined> { return undefined; }
  async listRuns(): Promise<RunPage> { return { runs: [] }; }
  async countRuns() { return 0; }
  async findRunByMessageId(): Promise<string | undefined> { return undefined; }
  async settleRun(runId: string): Promise<RunRecord> { throw new Error(`the memory run recorder keeps no run ${runId} to settle`); }
  async settleFailedRun(runId: string): Promise<RunRecord> { throw new Error(`the memory run recorder keeps no run ${runId} to settle`); }
  async markReportsSent(runId: string) { this.record({ method: 'markReportsSent', runId }); }
  async markNotifyDone(runId: string) { this.record({ method: 'markNotifyDone', runId }); }
  async nameFile(runId: string, fileKey: string, name: string) { this.record({ method: 'nameFile', runId, fileKey, detail: name }); }
  async runningRuns(): Promise<RunRecord[]> { return []; }
  async notifyPendingRuns(): Promise<RunRecord[]> { return []; }
  async queueRun(runId: string, run: QueuedRun) { this.record({ method: 'queueRun', runId, detail: run }); return this.once(`queued:${runId}`); }
  async recordPausedRun(runId: string, run: Parameters<StageRunRecorder['recordPausedRun']>[1]) { this.record({ method: 'recordPausedRun', runId, detail: run }); }
  async requestCancel(runId: string, actor: Actor): Promise<RunRecord | undefined> { this.record({ method: 'requestCancel', runId, detail: actor }); this.cancelled.add(runId); return undefined; }
  async isCancelled(runId: string) { return this.cancelled.has(runId); }
  async recordDryRun(runId: string, items: Array<{ name: string; size?: number; key: string }>) { this.record({ method: 'recordDryRun', runId, detail: items }); }
  async appendAction(runId: string, action: RunAction) { this.record({ method: 'appendAction', runId, detail: action }); }
  watchRun() { return () => {}; }
  watchRuns() { return () => {}; }
  watchFiles() { return () => {}; }
  watchAllFiles() { return () => {}; }
  of(method: keyof StageRunRecorder): RecordedCall[] { return this.calls.filter((c) => c.method === method); }
  private once(key: string): boolean { return !this.ended.has(key) && !!this.ended.add(key); }
}

export interface TestStageContext<Runs extends StageRunRecorder = MemoryRunRecorder> extends StageContext {
  runs: Runs;
  published: Array<{ stage: StageName; message: StageMessage; attributes?: Record<string, string> }>;
  quarantined: QuarantineInput[];
  // Ends its database pool, and the clients it made itself.
  close(): Promise<void>;
}

export interface StageTestContextOptions {
  pipeline: Pipeline;
  stage: StageName;
  record?: 'memory' | 'cloud';
  // A world's clients (not closed by the context); without, it makes its own from the endpoints below.
  clients?: GoogleClients;
  storageUrl?: string;
  pubsubHost?: string;
  firestoreHost?: string;
  projectId?: string;
  bucket?: string;
  // Topic name prefix, for record 'cloud'.
  prefix?: string;
  // Secrets: from this directory through the runtime's reader; without, only the database URL is known.
  secretsDir?: string;
  databaseUrl?: string;
  logger?: Logger;
  messageId?: string;
  localEndpoints?: StageContext['localEndpoints'];
}

export function createTestContext(o: StageTestContextOptions & { record?: 'memory' }): TestStageContext;
export function createTestContext(o: StageTestContextOptions & { record: 'cloud' }): TestStageContext<StageRunRecorder>;
export function createTestContext(o: StageTestContextOptions): TestStageContext<StageRunRecorder> {
  const projectId = o.projectId ?? 'sluice-test';
  if (!o.clients && !o.storageUrl) throw new Error('a test context needs clients or a storageUrl');
  const ownClients = o.clients ? undefined : createGoogleClients({ projectId, storageUrl: o.storageUrl, pubsubHost: o.pubsubHost ?? NOWHERE, firestoreHost: o.firestoreHost ?? NOWHERE });
  const clients = o.clients ?? ownClients!;
  const prefix = o.prefix ?? 'test';
  const memory = o.record === 'cloud' ? undefined : new MemoryRunRecorder();
  const runs: StageRunRecorder = memory ?? createFirestoreRunStore(clients.firestore);
  const published: TestStageContext['published'] = [];
  const quarantined: QuarantineInput[] = [];
  const toTopic = topicPublisher(clients, prefix, o.pipeline);
  const resources = createStageResources({
    pipeline: o.pipeline,
    stage: stages[o.stage],
    prefix,
    bucket: o.bucket ?? 'unused',
    clients,
    secrets: o.secretsDir ? createSecretReader({ env: {}, secretsDir: o.secretsDir, projectId, allowed: o.pipeline.secrets }) : databaseOnly(o.pipeline, o.databaseUrl),
    logger: o.logger ?? silentLogger,
    ...(o.localEndpoints ? { localEndpoints: o.localEndpoints } : {}),
    runs,
    async publish(target, message, attributes) {
      published.push({ stage: target, message, ...(attributes ? { attributes } : {}) });
      return memory ? String(published.length) : toTopic(target, message, attributes);
    },
  });
  const messageId = o.messageId ?? 'test-message';
  const ctx = resources.contextFor(messageId, (o.logger ?? silentLogger).child({ stage: o.stage, messageId }));
  return {
    ...ctx,
    runs,
    published,
    quarantined,
    async quarantine(input) {
      await ctx.quarantine(input);
      quarantined.push(input);
    },
    async close() {
      await resources.close();
      await ownClients?.close();
    },
  };
}

function databaseOnly(pipeline: Pipeline, databaseUrl: string | undefined): SecretReader {
  return {
    async read(name) {
      if (name === pipeline.database.url.secret && databaseUrl) return databaseUrl;
      throw new Error(`test context has no secret ${name}`);
    },
  };
}

export interface StageTestWorldOptions {
  // Names its project id, schema and temp directory.
  label: string;
  // A bucket of its own (world.bucket).
  bucket?: boolean;
  // A PostgreSQL schema of its own (world.schema, world.db); secrets db-url, and dead-db-url (unreachable).
  database?: boolean;
  // An SMTP server of its own (world.smtp, world.outbox()); secrets smtp-url, and dead-smtp-url (unreachable).
  smtp?: boolean;
  // An SFTP server of its own serving world.root, with these users.
  sftpUsers?: SftpUser[];
  // More secret files: name → value.
  secrets?: Record<string, string>;
}

// A pipeline's surroundings in the shared local cloud: its own project id (separate Firestore and Pub/Sub
// data), topic prefix and, as asked, bucket, schema, SMTP and SFTP servers. Log lines are kept to check.
export interface StageTestWorld {
  started: StageTestWorldOptions;
  projectId: string;
  prefix: string;
  clients: GoogleClients;
  secretsDir: string;
  secretNames: string[];
  // `prefix-<random>`: names the tests give pipelines, buckets and the like.
  uniqueName(prefix: string): string;
  logLines: string[];
  logger: Logger;
  // Those below throw when the world was started without them.
  bucket: string;
  schema: TestSchema;
  databaseUrl: string;
  // Admin pool on the schema, for arranging data and computing expectations.
  db: pg.Pool;
  smtp: SmtpServer;
  sftp: SftpServer;
  root: string;
  // The .eml files the SMTP server stored so far, oldest first.
  outbox(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startStageTestWorld(o: StageTestWorldOptions): Promise<StageTestWorld> {
  const { createTestSchema, localCloud, uniqueName, uniqueProjectId } = await import('./local-cloud');
  const endpoints = localCloud();
  const projectId = uniqueProjectId(o.label);
  const clients = createGoogleClients({ projectId, pubsubHost: endpoints.pubsubHost, firestoreHost: endpoints.firestoreHost, storageUrl: endpoints.storageUrl });
  const workDir = await mkdtemp(path.join(os.tmpdir(), `sluice-${o.label}-test-`));
  const secretsDir = path.join(workDir, 'secrets');
  const root = path.join(workDir, 'served');
  await mkdir(secretsDir);
  const bucket = o.bucket ? uniqueName(o.label) : undefined;
  if (bucket) await clients.storage.createBucket(bucket);
  const schema = o.database ? await createTestSchema(o.label) : undefined;
  const db = schema ? new pg.Pool({ connectionString: schema.databaseUrl, max: 4 }) : undefined;
  const smtp = o.smtp ? await (await import('../../emulator/smtp-server')).startSmtpServer({ outboxDir: path.join(workDir, 'outbox') }) : undefined;
  const sftp = o.sftpUsers ? await (await import('../../emulator/sftp-server')).startSftpServer({ root, users: o.sftpUsers }) : undefined;
  const secrets: Record<string, string> = {
    ...(schema ? { 'db-url': schema.databaseUrl, 'dead-db-url': `postgres://sluice:nope@${NOWHERE}/sluice` } : {}),
    ...(smtp ? { 'smtp-url': `smtp://sluice:${SMTP_PASSWORD}@${smtp.host}:${smtp.port}`, 'dead-smtp-url': `smtp://sluice:${SMTP_PASSWORD}@${NOWHERE}` } : {}),
    ...o.secrets,
  };
  for (const [name, value] of Object.entries(secrets)) await writeFile(path.join(secretsDir, name), value);
  const logLines: string[] = [];
  const need = <T>(value: T | undefined, option: string): T => {
    if (value === undefined) throw new Error(`this test world was started without ${option}`);
    return value;
  };
  return {
    started: o,
    projectId,
    prefix: uniqueName('t').replace(/-/g, ''),
    clients,
    secretsDir,
    secretNames: Object.keys(secrets),
    uniqueName,
    logLines,
    logger: createLogger({}, (line) => logLines.push(line), 'DEBUG'),
    get bucket() { return need(bucket, 'bucket: true'); },
    get schema() { return need(schema, 'database: true'); },
    get databaseUrl() { return need(schema, 'database: true').databaseUrl; },
    get db() { return need(db, 'database: true'); },
    get smtp() { return need(smtp, 'smtp: true'); },
    get sftp() { return need(sftp, 'sftpUsers'); },
    get root() { need(sftp, 'sftpUsers'); return root; },
    async outbox() {
      const dir = need(smtp, 'smtp: true').outboxDir;
      return (await readdir(dir)).filter((n) => n.endsWith('.eml')).sort().map((n) => path.join(dir, n));
    },
    async stop() {
      await db?.end();
      await smtp?.stop();
      await sftp?.stop();
      await schema?.drop();
      await clients.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

// A valid pipeline of the world: its schema, its secrets, a source nobody connects to unless `input` says.
export function testPipeline(world: StageTestWorld, input: Partial<PipelineInput> = {}): Pipeline {
  return definePipeline({
    name: world.uniqueName('p'),
    source: { kind: 'sftp', host: 'sftp.example', username: 'vendor', password: { secret: 'sftp-password' }, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`, path: '/exports/{yyyyMMdd}/' },
    imports: [
      { name: 'order-items', match: '^Items', table: 'order_items' },
      { name: 'payments', match: '^Payments', table: 'payments' },
      { name: 'notes', match: '^Notes', table: 'notes' },
    ],
    database: { url: { secret: 'db-url' }, schema: world.started.database ? world.schema.schema : 'unused' },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: [...new Set(['sftp-password', 'db-url', 'smtp-url', ...world.secretNames])],
    ...input,
  });
}

export interface Delivery {
  messageId?: string;
  attributes?: Record<string, string>;
  // Default: the harness's publishTime, else now.
  publishTime?: string;
  deliveryAttempt?: number;
  localEndpoints?: StageContext['localEndpoints'];
}

export interface StageHarness {
  pipeline: Pipeline;
  // The Firestore run store, to arrange and read run records.
  runs: FirestoreRunStore;
  // run-complete / run-failed events published to the pipeline's notify topic, read from a real subscription.
  events: Array<Record<string, unknown>>;
  // A context for `stage` (closed with the harness).
  context(stage: StageName, options?: { messageId?: string; localEndpoints?: StageContext['localEndpoints'] }): TestStageContext<StageRunRecorder>;
  // Runs `handler` on one message built from `data` (JSON unless a string), in a context of its own.
  deliver(stage: StageName, handler: StageHandler, data: unknown, delivery?: Delivery): Promise<void>;
  waitForEvents(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  run(runId: string): Promise<RunRecord | undefined>;
  files(runId: string): Promise<FileRecord[]>;
  // Creates a run expecting `files.length` files and starts each of them in `stage`.
  startRun(runId: string, files: Array<{ fileKey: string; name: string }>, stage?: StageName): Promise<void>;
  // The world bucket's raw objects of this pipeline.
  rawObjects(): Promise<Array<{ name: string; generation: string; size: number; metadata: Record<string, unknown> }>>;
  close(): Promise<void>;
}

let messageCounter = 0;

// Record 'cloud' contexts for one pipeline of the world, and its notify topic read back.
export async function stageHarness(world: StageTestWorld, pipeline: Pipeline, options: { publishTime?: string } = {}): Promise<StageHarness> {
  const notifyTopic = topicName(world.prefix, pipeline.name, 'notify');
  // Two harnesses may serve one pipeline (a later instance with other secrets): the topic may exist.
  const topic = world.clients.pubsub.topic(notifyTopic);
  await topic.create().catch((error: unknown) => {
    if ((error as { code?: number }).code !== 6) throw error; // ALREADY_EXISTS
  });
  const [subscription] = await topic.createSubscription(`${notifyTopic}-test-${++messageCounter}`);
  const events: Array<Record<string, unknown>> = [];
  subscription.on('message', (message: Message) => {
    events.push(JSON.parse(message.data.toString('utf8')) as Record<string, unknown>);
    message.ack();
  });
  const runs = createFirestoreRunStore(world.clients.firestore);
  const open: Array<TestStageContext<StageRunRecorder>> = [];
  const contextOf = (stage: StageName, messageId: string, localEndpoints?: StageContext['localEndpoints']) => createTestContext({
    pipeline, stage, record: 'cloud', clients: world.clients, projectId: world.projectId, prefix: world.prefix,
    bucket: world.started.bucket ? world.bucket : 'unused',
    secretsDir: world.secretsDir, logger: world.logger, messageId, ...(localEndpoints ? { localEndpoints } : {}),
  });
  return {
    pipeline,
    runs,
    events,
    context(stage, o = {}) {
      const ctx = contextOf(stage, o.messageId ?? `m${++messageCounter}`, o.localEndpoints);
      open.push(ctx);
      return ctx;
    },
    async deliver(stage, handler, data, d = {}) {
      const message: IncomingMessage = {
        messageId: d.messageId ?? `m${++messageCounter}`,
        publishTime: d.publishTime ?? options.publishTime ?? new Date().toISOString(),
        attributes: d.attributes ?? {},
        data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
        ...(d.deliveryAttempt !== undefined ? { deliveryAttempt: d.deliveryAttempt } : {}),
      };
      const ctx = contextOf(stage, message.messageId, d.localEndpoints);
      try {
        await handler(ctx, message);
      } finally {
        await ctx.close();
      }
    },
    async waitForEvents(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} notify events, got ${events.length}: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return events;
    },
    run: (runId) => runs.getRun(runId),
    async files(runId) {
      return (await runs.getFiles(runId)).sort((a, b) => a.name.localeCompare(b.name));
    },
    async startRun(runId, files, stage = 'load') {
      await runs.startRun(runId, { pipeline: pipeline.name, trigger: 'manual', messageId: `trigger-${runId}`, dates: ['2026-11-21'] });
      await runs.setExpectedFiles(runId, files.length);
      for (const file of files) await runs.stageStarted(runId, file.fileKey, stage, { name: file.name });
    },
    async rawObjects() {
      const [files] = await world.clients.storage.bucket(world.bucket).getFiles({ prefix: `raw/${pipeline.name}/` });
      return files
        .map((file) => ({ name: file.name, generation: String(file.metadata.generation), size: Number(file.metadata.size), metadata: (file.metadata.metadata ?? {}) as Record<string, unknown> }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async close() {
      await subscription.close();
      await Promise.all(open.map((ctx) => ctx.close()));
    },
  };
}

// The Pub/Sub message Cloud Storage sends for a finalized object (payloadFormat JSON_API_V1).
export function objectFinalizedMessage(ref: ObjectRef, size: number, eventType = 'OBJECT_FINALIZE'): IncomingMessage {
  return {
    messageId: `gcs-${ref.generation}`,
    attributes: { eventType, bucketId: ref.bucket, objectId: ref.object, objectGeneration: ref.generation, payloadFormat: 'JSON_API_V1', notificationConfig: 'projects/_/buckets/test/notificationConfigs/1' },
    data: Buffer.from(JSON.stringify({ kind: 'storage#object', bucket: ref.bucket, name: ref.object, generation: ref.generation, size: String(size) })),
  };
}

export function stageMessage(message: StageMessage, id = 'm1'): IncomingMessage {
  return { messageId: id, attributes: {}, data: Buffer.from(JSON.stringify(message)) };
}
