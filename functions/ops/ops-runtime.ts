// Everything the deployed ops function needs, built once from its configuration (ops-config.ts):
// the Google clients, the Firestore stores, Cloud Scheduler and Cloud Logging, the pipelines'
// secrets the health checks read, the ops service and the HTTP handler with its auth. The local
// cloud builds the same thing with its own scheduler and log stream (`overrides`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGoogleClients } from '../../shared/google-clients';
import { createLogger, type Logger, type Severity } from '../../shared/logger';
import type { OpsDefinition } from '../../shared/ops-definition';
import type { Pipeline } from '../../shared/pipeline-definition';
import { secretRefsIn } from '../../shared/config-primitives';
import { createFirestoreDeadLetterStore } from '../runtime/firestore-dead-letter-store';
import { createFirestorePipelineStateStore } from '../runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore } from '../runtime/firestore-run-store';
import { createSecretReader } from '../runtime/secret-reader';
import { createCloudScheduleControl } from './controls/cloud-schedule-control';
import { createOpsService } from './create-ops-service';
import { createOpsApp, type OpsRequestHandler } from './http/create-ops-app';
import { createOpsAuth, type OpsAuth } from './http/ops-auth';
import { createCloudLoggingSource } from './logs/cloud-logging-source';
import { audiencesOf, opsFunctionName, parseOpsConfig, type OpsConfig } from './ops-config';
import type { OpsDeps, RunLogSource, ScheduleControl } from './ops-deps';
import { OpsError, type OpsService } from './ops-service';
import { DASHBOARD_PATH } from './routes';

export interface OpsRuntimeOptions {
  env: Record<string, string | undefined>;
  pipelines: readonly Pipeline[];
  ops: OpsDefinition;
  // The local cloud's stand-ins for Cloud Scheduler and Cloud Logging, and anything a test replaces.
  overrides?: Partial<OpsDeps>;
  dashboard?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  // Default createOpsService; tests compose their own.
  createService?: (deps: OpsDeps) => OpsService;
  logger?: Logger;
}

export interface OpsRuntime {
  config: OpsConfig;
  deps: OpsDeps;
  service: OpsService;
  auth: OpsAuth;
  handler: OpsRequestHandler;
  close(): Promise<void>;
}

// The secrets the ops function reads: each pipeline's database URL and its source's credentials
// (the health checks connect with them). Infra grants exactly these.
export function opsSecretNames(pipelines: readonly Pipeline[]): string[] {
  const names = new Set<string>();
  for (const pipeline of pipelines) {
    names.add(pipeline.database.url.secret);
    for (const ref of secretRefsIn(pipeline.source)) names.add(ref.secret);
  }
  return [...names].sort();
}

// Locally there is no Cloud Logging: without the local cloud's log stream, logs are unavailable.
const noLogs: RunLogSource = {
  async logsOf() {
    throw new OpsError('unavailable', 'run logs are not available here: the local cloud serves them from its log stream');
  },
};

// Locally there is no Cloud Scheduler: the local cloud passes its scheduler's control.
const noSchedules: ScheduleControl = {
  async pause() {},
  async resume() {},
};

export function createOpsRuntime(options: OpsRuntimeOptions): OpsRuntime {
  const config = parseOpsConfig(options.env);
  const logger = options.logger ?? createLogger({ component: 'ops' }, undefined, config.LOG_LEVEL as Severity);
  const local = config.FIRESTORE_EMULATOR_HOST !== undefined;
  const clients = createGoogleClients({
    projectId: config.GOOGLE_CLOUD_PROJECT,
    ...(config.SLUICE_FIRESTORE_DATABASE !== '(default)' ? { firestoreDatabase: config.SLUICE_FIRESTORE_DATABASE } : {}),
    ...(config.PUBSUB_EMULATOR_HOST ? { pubsubHost: config.PUBSUB_EMULATOR_HOST } : {}),
    ...(config.FIRESTORE_EMULATOR_HOST ? { firestoreHost: config.FIRESTORE_EMULATOR_HOST } : {}),
    ...(config.STORAGE_EMULATOR_HOST ? { storageUrl: config.STORAGE_EMULATOR_HOST } : {}),
  });
  const { retention } = options.ops;
  const audiences = audiencesOf(config);
  const publicUrl = audiences[0];
  const dashboardUrl = config.SLUICE_DASHBOARD_URL ?? options.ops.dashboardUrl ?? (publicUrl ? `${publicUrl}${DASHBOARD_PATH}` : DASHBOARD_PATH);
  const o = options.overrides ?? {};
  const deps: OpsDeps = {
    pipelines: options.pipelines,
    ops: options.ops,
    projectId: config.GOOGLE_CLOUD_PROJECT,
    prefix: config.SLUICE_PREFIX,
    bucket: config.SLUICE_BUCKET,
    firestore: clients.firestore,
    pubsub: clients.pubsub,
    storage: clients.storage,
    runs: o.runs ?? createFirestoreRunStore(clients.firestore, { retention: { runDays: retention.runDays, fileDays: retention.fileDays } }),
    pipelineStates: o.pipelineStates ?? createFirestorePipelineStateStore(clients.firestore),
    deadLetters: o.deadLetters ?? createFirestoreDeadLetterStore(clients.firestore, { retentionDays: retention.deadLetterDays }),
    schedules: o.schedules ?? (config.SLUICE_REGION && !local
      ? createCloudScheduleControl({ projectId: config.GOOGLE_CLOUD_PROJECT, region: config.SLUICE_REGION, prefix: config.SLUICE_PREFIX })
      : noSchedules),
    logs: o.logs ?? (local ? noLogs : createCloudLoggingSource({ projectId: config.GOOGLE_CLOUD_PROJECT })),
    secrets: o.secrets ?? createSecretReader({
      env: options.env,
      ...(config.SLUICE_SECRETS_DIR ? { secretsDir: config.SLUICE_SECRETS_DIR } : {}),
      projectId: config.GOOGLE_CLOUD_PROJECT,
      allowed: opsSecretNames(options.pipelines),
    }),
    localEndpoints: config.SLUICE_LOCAL_ENDPOINTS,
    dashboardUrl,
    logger,
    now: () => new Date(),
    ...o,
  };
  const service = (options.createService ?? createOpsService)(deps);
  const auth = createOpsAuth({
    ops: options.ops,
    audiences,
    ...(config.SLUICE_OPS_CERTS_URL ? { certsUrl: config.SLUICE_OPS_CERTS_URL } : {}),
    ...(config.SLUICE_OPS_DEV_TOKEN ? { devToken: config.SLUICE_OPS_DEV_TOKEN } : {}),
    logger,
  });
  const handler = createOpsApp({
    service,
    auth,
    logger,
    // Behind https://<region>-<project>.cloudfunctions.net/<name>/… the path may keep the name:
    // taken off when present, so both that URL and the function's run.app URL serve the routes.
    basePath: `/${opsFunctionName(config.SLUICE_PREFIX)}`,
    ...(options.dashboard ? { dashboard: options.dashboard } : {}),
    ...(publicUrl ? { publicUrl } : {}),
  });
  return {
    config,
    deps,
    service,
    auth,
    handler,
    close: () => clients.close(),
  };
}
