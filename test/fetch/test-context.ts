// What the fetch tests share: a pipeline of their own in the shared local cloud (own project id,
// bucket, notify topic), a real SFTP server per test file, and the runtime's real StageContext
// (Firestore RunRecorder, secrets read from a directory). Nothing here mocks a client.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Subscription } from '@google-cloud/pubsub';
import { createStageResources } from '../../functions/runtime/stage-context';
import { createRunRecorder } from '../../functions/runtime/run-recorder';
import { createSecretReader } from '../../functions/runtime/secret-reader';
import { FILES_SUBCOLLECTION, RUNS_COLLECTION } from '../../functions/runtime/run-record';
import type { FileRecord } from '../../functions/runtime/run-record';
import type { IncomingMessage, StageContext, StageHandler } from '../../functions/runtime/context';
import { fetchStage } from '../../functions/fetch/stage';
import { generateUserKeyPair, startSftpServer } from '../../emulator/sftp-server';
import type { SftpServer } from '../../emulator/sftp-server';
import { createGoogleClients } from '../../shared/google-clients';
import type { GoogleClients } from '../../shared/google-clients';
import { createLogger } from '../../shared/logger';
import type { Logger } from '../../shared/logger';
import { definePipeline } from '../../shared/pipeline-definition';
import type { Pipeline, PipelineInput } from '../../shared/pipeline-definition';
import { topicName } from '../../shared/topology';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';

export const SFTP_PASSWORD = 'vendor-pass-Zq81x';
export const USER_KEYS = generateUserKeyPair('sluice-fetch-test');

export interface FetchWorld {
  projectId: string;
  clients: GoogleClients;
  bucket: string;
  prefix: string;
  sftp: SftpServer;
  // The directory the SFTP server serves as "/".
  root: string;
  secretsDir: string;
  // Every log line the handlers wrote, to check no secret leaked.
  logLines: string[];
  logger: Logger;
  stop(): Promise<void>;
}

export async function startFetchWorld(): Promise<FetchWorld> {
  const endpoints = localCloud();
  const projectId = uniqueProjectId('fetch');
  const clients = createGoogleClients({ projectId, pubsubHost: endpoints.pubsubHost, firestoreHost: endpoints.firestoreHost, storageUrl: endpoints.storageUrl });
  const bucket = uniqueName('fetch');
  await clients.storage.createBucket(bucket);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-fetch-test-'));
  const root = path.join(workDir, 'served');
  const secretsDir = path.join(workDir, 'secrets');
  await mkdir(secretsDir);
  await writeFile(path.join(secretsDir, 'vendor-password'), SFTP_PASSWORD);
  await writeFile(path.join(secretsDir, 'vendor-key'), USER_KEYS.privateKey);
  await writeFile(path.join(secretsDir, 'wrong-password'), 'not-the-password');
  const sftp = await startSftpServer({
    root,
    users: [
      { username: 'vendor', password: SFTP_PASSWORD },
      { username: 'keyed', publicKey: USER_KEYS.publicKey },
    ],
  });
  const logLines: string[] = [];
  const logger = createLogger({}, (line) => logLines.push(line), 'DEBUG');
  return {
    projectId,
    clients,
    bucket,
    prefix: uniqueName('t').replace(/-/g, ''),
    sftp,
    root,
    secretsDir,
    logLines,
    logger,
    async stop() {
      await sftp.stop();
      await clients.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

// A pipeline reading /exports/<its name>/<yyyyMMdd>/ from the world's SFTP server.
export function testPipeline(world: FetchWorld, source: Partial<PipelineInput['source']> = {}, extra: Partial<PipelineInput> = {}): Pipeline {
  const name = uniqueName('p');
  return definePipeline({
    name,
    schedule: { cron: '0 6 * * *', timeZone: 'America/New_York' },
    source: {
      kind: 'sftp',
      host: world.sftp.host,
      port: world.sftp.port,
      username: 'vendor',
      password: { secret: 'vendor-password' },
      hostKeyFingerprint: world.sftp.hostKeyFingerprint,
      path: '/exports/{exportId}/{yyyyMMdd}/',
      params: { exportId: name },
      glob: '*.csv',
      dateOffsetDays: -1,
      lookbackDays: 3,
      ...source,
    } as PipelineInput['source'],
    imports: [{ name: 'all', match: '.*', table: 'rows' }],
    database: { url: { secret: 'db-url' }, schema: 'test' },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['vendor-password', 'vendor-key', 'wrong-password', 'db-url', 'smtp-url'],
    ...extra,
  });
}

// Writes one export file with a fixed mtime (identity includes it) under the served root.
export async function writeExportFile(world: FetchWorld, remotePath: string, content: string | Buffer, mtime = new Date('2026-03-01T05:00:00Z')): Promise<void> {
  const local = path.join(world.root, remotePath);
  await mkdir(path.dirname(local), { recursive: true });
  await writeFile(local, content);
  await utimes(local, mtime, mtime);
}

export interface PipelineHarness {
  pipeline: Pipeline;
  // run-complete / run-failed events fetch published to notify.
  events: Array<Record<string, unknown>>;
  contextFor(messageId: string, overrides?: StageContext['overrides']): StageContext;
  deliver(handler: StageHandler, message: TriggerDelivery, overrides?: StageContext['overrides']): Promise<void>;
  runs: ReturnType<typeof createRunRecorder>;
  files(runId: string): Promise<FileRecord[]>;
  rawObjects(): Promise<Array<{ name: string; generation: string; size: number; metadata: Record<string, unknown> }>>;
  // Waits until `count` notify events arrived (poll with a deadline).
  waitForEvents(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface TriggerDelivery {
  messageId: string;
  publishTime?: string;
  data: unknown;
  deliveryAttempt?: number;
}

export async function pipelineHarness(world: FetchWorld, pipeline: Pipeline): Promise<PipelineHarness> {
  const notifyTopic = topicName(world.prefix, pipeline.name, 'notify');
  const [topic] = await world.clients.pubsub.createTopic(notifyTopic);
  const [subscription] = await topic.createSubscription(`${notifyTopic}-test`);
  const events: Array<Record<string, unknown>> = [];
  (subscription as Subscription).on('message', (message) => {
    events.push(JSON.parse(message.data.toString('utf8')) as Record<string, unknown>);
    message.ack();
  });
  const resources = createStageResources({
    pipeline,
    stage: fetchStage,
    prefix: world.prefix,
    bucket: world.bucket,
    clients: world.clients,
    secrets: createSecretReader({ env: {}, secretsDir: world.secretsDir, projectId: world.projectId, allowed: pipeline.secrets }),
    logger: world.logger,
  });
  const runs = createRunRecorder(world.clients.firestore);
  const contextFor = (messageId: string, overrides?: StageContext['overrides']) => {
    const ctx = resources.contextFor(messageId, world.logger.child({ messageId }));
    return overrides ? { ...ctx, overrides } : ctx;
  };
  return {
    pipeline,
    events,
    contextFor,
    runs,
    async deliver(handler, delivery, overrides) {
      const message: IncomingMessage = {
        messageId: delivery.messageId,
        publishTime: delivery.publishTime ?? '2026-03-02T11:00:00.123Z',
        attributes: {},
        data: Buffer.from(typeof delivery.data === 'string' ? delivery.data : JSON.stringify(delivery.data)),
        ...(delivery.deliveryAttempt !== undefined ? { deliveryAttempt: delivery.deliveryAttempt } : {}),
      };
      await handler(contextFor(delivery.messageId, overrides), message);
    },
    async files(runId) {
      const snap = await world.clients.firestore.collection(RUNS_COLLECTION).doc(runId).collection(FILES_SUBCOLLECTION).get();
      return snap.docs.map((doc) => doc.data() as FileRecord).sort((a, b) => a.name.localeCompare(b.name));
    },
    async rawObjects() {
      const [files] = await world.clients.storage.bucket(world.bucket).getFiles({ prefix: `raw/${pipeline.name}/` });
      return files
        .map((file) => ({
          name: file.name,
          generation: String(file.metadata.generation),
          size: Number(file.metadata.size),
          metadata: (file.metadata.metadata ?? {}) as Record<string, unknown>,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async waitForEvents(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} notify events, got ${events.length}: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return events;
    },
    async close() {
      await subscription.close();
      await resources.close();
    },
  };
}

export function trigger(pipeline: Pipeline, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'schedule', ...extra };
}
