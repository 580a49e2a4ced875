// What `npm start` and `npm run emulator` both do once the local cloud is up: give every listed
// pipeline its secret values (the demo's seeds, then the local secrets file, which wins), refuse to
// go on when one has none (naming each, before anything runs), deploy them all with their function
// logs teed into the local log stream, and serve the ops API and dashboard over that deployment.
import path from 'node:path';
import type { StageHandler } from '../functions/runtime/context';
import type { Logger } from '../shared/logger';
import { createLogger } from '../shared/logger';
import type { OpsDefinition } from '../shared/ops-definition';
import type { Pipeline } from '../shared/pipeline-definition';
import type { StageName } from '../shared/stage-declaration';
import { deployPipelines, type BundleOptions, type LocalDeployment } from './deploy-pipelines';
import { DASHBOARD_PATH } from '../functions/ops/routes';
import { freePort } from './free-port';
import { startLocalOps, type LocalOps } from './local-ops';
import { localSecretsFile, missingSecretLine, missingSecrets, readLocalSecrets, resolveLocalValues } from './local-secrets';
import { createRunLogStore, type RunLogStore } from './run-log-store';
import type { LocalCloudEndpoints } from './stack';
import { teeLogger } from './tee-logger';

// Each missing secret on its own line (missingSecretLine); start-up prints them and exits 2.
export class MissingSecretsError extends Error {
  override name = 'MissingSecretsError';
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

// Throws MissingSecretsError when a listed pipeline declares a secret neither `available` nor the file
// has a value for. Before the local cloud starts, `available` is the names the demo seeds will fill.
export function checkSecrets(pipelines: readonly Pipeline[], dataDir: string, available: Iterable<string>): void {
  const values: Record<string, string> = {};
  for (const name of available) values[name] = '';
  Object.assign(values, readLocalSecrets(dataDir));
  const missing = missingSecrets(pipelines, values);
  if (missing.length > 0) throw new MissingSecretsError(missing.map((m) => missingSecretLine(m, localSecretsFile(dataDir))));
}

// What a `${NAME}` value in the secrets file may stand for: the emulator.env names, and the local
// cloud's URLs a pipeline's secrets usually hold.
export function localValuesOf(env: Record<string, string>, endpoints: LocalCloudEndpoints, databaseUrl: string): Record<string, string> {
  return {
    ...env,
    DATABASE_URL: databaseUrl,
    SMTP_URL: `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`,
    SFTP_PASSWORD: endpoints.sftp.password,
  };
}

export interface LocalSessionOptions {
  endpoints: LocalCloudEndpoints;
  pipelines: readonly Pipeline[];
  handlers: Record<StageName, StageHandler>;
  ops: OpsDefinition;
  dataDir: string;
  // The demo's secret values (demo/demo-secrets.ts); the file's win over them.
  seeds: Record<string, string>;
  // For `${NAME}` values in the file (localValuesOf).
  localValues: Record<string, string>;
  // The console's logger; the log stream gets every INFO line besides (DEBUG with `verbose`).
  logger: Logger;
  verbose?: boolean;
  runSchedules: boolean;
  bundles?: BundleOptions;
  // Serve the ops API and dashboard (not for `npm start -- --once`, which exits after its runs).
  serveOps: boolean;
  // Default: the local cloud's (tests take one of their own).
  projectId?: string;
}

export interface LocalSession {
  deployment: LocalDeployment;
  logs: RunLogStore;
  ops?: LocalOps;
  stop(): Promise<void>;
}

export async function startLocalSession(options: LocalSessionOptions): Promise<LocalSession> {
  const { dataDir } = options;
  const secrets = { ...options.seeds, ...resolveLocalValues(readLocalSecrets(dataDir), options.localValues) };
  const missing = missingSecrets(options.pipelines, secrets);
  if (missing.length > 0) throw new MissingSecretsError(missing.map((m) => missingSecretLine(m, localSecretsFile(dataDir))));

  const logs = createRunLogStore({ file: path.join(dataDir, 'logs', 'functions.jsonl') });
  const level = options.verbose ? 'DEBUG' : 'INFO';
  const logger = teeLogger(options.logger, createLogger({}, logs.sink, level));
  let deployment: LocalDeployment | undefined;
  let ops: LocalOps | undefined;
  // The ops server's port is chosen before the functions are configured, so notify's alerts can link
  // to the dashboard it will serve.
  const opsPort = options.serveOps ? await freePort() : undefined;
  try {
    deployment = await deployPipelines({
      endpoints: options.endpoints,
      pipelines: options.pipelines,
      handlers: options.handlers,
      ...(options.projectId ? { projectId: options.projectId } : {}),
      secrets,
      runSchedules: options.runSchedules,
      ...(options.bundles ? { bundles: options.bundles } : {}),
      logger,
      // The functions' own floor: what the log stream should hold (the console filters for itself).
      logLevel: level,
      ...(opsPort !== undefined ? { dashboardUrl: options.ops.dashboardUrl ?? `http://127.0.0.1:${opsPort}${DASHBOARD_PATH}` } : {}),
    });
    if (options.serveOps) {
      ops = await startLocalOps({ endpoints: options.endpoints, deployment, pipelines: options.pipelines, ops: options.ops, logs, dataDir, logger, ...(opsPort !== undefined ? { port: opsPort } : {}) });
    }
  } catch (error) {
    await deployment?.stop().catch(() => undefined);
    await logs.close();
    throw error;
  }
  const deployed = deployment;
  let stopping: Promise<void> | undefined;
  return {
    deployment: deployed,
    logs,
    ...(ops ? { ops } : {}),
    stop: () =>
      (stopping ??= (async () => {
        await ops?.stop().catch(() => undefined);
        await deployed.stop();
        await logs.close();
      })()),
  };
}
