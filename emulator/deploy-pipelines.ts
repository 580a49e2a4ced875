// Deploys pipelines onto the local cloud the way the Pulumi program deploys them onto Google Cloud:
// from the same topology (shared/topology.ts) it creates the topics, push subscriptions with retry
// and dead-letter policies (delivered by the local push dispatcher, emulator/pubsub-push/, over pull
// subscriptions of the emulator), the bucket with its finalize notification, the schedules — and serves
// every (pipeline, stage) function with the functions framework, each with its own configuration:
// in-process from the TypeScript handlers (default), or from the built bundles, one functions-framework
// process per function as Cloud Functions runs them (`bundles`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localEndpointsOf } from './local-endpoints';
import { fileURLToPath } from 'node:url';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import type { StageHandler } from '../functions/runtime/context';
import { createStageRuntime, type StageRuntime } from '../functions/runtime/stage-runtime';
import { stageList } from '../functions/stages';
import { pipelines as bundledPipelines } from '../pipelines/index';
import { localStorageIdentity, objectBindingsFor } from '../shared/bucket-access';
import { createLogger, type Logger } from '../shared/logger';
import type { Pipeline } from '../shared/pipeline-definition';
import type { StageName } from '../shared/stage-declaration';
import { functionName, scheduleJobName, topicName, topologyOf, type PipelineTopology } from '../shared/topology';
import type { ScheduleControl } from '../functions/ops/ops-deps';
import { startBundleHost, type BundleHost, type BundledFunction } from './bundle-host';
import { registerStorageIdentity, removeStorageIdentity } from './gcs/identities-client';
import { pushEndpointFor, startFunctionHost, type DeliverTwiceMode, type FunctionHost, type HostedFunction } from './function-host';
import { startPushDispatcher, type PushDispatcher, type PushEvent, type PushFaultOptions } from './pubsub-push/push-dispatcher';
import { ensurePushSubscriptions, ensureTopic, type PushSubscriptionSpec } from './push-subscriptions';
import { startScheduler, type LocalScheduler } from './scheduler';
import type { LocalCloudEndpoints } from './stack';

export interface BundleOptions {
  // The built functions folder (dist/functions): one stage directory per stage, each opaque.
  dir: string;
  // Where node_modules is, for the functions-framework CLI and the bundles' external dependencies;
  // default: this repository.
  root?: string;
  // Environment every function process gets under its own settings (PATH, METADATA_SERVER_DETECTION…);
  // nothing of the parent's environment is passed on otherwise.
  env?: Record<string, string | undefined>;
  // Every raw output line of every function process.
  onOutput?: (functionName: string, line: string) => void;
  readyTimeoutMs?: number;
}

export interface LocalDeploymentOptions {
  endpoints: LocalCloudEndpoints;
  pipelines: readonly Pipeline[];
  // The in-process handlers; unused with `bundles`, which carry their own.
  handlers: Record<StageName, StageHandler>;
  // Serve the functions from built bundles instead of the handlers. The bundles read their pipeline
  // definitions from pipelines/index.ts as built, so `pipelines` must be those definitions unchanged.
  bundles?: BundleOptions;
  // Secret values by name, written to a secrets directory of this deployment's own.
  secrets: Record<string, string>;
  // Defaults: the stack's project, `sluice`, `<project>-sluice-data`.
  projectId?: string;
  prefix?: string;
  bucket?: string;
  // In-process only: the host runs the handler twice per push. Rejected with `bundles`.
  deliverTwice?: DeliverTwiceMode;
  // Tests shorten Pub/Sub's retry backoff so a redelivery comes in seconds, not minutes.
  backoffOverride?: { minSeconds: number; maxSeconds: number };
  // Fault injection in push delivery (copies delivered at once, lost acks), seeded; off by default.
  pushFaults?: PushFaultOptions;
  // Every delivery attempt, ack, retry and dead letter of the push dispatcher.
  onPushEvent?: (event: PushEvent) => void;
  // Fire schedules on their cron (npm start) or only on demand (tests).
  runSchedules?: boolean;
  logger?: Logger;
  logLevel?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  // The dashboard the local ops server will serve, for the links in alerts (SLUICE_DASHBOARD_URL).
  dashboardUrl?: string;
}

export interface LocalDeployment {
  projectId: string;
  prefix: string;
  bucket: string;
  topologies: PipelineTopology[];
  host: FunctionHost | BundleHost;
  // The same host when the functions run from bundles (one process each), e.g. to kill(name) one of
  // them as the chaos harness does; undefined with in-process handlers, which have no process to kill.
  bundleHost?: BundleHost;
  // Pulls from the emulator and pushes to the functions, as Pub/Sub push does.
  dispatcher: PushDispatcher;
  scheduler: LocalScheduler;
  // Pauses and resumes a pipeline's schedule job, as the ops API does with Cloud Scheduler's; a
  // pipeline without a schedule has nothing to pause.
  schedules: ScheduleControl;
  // Where this deployment's secret values are, one file each (the functions' SLUICE_SECRETS_DIR).
  secretsDir: string;
  pubsub: PubSub;
  storage: Storage;
  // Publishes a manual trigger, as the ops CLI does; resolves with the Pub/Sub message id.
  trigger(pipeline: string, options?: { runId?: string; date?: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function deployPipelines(options: LocalDeploymentOptions): Promise<LocalDeployment> {
  const { endpoints } = options;
  const projectId = options.projectId ?? endpoints.projectId;
  const prefix = options.prefix ?? 'sluice';
  const bucket = options.bucket ?? `${projectId}-sluice-data`;
  const logger = options.logger ?? createLogger({ component: 'local-deployment' });
  const pubsub = new PubSub({ projectId, apiEndpoint: endpoints.pubsubHost, emulatorMode: true });
  const storage = new Storage({ projectId, apiEndpoint: endpoints.storageUrl });

  const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-secrets-'));
  for (const [name, value] of Object.entries(options.secrets)) {
    fs.writeFileSync(path.join(secretsDir, name), value, { mode: 0o600 });
  }

  // The same configuration whichever way the function is served.
  const functionEnv = (pipeline: Pipeline, stage: StageName): Record<string, string> => ({
    SLUICE_PIPELINE: pipeline.name,
    SLUICE_STAGE: stage,
    SLUICE_PREFIX: prefix,
    SLUICE_BUCKET: bucket,
    GOOGLE_CLOUD_PROJECT: projectId,
    SLUICE_SECRETS_DIR: secretsDir,
    PUBSUB_EMULATOR_HOST: endpoints.pubsubHost,
    FIRESTORE_EMULATOR_HOST: endpoints.firestoreHost,
    STORAGE_EMULATOR_HOST: endpoints.storageUrl,
    SLUICE_LOCAL_ENDPOINTS: JSON.stringify(localEndpointsOf(endpoints)),
    LOG_LEVEL: options.logLevel ?? 'INFO',
    ...(options.dashboardUrl ? { SLUICE_DASHBOARD_URL: options.dashboardUrl } : {}),
  });

  const runtimes: StageRuntime[] = [];
  const topologies = options.pipelines.map((pipeline) => topologyOf(pipeline, stageList, prefix));
  let identities: StorageIdentities | undefined;
  let host: FunctionHost | BundleHost;
  let bundleHost: BundleHost | undefined;
  try {
    // Before any function can run: the emulator enforces each one's declared bucket access.
    identities = await registerStorageIdentities(endpoints.storageUrl, options.pipelines, { projectId, prefix, bucket }, logger);
    if (options.bundles) {
      bundleHost = await serveBundles(options, options.bundles, functionEnv, prefix, logger);
      host = bundleHost;
    } else {
      host = await serveHandlers(options, functionEnv, prefix, logger, runtimes);
    }
  } catch (error) {
    await identities?.remove();
    fs.rmSync(secretsDir, { recursive: true, force: true });
    throw error;
  }

  const pushTargets: PushSubscriptionSpec[] = [];
  try {
    const [exists] = await storage.bucket(bucket).exists();
    if (!exists) await storage.createBucket(bucket);
    for (const topology of topologies) {
      const specs = topology.pushSubscriptions.map((plan) => ({
        topic: plan.topic,
        subscription: plan.subscription,
        pushEndpoint: pushEndpointFor(host.urlOf(plan.targetFunction), projectId, plan.topic),
        ackDeadlineSeconds: plan.ackDeadlineSeconds,
        minBackoffSeconds: options.backoffOverride?.minSeconds ?? plan.minBackoffSeconds,
        maxBackoffSeconds: options.backoffOverride?.maxSeconds ?? plan.maxBackoffSeconds,
        deadLetterTopic: plan.deadLetterTopic,
        maxDeliveryAttempts: plan.maxDeliveryAttempts,
      }));
      await ensurePushSubscriptions(pubsub, specs);
      pushTargets.push(...specs);
      for (const pull of topology.pullSubscriptions) {
        await ensureTopic(pubsub, pull.topic);
        const [subExists] = await pubsub.subscription(pull.subscription).exists();
        if (!subExists) await pubsub.topic(pull.topic).createSubscription(pull.subscription);
      }
      const [existing] = await storage.bucket(bucket).getNotifications();
      for (const wanted of topology.bucketNotifications) {
        const present = existing.some((n) => String(n.metadata.topic ?? '').endsWith(`/topics/${wanted.topic}`) && n.metadata.object_name_prefix === wanted.objectNamePrefix);
        if (!present) {
          await storage.bucket(bucket).createNotification(`projects/${projectId}/topics/${wanted.topic}`, {
            eventTypes: wanted.eventTypes,
            payloadFormat: wanted.payloadFormat,
            objectNamePrefix: wanted.objectNamePrefix,
          });
        }
      }
    }
  } catch (error) {
    await host.stop();
    await Promise.allSettled(runtimes.map((r) => r.close()));
    await identities.remove();
    fs.rmSync(secretsDir, { recursive: true, force: true });
    throw error;
  }

  // Last, once every subscription and function exists: from here on messages are delivered.
  const dispatcher = startPushDispatcher({
    pubsub,
    projectId,
    targets: pushTargets,
    ...(options.pushFaults ? { faults: options.pushFaults } : {}),
    ...(options.onPushEvent ? { onEvent: options.onPushEvent } : {}),
    logger,
  });

  const scheduler = startScheduler(
    pubsub,
    topologies.flatMap((t) => t.schedules.map((s) => ({ name: s.name, cron: s.cron, timeZone: s.timeZone, topic: s.topic, payload: s.payload }))),
    { logger, autoStart: options.runSchedules ?? false },
  );

  const scheduled = new Set(topologies.flatMap((t) => t.schedules.map((s) => s.name)));
  const scheduleOf = (pipeline: string): string | undefined => {
    const name = scheduleJobName(prefix, pipeline);
    return scheduled.has(name) ? name : undefined;
  };
  const schedules: ScheduleControl = {
    async pause(pipeline) {
      const name = scheduleOf(pipeline);
      if (name) scheduler.pause(name);
    },
    async resume(pipeline) {
      const name = scheduleOf(pipeline);
      if (name) scheduler.resume(name);
    },
  };

  return {
    projectId,
    prefix,
    bucket,
    topologies,
    host,
    ...(bundleHost ? { bundleHost } : {}),
    dispatcher,
    scheduler,
    schedules,
    secretsDir,
    pubsub,
    storage,
    async trigger(pipelineName, triggerOptions = {}) {
      const message = { v: 1, type: 'sluice.trigger', pipeline: pipelineName, trigger: 'manual', ...triggerOptions };
      return pubsub.topic(topicName(prefix, pipelineName, 'fetch')).publishMessage({ json: message });
    },
    async stop() {
      scheduler.stop();
      // Before the functions go: no push may reach a closed server and count as a failed attempt.
      await dispatcher.stop();
      await host.stop();
      await Promise.allSettled(runtimes.map((r) => r.close()));
      await identities.remove();
      await pubsub.close().catch(() => undefined);
      fs.rmSync(secretsDir, { recursive: true, force: true });
    },
  };
}

type FunctionEnv = (pipeline: Pipeline, stage: StageName) => Record<string, string>;

async function serveHandlers(options: LocalDeploymentOptions, functionEnv: FunctionEnv, prefix: string, logger: Logger, runtimes: StageRuntime[]): Promise<FunctionHost> {
  const hosted: HostedFunction[] = [];
  try {
    for (const pipeline of options.pipelines) {
      for (const stage of stageList) {
        const runtime = createStageRuntime({
          stage,
          handler: options.handlers[stage.name],
          pipelineNamed: (name) => {
            const found = options.pipelines.find((p) => p.name === name);
            if (!found) throw new Error(`SLUICE_PIPELINE: no pipeline named "${name}"`);
            return found;
          },
          logger: logger.child({ component: 'function' }),
          env: functionEnv(pipeline, stage.name),
        });
        runtimes.push(runtime);
        hosted.push({ name: `${prefix}-${pipeline.name}-${stage.name}`, handler: (event) => runtime.handle(event) });
      }
    }
    return await startFunctionHost(hosted, { ...(options.deliverTwice ? { deliverTwice: options.deliverTwice } : {}), logger });
  } catch (error) {
    await Promise.allSettled(runtimes.map((r) => r.close()));
    throw error;
  }
}

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function serveBundles(options: LocalDeploymentOptions, bundles: BundleOptions, functionEnv: FunctionEnv, prefix: string, logger: Logger): Promise<BundleHost> {
  // Delivering twice is done by the in-process host around the handler; a bundle's framework
  // answers each push once, so the option would silently test nothing.
  if (options.deliverTwice) throw new Error('deliverTwice works with in-process handlers only, not with bundles');
  // A bundle resolves SLUICE_PIPELINE in the definitions built into it, not in `pipelines`: a
  // definition changed here (another SFTP folder, say) would deploy topics for one pipeline and run
  // another. Refused, naming the pipeline. (Bundles older than the sources cannot be detected here.)
  for (const pipeline of options.pipelines) {
    const built = bundledPipelines.find((p) => p.name === pipeline.name);
    if (!built) throw new Error(`pipeline "${pipeline.name}" is not in pipelines/index.ts, so the bundles cannot serve it`);
    if (JSON.stringify(built) !== JSON.stringify(pipeline)) {
      throw new Error(`pipeline "${pipeline.name}" differs from its definition in pipelines/index.ts, which the bundles serve; deploy that definition unchanged`);
    }
  }
  const fns: BundledFunction[] = options.pipelines.flatMap((pipeline) =>
    stageList.map((stage) => ({
      name: `${prefix}-${pipeline.name}-${stage.name}`,
      target: stage.name,
      sourceDir: path.resolve(bundles.dir, stage.name),
      env: functionEnv(pipeline, stage.name),
    })),
  );
  return startBundleHost(fns, {
    root: bundles.root ?? REPOSITORY_ROOT,
    ...(bundles.env ? { baseEnv: bundles.env } : {}),
    ...(bundles.onOutput ? { onOutput: bundles.onOutput } : {}),
    ...(bundles.readyTimeoutMs !== undefined ? { readyTimeoutMs: bundles.readyTimeoutMs } : {}),
    logger: logger.child({ component: 'function' }),
  });
}

// Simulated IAM: every function's Storage client presents `sluice-fn:<function>` (stage-runtime.ts),
// and the Cloud Storage emulator is told what that identity may do: the object roles of the stage's
// declared `uses.bucket`, confined to `<area>/<pipeline>/`, derived by shared/bucket-access.ts as
// infra/ grants them in Google Cloud. A stage touching an area its declaration does not grant then
// fails here with the 403 the cloud would answer.
interface StorageIdentities {
  // Unregisters them; idempotent, and logs rather than throws (it runs on the way down).
  remove(): Promise<void>;
}

async function registerStorageIdentities(storageUrl: string, pipelines: readonly Pipeline[], names: { projectId: string; prefix: string; bucket: string }, logger: Logger): Promise<StorageIdentities> {
  const registered: string[] = [];
  let removed = false;
  const identities: StorageIdentities = {
    async remove() {
      if (removed) return;
      removed = true;
      const results = await Promise.allSettled(registered.map((identity) => removeStorageIdentity(storageUrl, identity)));
      for (const r of results) if (r.status === 'rejected') logger.warn('storage identity not removed', { error: r.reason });
    },
  };
  const { projectId, prefix, bucket } = names;
  try {
    for (const pipeline of pipelines) {
      for (const stage of stageList) {
        const identity = localStorageIdentity(functionName(prefix, pipeline.name, stage.name), projectId);
        if (!(await registerStorageIdentity(storageUrl, identity, objectBindingsFor(bucket, pipeline.name, stage.uses.bucket)))) {
          logger.warn('this Cloud Storage emulator does not simulate IAM: functions get full bucket access', { storageUrl });
          return identities;
        }
        registered.push(identity);
      }
    }
  } catch (error) {
    await identities.remove();
    throw error;
  }
  return identities;
}
