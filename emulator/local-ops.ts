// The operations surface on the local cloud: the ops API (functions/ops/http/start-ops-server.ts) over
// the real ops service (create-ops-service.ts), built on the local deployment's Firestore, Pub/Sub and
// Cloud Storage, the Firestore stores, the local scheduler's pause/resume and the local log stream —
// with the dashboard, on loopback. A random dev token stands in for Google ID tokens (principal `dev`,
// operator); the CLI finds URL and token in `<data dir>/ops.json` (owner-only), which is removed again
// when the server stops or the process exits.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createDashboardHandler } from '../functions/ops/dashboard/serve-dashboard';
import { createOpsService } from '../functions/ops/create-ops-service';
import { createOpsAuth } from '../functions/ops/http/ops-auth';
import { startOpsServer } from '../functions/ops/http/start-ops-server';
import type { OpsDeps, RunLogSource } from '../functions/ops/ops-deps';
import type { OpsService } from '../functions/ops/ops-service';
import { DASHBOARD_PATH } from '../functions/ops/routes';
import { createFirestoreDeadLetterStore } from '../functions/runtime/firestore-dead-letter-store';
import { createFirestorePipelineStateStore } from '../functions/runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore } from '../functions/runtime/firestore-run-store';
import { createLiveRunIndex, withLiveRunIndex } from '../functions/runtime/live-run-index';
import { createSecretReader } from '../functions/runtime/secret-reader';
import { createGoogleClients } from '../shared/google-clients';
import type { Logger } from '../shared/logger';
import type { OpsDefinition } from '../shared/ops-definition';
import type { Pipeline } from '../shared/pipeline-definition';
import type { LocalDeployment } from './deploy-pipelines';
import { startTtlSweeper } from './firestore-ttl';
import { localEndpointsOf } from './local-endpoints';
import type { LocalCloudEndpoints } from './stack';

export const OPS_FILE_NAME = 'ops.json';

// What the CLI reads: the contract in functions/ops (COMMON: `.sluice/ops.json`).
export interface LocalOpsFile {
  url: string;
  token: string;
  dashboard: string;
}

export interface LocalOpsOptions {
  endpoints: LocalCloudEndpoints;
  deployment: Pick<LocalDeployment, 'projectId' | 'prefix' | 'bucket' | 'pubsub' | 'storage' | 'schedules' | 'secretsDir'>;
  pipelines: readonly Pipeline[];
  ops: OpsDefinition;
  logs: RunLogSource;
  // Where ops.json goes (the data dir, .sluice/).
  dataDir: string;
  logger: Logger;
  // Default: 32 random bytes, new every start.
  token?: string;
  // Default 0: a free port.
  port?: number;
  // Tests: a service of their own instead of the real one.
  service?: (deps: OpsDeps) => OpsService;
}

export interface LocalOps extends LocalOpsFile {
  // The dashboard URL that signs the browser in (the token in the fragment, never sent to a server).
  dashboardSignIn: string;
  opsFile: string;
  stop(): Promise<void>;
}

function writeOpsFile(file: string, content: LocalOpsFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
}

export async function startLocalOps(options: LocalOpsOptions): Promise<LocalOps> {
  const { deployment, endpoints, logger } = options;
  const token = options.token ?? crypto.randomBytes(32).toString('base64url');
  // A Firestore client of the ops service's own, as the ops function has; Pub/Sub and Storage are the
  // deployment's (the operator's identity: the ops function's service account may do what it asks).
  const clients = createGoogleClients({ projectId: deployment.projectId, firestoreHost: endpoints.firestoreHost });
  const { firestore } = clients;
  const retention = options.ops.retention;
  // The Firestore emulator has no indexes: each list query reads the whole collection (seconds at
  // 100,000 runs). Locally the lists are answered from an in-memory index kept by one listener, with
  // the Firestore query's filters, order and cursors (functions/runtime/live-run-index.ts); in the
  // cloud the composite indexes of shared/firestore-indexes.ts serve the same queries.
  const liveIndex = createLiveRunIndex(firestore);
  try {
    await liveIndex.ready;
  } catch (error) {
    liveIndex.stop();
    await clients.close();
    throw error;
  }
  let url = '';
  const deps: OpsDeps = {
    pipelines: options.pipelines,
    ops: options.ops,
    projectId: deployment.projectId,
    prefix: deployment.prefix,
    bucket: deployment.bucket,
    firestore,
    pubsub: deployment.pubsub,
    storage: deployment.storage,
    runs: withLiveRunIndex(createFirestoreRunStore(firestore, { retention: { runDays: retention.runDays, fileDays: retention.fileDays } }), liveIndex),
    pipelineStates: createFirestorePipelineStateStore(firestore),
    deadLetters: createFirestoreDeadLetterStore(firestore, { retentionDays: retention.deadLetterDays }),
    schedules: deployment.schedules,
    logs: options.logs,
    secrets: createSecretReader({
      env: {},
      secretsDir: deployment.secretsDir,
      projectId: deployment.projectId,
      allowed: [...new Set(options.pipelines.flatMap((p) => p.secrets))],
    }),
    localEndpoints: localEndpointsOf(endpoints),
    // Known once the server listens; read by the service only when it builds a link.
    get dashboardUrl() {
      return options.ops.dashboardUrl ?? `${url}${DASHBOARD_PATH}`;
    },
    logger: logger.child({ component: 'ops' }),
    now: () => new Date(),
  };

  let server;
  try {
    const service = (options.service ?? createOpsService)(deps);
    server = await startOpsServer({
      service,
      auth: createOpsAuth({ ops: options.ops, audiences: [], devToken: token, logger: deps.logger }),
      port: options.port ?? 0,
      dashboard: createDashboardHandler(),
      logger: deps.logger,
    });
  } catch (error) {
    liveIndex.stop();
    await clients.close();
    throw error;
  }
  url = server.url;
  // The emulator has no TTL: the local ops server deletes what expired, as Firestore would.
  const ttl = startTtlSweeper(firestore, { logger: deps.logger });

  const opsFile = path.join(options.dataDir, OPS_FILE_NAME);
  const content: LocalOpsFile = { url, token, dashboard: `${url}${DASHBOARD_PATH}` };
  writeOpsFile(opsFile, content);
  // A stale file would send the CLI to a dead port with an old token: gone however the process ends.
  const removeOpsFile = () => {
    try {
      const current = JSON.parse(fs.readFileSync(opsFile, 'utf8')) as Partial<LocalOpsFile>;
      if (current.token === token) fs.rmSync(opsFile, { force: true }); // not another session's
    } catch {
      // already gone
    }
  };
  process.once('exit', removeOpsFile);
  let stopping: Promise<void> | undefined;
  const running = server;
  return {
    ...content,
    dashboardSignIn: `${content.dashboard}#token=${token}`,
    opsFile,
    stop: () =>
      (stopping ??= (async () => {
        removeOpsFile();
        process.off('exit', removeOpsFile);
        await running.stop();
        await ttl.stop();
        liveIndex.stop();
        await clients.close();
      })()),
  };
}
