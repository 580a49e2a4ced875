// Everything one deployed function needs, built once from its configuration: the same path in the
// cloud (from process.env) and in the local cloud (from an explicit env per function).
import { localStorageIdentity } from '../../shared/bucket-access';
import { createGoogleClients } from '../../shared/google-clients';
import { createLogger, type Logger, type Severity } from '../../shared/logger';
import type { Pipeline } from '../../shared/pipeline-definition';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/runtime-config';
import type { StageDeclaration } from '../../shared/stage-declaration';
import { rotatedSecretsForStage, secretsForStage } from '../../shared/stage-secrets';
import { functionName } from '../../shared/topology';
import type { StageContext, StageHandler } from './context';
import { createSecretReader } from './secret-reader';
import { createStageFunction } from './stage-function';
import type { RunRetention } from './run-store';
import { createStageResources, type StageResources } from './stage-context';

export interface StageRuntime {
  config: RuntimeConfig;
  resources: StageResources;
  handle: ReturnType<typeof createStageFunction>;
  close(): Promise<void>;
}

export interface StageRuntimeOptions {
  stage: Readonly<StageDeclaration>;
  handler: StageHandler;
  env: Record<string, string | undefined>;
  // Resolves the pipeline named by SLUICE_PIPELINE.
  pipelineNamed: (name: string) => Pipeline;
  // How long run state is kept (pipelines/ops.ts); default 365 days for runs, 30 for file records.
  retention?: RunRetention;
  logger?: Logger;
}

export function createStageRuntime(options: StageRuntimeOptions): StageRuntime {
  const config = parseRuntimeConfig({ ...options.env, SLUICE_STAGE: options.env.SLUICE_STAGE ?? options.stage.name });
  if (config.SLUICE_STAGE !== options.stage.name) {
    throw new Error(`SLUICE_STAGE: this function serves stage "${options.stage.name}", not "${config.SLUICE_STAGE}"`);
  }
  const pipeline = options.pipelineNamed(config.SLUICE_PIPELINE);
  const logger = options.logger ?? createLogger({}, undefined, config.LOG_LEVEL as Severity);
  const clients = createGoogleClients({
    projectId: config.GOOGLE_CLOUD_PROJECT,
    firestoreDatabase: config.SLUICE_FIRESTORE_DATABASE === '(default)' ? undefined : config.SLUICE_FIRESTORE_DATABASE,
    ...(config.PUBSUB_EMULATOR_HOST ? { pubsubHost: config.PUBSUB_EMULATOR_HOST } : {}),
    ...(config.FIRESTORE_EMULATOR_HOST ? { firestoreHost: config.FIRESTORE_EMULATOR_HOST } : {}),
    // Against the local Cloud Storage the function presents its own identity, so the emulator
    // enforces the access its declaration grants, as IAM does for its service account in the cloud.
    ...(config.STORAGE_EMULATOR_HOST
      ? {
          storageUrl: config.STORAGE_EMULATOR_HOST,
          storageIdentity: localStorageIdentity(functionName(config.SLUICE_PREFIX, config.SLUICE_PIPELINE, options.stage.name), config.GOOGLE_CLOUD_PROJECT),
        }
      : {}),
  });
  const secrets = createSecretReader({
    env: options.env,
    ...(config.SLUICE_SECRETS_DIR ? { secretsDir: config.SLUICE_SECRETS_DIR } : {}),
    projectId: config.GOOGLE_CLOUD_PROJECT,
    allowed: secretsForStage(pipeline, options.stage),
    // OAuth refresh tokens Google may rotate: written back (local secrets dir or Secret Manager).
    rotatable: rotatedSecretsForStage(pipeline, options.stage),
  });
  const resources = createStageResources({
    pipeline,
    stage: options.stage,
    prefix: config.SLUICE_PREFIX,
    bucket: config.SLUICE_BUCKET,
    clients,
    secrets,
    logger,
    localEndpoints: config.SLUICE_LOCAL_ENDPOINTS,
    ...(options.retention ? { retention: options.retention } : {}),
  });
  return {
    config,
    resources,
    handle: createStageFunction(resources, options.handler),
    async close() {
      await resources.close();
      await clients.close();
    },
  };
}
