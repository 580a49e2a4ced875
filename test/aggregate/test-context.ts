// What the aggregate and notify tests share: a pipeline of their own in the shared local cloud (own
// Firestore/Pub/Sub project id, PostgreSQL schema, topic prefix), an SMTP server of their own with a
// temp outbox, and the runtime's real StageContext (Firestore RunRecorder, secrets from a directory).
// run-complete / run-failed events the runtime publishes are read back from a real subscription.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Message, Subscription } from '@google-cloud/pubsub';
import pg from 'pg';
import { startSmtpServer, type SmtpServer } from '../../emulator/smtp-server';
import type { IncomingMessage, StageContext, StageHandler } from '../../functions/runtime/context';
import { createRunRecorder } from '../../functions/runtime/run-recorder';
import { FILES_SUBCOLLECTION, RUNS_COLLECTION, type FileRecord, type RunRecord } from '../../functions/runtime/run-record';
import { createSecretReader } from '../../functions/runtime/secret-reader';
import { createStageResources, type StageResources } from '../../functions/runtime/stage-context';
import { stages } from '../../functions/stages';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { createLogger, type Logger } from '../../shared/logger';
import { definePipeline, type Pipeline, type PipelineInput } from '../../shared/pipeline-definition';
import type { StageName } from '../../shared/stage-declaration';
import { topicName } from '../../shared/topology';
import { createTestSchema, localCloud, uniqueName, uniqueProjectId, type TestSchema } from '../support/local-cloud';

// Secret values the tests check never leak into a log line or a mail.
export const SMTP_PASSWORD = 'smtp-Pw-7c1f9e';

export interface TestWorld {
  projectId: string;
  prefix: string;
  clients: GoogleClients;
  schema: TestSchema;
  // Admin pool on the test schema, for arranging data and computing expectations.
  db: pg.Pool;
  secretsDir: string;
  databaseUrl: string;
  smtp: SmtpServer;
  smtpUrl: string;
  logLines: string[];
  logger: Logger;
  stop(): Promise<void>;
}

export async function startWorld(label: string): Promise<TestWorld> {
  const endpoints = localCloud();
  const projectId = uniqueProjectId(label);
  const clients = createGoogleClients({ projectId, pubsubHost: endpoints.pubsubHost, firestoreHost: endpoints.firestoreHost, storageUrl: endpoints.storageUrl });
  const schema = await createTestSchema(label);
  const workDir = await mkdtemp(path.join(os.tmpdir(), `sluice-${label}-test-`));
  const secretsDir = path.join(workDir, 'secrets');
  const smtp = await startSmtpServer({ outboxDir: path.join(workDir, 'outbox') });
  const smtpUrl = `smtp://sluice:${SMTP_PASSWORD}@${smtp.host}:${smtp.port}`;
  await mkdir(secretsDir);
  await writeFile(path.join(secretsDir, 'db-url'), schema.databaseUrl);
  await writeFile(path.join(secretsDir, 'smtp-url'), smtpUrl);
  // Points at a port nobody listens on: the "database unavailable" case.
  await writeFile(path.join(secretsDir, 'dead-db-url'), 'postgres://sluice:nope@127.0.0.1:9/sluice');
  await writeFile(path.join(secretsDir, 'dead-smtp-url'), `smtp://sluice:${SMTP_PASSWORD}@127.0.0.1:9`);
  const db = new pg.Pool({ connectionString: schema.databaseUrl, max: 4 });
  const logLines: string[] = [];
  const logger = createLogger({}, (line) => logLines.push(line), 'DEBUG');
  return {
    projectId,
    prefix: uniqueName('t').replace(/-/g, ''),
    clients,
    schema,
    db,
    secretsDir,
    databaseUrl: schema.databaseUrl,
    smtp,
    smtpUrl,
    logLines,
    logger,
    async stop() {
      await db.end();
      await smtp.stop();
      await schema.drop();
      await clients.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

export function testPipeline(world: TestWorld, extra: Partial<PipelineInput> = {}): Pipeline {
  return definePipeline({
    name: uniqueName('p'),
    source: {
      kind: 'sftp',
      host: 'sftp.example',
      username: 'vendor',
      password: { secret: 'db-url' },
      hostKeyFingerprint: 'SHA256:Xw5n0pFQzq0rX1m3m3l0lJm8pQk5bXo2c9f6Yc3Vb1E',
      path: '/exports/{yyyyMMdd}/',
    },
    imports: [
      { name: 'order-items', match: '^Items', table: 'order_items' },
      { name: 'payments', match: '^Payments', table: 'payments' },
      { name: 'notes', match: '^Notes', table: 'notes' },
    ],
    database: { url: { secret: 'db-url' }, schema: world.schema.schema },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['db-url', 'smtp-url', 'dead-db-url', 'dead-smtp-url'],
    ...extra,
  });
}

export interface Harness {
  pipeline: Pipeline;
  runs: ReturnType<typeof createRunRecorder>;
  // run-complete / run-failed events published to the pipeline's notify topic.
  events: Array<Record<string, unknown>>;
  context(stage: StageName, messageId?: string): StageContext;
  deliver(stage: StageName, handler: StageHandler, data: unknown, attributes?: Record<string, string>, messageId?: string): Promise<void>;
  waitForEvents(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  run(runId: string): Promise<RunRecord | undefined>;
  files(runId: string): Promise<FileRecord[]>;
  // Creates a run expecting `files.length` files and starts each of them in `stage`.
  startRun(runId: string, files: Array<{ fileKey: string; name: string }>, stage?: StageName): Promise<void>;
  close(): Promise<void>;
}

let messageCounter = 0;

export async function harness(world: TestWorld, pipeline: Pipeline): Promise<Harness> {
  const notifyTopic = topicName(world.prefix, pipeline.name, 'notify');
  const [topic] = await world.clients.pubsub.createTopic(notifyTopic);
  const [subscription] = await topic.createSubscription(`${notifyTopic}-test`);
  const events: Array<Record<string, unknown>> = [];
  (subscription as Subscription).on('message', (message: Message) => {
    events.push(JSON.parse(message.data.toString('utf8')) as Record<string, unknown>);
    message.ack();
  });
  const secrets = createSecretReader({ env: {}, secretsDir: world.secretsDir, projectId: world.projectId, allowed: pipeline.secrets });
  const resources = new Map<StageName, StageResources>();
  const resourcesFor = (stage: StageName) => {
    let found = resources.get(stage);
    if (!found) {
      found = createStageResources({ pipeline, stage: stages[stage], prefix: world.prefix, bucket: 'unused', clients: world.clients, secrets, logger: world.logger });
      resources.set(stage, found);
    }
    return found;
  };
  const runs = createRunRecorder(world.clients.firestore);
  const context = (stage: StageName, messageId = `m${++messageCounter}`) => resourcesFor(stage).contextFor(messageId, world.logger.child({ stage, messageId }));
  return {
    pipeline,
    runs,
    events,
    context,
    async deliver(stage, handler, data, attributes = {}, messageId = `m${++messageCounter}`) {
      const message: IncomingMessage = {
        messageId,
        publishTime: new Date().toISOString(),
        attributes,
        data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
      };
      await handler(context(stage, messageId), message);
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
      const snap = await world.clients.firestore.collection(RUNS_COLLECTION).doc(runId).collection(FILES_SUBCOLLECTION).get();
      return snap.docs.map((doc) => doc.data() as FileRecord).sort((a, b) => a.name.localeCompare(b.name));
    },
    async startRun(runId, files, stage = 'load') {
      await runs.startRun(runId, { pipeline: pipeline.name, trigger: 'manual', messageId: `trigger-${runId}`, dates: ['2026-11-21'] });
      await runs.setExpectedFiles(runId, files.length);
      for (const file of files) await runs.stageStarted(runId, file.fileKey, stage, { name: file.name });
    },
    async close() {
      await subscription.close();
      for (const r of resources.values()) await r.close();
    },
  };
}

// The .eml files the world's SMTP server stored so far, oldest first.
export async function outbox(world: TestWorld): Promise<string[]> {
  const names = (await readdir(world.smtp.outboxDir)).filter((n) => n.endsWith('.eml')).sort();
  return names.map((n) => path.join(world.smtp.outboxDir, n));
}
