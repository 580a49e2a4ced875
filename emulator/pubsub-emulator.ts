// Google's Pub/Sub emulator (push delivery, retry policy, dead-letter policy all included),
// launched from the SDK's platform script rather than `gcloud`: the gcloud python wrapper
// leaves the JVM orphaned when it is killed. The script `exec`s java, so the JVM is the
// process-group leader we stop.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import { spawnUntilReady } from './child-process';
import { freePort, httpAnswers } from './free-port';

export interface EmulatorHandle {
  /** host:port, the form PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST take. */
  host: string;
  /** False when we connected to an emulator someone else runs (and so never stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface StartPubsubEmulatorOptions {
  host?: string;
  port?: number;
  /** Google Cloud SDK root; default: CLOUDSDK_ROOT_DIR from `env`, then the usual install places. */
  sdkRoot?: string;
  env?: Record<string, string | undefined>;
  startTimeoutMs?: number;
  logger?: Logger;
}

const SDK_ROOTS = ['/usr/lib/google-cloud-sdk', '/usr/share/google-cloud-sdk', '/opt/google-cloud-sdk'];

export function sdkRootCandidates(sdkRoot: string | undefined, env: Record<string, string | undefined>): string[] {
  const home = env.HOME ? [path.join(env.HOME, 'google-cloud-sdk')] : [];
  return [sdkRoot, env.CLOUDSDK_ROOT_DIR, ...SDK_ROOTS, ...home].filter((p): p is string => !!p);
}

export function findPubsubEmulatorScript(sdkRoot: string | undefined, env: Record<string, string | undefined>): string | undefined {
  return sdkRootCandidates(sdkRoot, env)
    .map((root) => path.join(root, 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator'))
    .find((script) => fs.existsSync(script));
}

// Any REST call proves the emulator serves requests (it accepts every project id).
export function pubsubAnswers(host: string, timeoutMs = 1000): Promise<boolean> {
  return httpAnswers(`http://${host}/v1/projects/sluice-probe/topics`, timeoutMs);
}

/** Use an emulator someone else runs: fail, naming the variable, if it does not answer. */
export async function connectPubsubEmulator(host: string): Promise<EmulatorHandle> {
  if (!(await pubsubAnswers(host, 3000))) {
    throw new Error(`PUBSUB_EMULATOR_HOST=${host} does not answer as a Pub/Sub emulator (GET /v1/projects/*/topics failed). Start it or unset PUBSUB_EMULATOR_HOST.`);
  }
  return { host, owned: false, stop: async () => undefined };
}

export async function startPubsubEmulator(options: StartPubsubEmulatorOptions = {}): Promise<EmulatorHandle> {
  const env = options.env ?? {};
  const logger = options.logger ?? silentLogger;
  const script = findPubsubEmulatorScript(options.sdkRoot, env);
  if (!script) {
    throw new Error(
      'The Pub/Sub emulator is not installed (platform/pubsub-emulator/bin/cloud-pubsub-emulator not found in the Google Cloud SDK). ' +
        'Install it with `apt-get install google-cloud-cli-pubsub-emulator` (or `gcloud components install pubsub-emulator`), ' +
        'or set PUBSUB_EMULATOR_HOST to a running emulator.',
    );
  }
  const bindHost = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(bindHost));
  const host = `${bindHost}:${port}`;
  const child = await spawnUntilReady(
    {
      name: 'pubsub-emulator',
      command: script,
      args: [`--host=${bindHost}`, `--port=${port}`],
      // The script reads JAVA_HOME / JAVA_OPTS from the environment it is given.
      env: withoutUndefined({ ...process.env, ...env }),
      stopSignal: 'SIGTERM',
      logger,
    },
    { what: 'The Pub/Sub emulator', probe: () => pubsubAnswers(host, 500), timeoutMs: options.startTimeoutMs ?? 60_000 },
  );
  logger.info('pubsub emulator ready', { host, pid: child.pid });
  return { host, owned: true, stop: () => child.stop() };
}

export function withoutUndefined(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
