import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../shared/logger';
import type { BlobStore } from './blob-store';
import { clearStaging, createDiskBlobStore } from './blob-store-disk';
import { createMemoryBlobStore } from './blob-store-memory';
import type { GcsContext } from './context';
import { GcsError, NotModified } from './errors';
import { setFieldMask } from './field-mask';
import { baseUrlOf, sendEmpty, sendError } from './http';
import { IamPolicies, identityOf } from './iam';
import { createDiskMetaStore, memoryMetaStore } from './meta-store';
import { createNotifier } from './notifier';
import { DEFAULT_CHAOS_MAX_DELAY_MS, type NotificationChaosOptions } from './notify-chaos';
import { route } from './router';
import { GcsState } from './state';
import { UploadSessions } from './upload-sessions';

// A Cloud Storage emulator speaking the JSON API the real @google-cloud/storage client uses:
// point the client at it with `new Storage({ apiEndpoint: emulator.url, projectId })`.

export interface GcsEmulatorOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 0 = a free port
  dataDir?: string; // objects and metadata on disk; omit for in-memory
  pubsubEmulatorHost?: string; // where notifications are published (host:port)
  /** Publish every bucket notification 1–3 times after seeded random delays (notify-chaos.ts). */
  notificationChaos?: NotificationChaosOptions;
  logger?: Logger;
}

export interface GcsEmulator {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startGcsEmulator(options: GcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? createLogger({}, undefined, 'INFO')).child({ component: 'gcs-emulator' });
  let url = '';

  const blobs: BlobStore = options.dataDir ? await createDiskBlobStore(options.dataDir) : createMemoryBlobStore();
  const meta = options.dataDir ? createDiskMetaStore(options.dataDir) : memoryMetaStore;
  const chaos = options.notificationChaos;
  if (chaos) {
    // Printed so a failing run can be replayed with the same seed.
    logger.warn('gcs notification chaos on: every notification published 1-3 times, each after a random delay', {
      seed: chaos.seed,
      maxDelayMs: chaos.maxDelayMs ?? DEFAULT_CHAOS_MAX_DELAY_MS,
    });
  }
  const notifier = createNotifier({ pubsubEmulatorHost: options.pubsubEmulatorHost, logger, baseUrl: () => url, chaos });
  const state = await GcsState.open(meta, blobs, logger, (bucket, event) => notifier.onEvent(bucket, event));
  const sessions = await UploadSessions.open(blobs, options.dataDir);
  if (options.dataDir) await clearStaging(options.dataDir, sessions.liveIds());
  const ctx: GcsContext = { state, blobs, sessions, iam: new IamPolicies(logger), logger };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const parsed = new URL(req.url ?? '/', 'http://emulator');
    const started = Date.now();
    const identity = identityOf(req);
    try {
      const access = ctx.iam.accessFor(identity);
      setFieldMask(res, parsed.searchParams.get('fields'));
      await route(ctx, { req, res, query: parsed.searchParams, baseUrl: baseUrlOf(req, url), access }, parsed.pathname);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof NotModified) {
        sendEmpty(res, 304);
      } else if (err instanceof GcsError) {
        sendError(res, err);
      } else {
        logger.error('gcs request failed', { method: req.method, path: parsed.pathname, err });
        sendError(res, new GcsError(500, 'Internal error in the GCS emulator.', { domain: 'global', reason: 'backendError' }));
      }
    } finally {
      logger.debug('gcs request', { method: req.method, path: parsed.pathname, status: res.statusCode, ms: Date.now() - started, identity: identity ?? 'operator' });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  // Uploads of large objects may take a while; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host}:${port}`;
  logger.info('gcs emulator listening', { url, dataDir: options.dataDir ?? null });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await sessions.drain();
        await meta.drain();
        await notifier.close();
        logger.info('gcs emulator stopped', { url });
      })();
      return stopping;
    },
  };
}
