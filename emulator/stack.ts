// The whole local cloud: Pub/Sub and Firestore emulators (Google's), PostgreSQL, the GCS
// emulator, SFTP and SMTP servers, the Gmail/Drive/OAuth double (emulator/google-apis), plus a
// secrets directory. Endpoints someone already runs (PUBSUB_EMULATOR_HOST, DATABASE_URL, ...)
// are checked and used instead of starting ours; they are checked first, so a wrong setting fails
// in milliseconds, naming it, before any JVM starts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { z } from 'zod';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import { connectFirestoreEmulator, startFirestoreEmulator } from './firestore-emulator';
import { startGcsEmulator } from './gcs/index';
import { startGoogleApiDouble } from './google-apis/index';
import { checkDatabaseUrl, startPostgres } from './postgres';
import { connectPubsubEmulator, startPubsubEmulator } from './pubsub-emulator';
import { startSftpServer, generateUserKeyPair, type SftpFaults } from './sftp-server';
import { startSmtpServer } from './smtp-server';

export interface LocalCloudOptions {
  /** Persistent state (.sluice for the CLI); omitted: a temp dir removed on stop. */
  dataDir?: string;
  /**
   * Overrides, parsed once: PUBSUB_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST, STORAGE_EMULATOR_HOST, DATABASE_URL, SMTP_OUTBOX_DIR, GOOGLE_CLOUD_PROJECT, CLOUDSDK_ROOT_DIR, JAVA_HOME,
   * and SLUICE_GCS_NOTIFY_CHAOS=<seed>: our GCS emulator publishes every bucket notification 1–3 times, reordered (emulator/gcs/notify-chaos.ts).
   */
  env?: Record<string, string | undefined>;
  projectId?: string;
  /** PostgreSQL with fsync off: for throw-away test data. */
  fastPostgres?: boolean;
  logger?: Logger;
}

export interface LocalCloudEndpoints {
  projectId: string;
  /** host:port */
  pubsubHost: string;
  /** host:port */
  firestoreHost: string;
  /** http://host:port */
  storageUrl: string;
  databaseUrl: string;
  sftp: { host: string; port: number; username: string; password: string; privateKeyPath: string; hostKeyFingerprint: string; root: string };
  smtp: { host: string; port: number; outboxDir: string };
  /** The Gmail / Drive / OAuth double (emulator/google-apis): googleapis rootUrl, token and consent URLs, seeding API. */
  google: { apiRoot: string; tokenUrl: string; authUrl: string; seedUrl: string };
  secretsDir: string;
  dataDir: string;
}

export interface LocalCloud {
  endpoints: LocalCloudEndpoints;
  coldStartMs: number;
  // Reliability tests (the chaos harness): faults the local SFTP server injects; undefined for none.
  setSftpFaults(faults: SftpFaults | undefined): void;
  stop(): Promise<void>;
}

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port');
const settingsSchema = z.object({
  PUBSUB_EMULATOR_HOST: hostPort.optional(),
  FIRESTORE_EMULATOR_HOST: hostPort.optional(),
  STORAGE_EMULATOR_HOST: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL').optional(),
  SMTP_OUTBOX_DIR: z.string().min(1).optional(),
  GOOGLE_CLOUD_PROJECT: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a project id (6-30 lowercase letters, digits, hyphens)').optional(),
  CLOUDSDK_ROOT_DIR: z.string().optional(),
  JAVA_HOME: z.string().optional(),
  SLUICE_GCS_NOTIFY_CHAOS: z.string().regex(/^\d{1,10}$/, 'must be a seed: a whole number').optional(),
});
export type LocalCloudSettings = z.infer<typeof settingsSchema>;

/** Empty values count as unset (as shells do); a bad value fails naming the variable. */
export function parseLocalCloudSettings(env: Record<string, string | undefined>): LocalCloudSettings {
  const relevant = Object.fromEntries(Object.keys(settingsSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]));
  const parsed = settingsSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid local cloud setting ${problems.join('; ')}`);
}

export const DEFAULT_PROJECT_ID = 'sluice-local';
export const SFTP_USERNAME = 'sluice';

// ---- secrets directory: one file per secret, the local stand-in for Secret Manager ----

export function writeSecret(secretsDir: string, name: string, value: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid secret name: ${name}`);
  const file = path.join(secretsDir, name);
  fs.writeFileSync(file, value, { mode: 0o600 });
  return file;
}

/** Kept across restarts of a persistent stack, so data dirs and pinned keys stay valid. */
function readOrCreateSecret(secretsDir: string, name: string, create: () => string): string {
  const file = path.join(secretsDir, name);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  const value = create();
  writeSecret(secretsDir, name, value);
  return value;
}

const randomSecret = () => crypto.randomBytes(18).toString('base64url');

function publicKeyOf(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`stored SFTP user key does not parse: ${parsed.message}`);
  return `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
}

async function storageAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/storage/v1/b?project=sluice-probe', url), { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

type Stopper = () => Promise<void>;

function fulfilled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

export async function startLocalCloud(o: LocalCloudOptions = {}): Promise<LocalCloud> {
  const startedAt = Date.now();
  const logger = o.logger ?? silentLogger;
  const env = o.env ?? {};
  const settings = parseLocalCloudSettings(env);
  const projectId = o.projectId ?? settings.GOOGLE_CLOUD_PROJECT ?? DEFAULT_PROJECT_ID;

  // Given endpoints first: cheap checks that fail fast, naming the variable.
  const [givenDatabase, givenPubsub, givenFirestore] = await Promise.all([
    settings.DATABASE_URL ? checkDatabaseUrl(settings.DATABASE_URL) : undefined,
    settings.PUBSUB_EMULATOR_HOST ? connectPubsubEmulator(settings.PUBSUB_EMULATOR_HOST) : undefined,
    settings.FIRESTORE_EMULATOR_HOST ? connectFirestoreEmulator(settings.FIRESTORE_EMULATOR_HOST) : undefined,
  ]);
  if (settings.STORAGE_EMULATOR_HOST && !(await storageAnswers(settings.STORAGE_EMULATOR_HOST))) {
    throw new Error(`STORAGE_EMULATOR_HOST=${settings.STORAGE_EMULATOR_HOST} does not answer as a Cloud Storage emulator. Start it or unset STORAGE_EMULATOR_HOST.`);
  }

  const persistent = o.dataDir !== undefined;
  const dataDir = persistent ? path.resolve(o.dataDir!) : fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cloud-'));
  fs.mkdirSync(dataDir, { recursive: true });
  // PostgreSQL may run as another OS user (when we are root): it must be able to traverse here.
  if (process.getuid?.() === 0) fs.chmodSync(dataDir, fs.statSync(dataDir).mode | 0o111);
  const secretsDir = path.join(dataDir, 'secrets');
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });

  const stoppers: Stopper[][] = []; // stopped stage by stage, last started first
  const stopAll = async () => {
    for (const stage of stoppers.reverse()) await Promise.all(stage.map((stop) => stop().catch((error: unknown) => logger.error('local cloud part failed to stop', { error }))));
    if (!persistent) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const timed = async <T>(part: string, start: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const result = await start();
    logger.info('local cloud part ready', { part, ms: Date.now() - t });
    return result;
  };

  try {
    const javaEnv = { ...env };
    const sftpPassword = readOrCreateSecret(secretsDir, 'sftp-password', randomSecret);
    const sftpPrivateKey = readOrCreateSecret(secretsDir, 'sftp-private-key', () => generateUserKeyPair('sluice-local-user').privateKey);
    const sftpHostKey = persistent ? readOrCreateSecret(dataDir, 'sftp-host-key', () => generateUserKeyPair('sluice-local-sftp').privateKey) : undefined;
    const outboxDir = path.resolve(settings.SMTP_OUTBOX_DIR ?? path.join(dataDir, 'outbox'));
    const sftpRoot = path.join(dataDir, 'sftp');

    // The JVMs are the slow part: everything that does not depend on Pub/Sub starts alongside them.
    const first: Stopper[] = [];
    stoppers.push(first);
    const start = <T extends { stop(): Promise<void> }>(part: string, launch: () => Promise<T>): Promise<T> =>
      timed(part, launch).then((started) => {
        first.push(() => started.stop());
        return started;
      });
    const settled = await Promise.allSettled([
      givenPubsub ?? start('pubsub', () => startPubsubEmulator({ env: javaEnv, sdkRoot: settings.CLOUDSDK_ROOT_DIR, logger })),
      givenFirestore ?? start('firestore', () => startFirestoreEmulator({ env: javaEnv, sdkRoot: settings.CLOUDSDK_ROOT_DIR, logger })),
      givenDatabase ??
        start('postgres', () =>
          startPostgres({ dataDir: path.join(dataDir, 'postgres'), password: readOrCreateSecret(secretsDir, 'postgres-password', randomSecret), fast: o.fastPostgres ?? false, logger }),
        ),
      start('sftp', () => startSftpServer({ root: sftpRoot, users: [{ username: SFTP_USERNAME, password: sftpPassword, publicKey: publicKeyOf(sftpPrivateKey) }], hostKey: sftpHostKey, logger })),
      start('smtp', () => startSmtpServer({ outboxDir, logger })),
    ]);
    // Every launch has settled (failed or not), so stopAll() below reaches all that started.
    const [pubsub, firestore, database, sftp, smtp] = [fulfilled(settled[0]), fulfilled(settled[1]), fulfilled(settled[2]), fulfilled(settled[3]), fulfilled(settled[4])];

    // GCS publishes bucket notifications to Pub/Sub, so it needs the Pub/Sub host; stopped first.
    let storageUrl = settings.STORAGE_EMULATOR_HOST?.replace(/\/+$/, '') ?? '';
    if (!settings.STORAGE_EMULATOR_HOST) {
      const gcs = await timed('gcs', () => startGcsEmulator({
          host: '127.0.0.1',
          dataDir: persistent ? path.join(dataDir, 'gcs') : undefined,
          pubsubEmulatorHost: pubsub.host,
          notificationChaos: settings.SLUICE_GCS_NOTIFY_CHAOS !== undefined ? { seed: Number(settings.SLUICE_GCS_NOTIFY_CHAOS) } : undefined,
          logger,
        }));
      stoppers.push([() => gcs.stop()]);
      storageUrl = gcs.url.replace(/\/+$/, '');
    }

    // Gmail watches publish to Pub/Sub, so the double starts once the Pub/Sub host is known; instant.
    const google = await timed('google-apis', () => startGoogleApiDouble({ pubsubEmulatorHost: pubsub.host, logger }));
    stoppers.push([() => google.stop()]);

    const endpoints: LocalCloudEndpoints = {
      projectId,
      pubsubHost: pubsub.host,
      firestoreHost: firestore.host,
      storageUrl,
      databaseUrl: database.databaseUrl,
      sftp: {
        host: sftp.host,
        port: sftp.port,
        username: SFTP_USERNAME,
        password: sftpPassword,
        privateKeyPath: path.join(secretsDir, 'sftp-private-key'),
        hostKeyFingerprint: sftp.hostKeyFingerprint,
        root: sftpRoot,
      },
      smtp: { host: smtp.host, port: smtp.port, outboxDir: smtp.outboxDir },
      google: { apiRoot: google.apiRoot, tokenUrl: google.tokenUrl, authUrl: google.authUrl, seedUrl: google.seedUrl },
      secretsDir,
      dataDir,
    };
    writeSecret(secretsDir, 'database-url', endpoints.databaseUrl);
    writeSecret(secretsDir, 'smtp-url', `smtp://${smtp.host}:${smtp.port}`);

    const coldStartMs = Date.now() - startedAt;
    logger.info('local cloud ready', { coldStartMs, projectId, dataDir, persistent });
    let stopping: Promise<void> | undefined;
    return {
      endpoints,
      coldStartMs,
      setSftpFaults: (faults) => sftp.setFaults(faults),
      stop: () => (stopping ??= stopAll().then(() => logger.info('local cloud stopped', { dataDir }))),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The NAME=value pairs the CLI prints and writes to .sluice/emulator.env. */
export function endpointsToEnv(e: LocalCloudEndpoints): Record<string, string> {
  return {
    PUBSUB_EMULATOR_HOST: e.pubsubHost,
    FIRESTORE_EMULATOR_HOST: e.firestoreHost,
    STORAGE_EMULATOR_HOST: e.storageUrl,
    DATABASE_URL: e.databaseUrl,
    SFTP_HOST: e.sftp.host,
    SFTP_PORT: String(e.sftp.port),
    SFTP_USERNAME: e.sftp.username,
    SFTP_HOST_KEY_FINGERPRINT: e.sftp.hostKeyFingerprint,
    SMTP_HOST: e.smtp.host,
    SMTP_PORT: String(e.smtp.port),
    SMTP_OUTBOX_DIR: e.smtp.outboxDir,
    GOOGLE_API_ROOT: e.google.apiRoot,
    GOOGLE_OAUTH_TOKEN_URL: e.google.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: e.google.authUrl,
    GOOGLE_API_DOUBLE_SEED_URL: e.google.seedUrl,
    SLUICE_SECRETS_DIR: e.secretsDir,
    GOOGLE_CLOUD_PROJECT: e.projectId,
  };
}
