// Google's Firestore emulator. We run its jar with java directly (what the SDK's
// cloud_firestore_emulator script does, minus the bash parent) so the JVM leads its process
// group. It accepts any project id, which is how test files isolate their data.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import { spawnUntilReady } from './child-process';
import { freePort, httpAnswers } from './free-port';
import { sdkRootCandidates, withoutUndefined, type EmulatorHandle } from './pubsub-emulator';

export interface StartFirestoreEmulatorOptions {
  host?: string;
  port?: number;
  sdkRoot?: string;
  env?: Record<string, string | undefined>;
  startTimeoutMs?: number;
  logger?: Logger;
}

const MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';

export function findFirestoreEmulatorJar(sdkRoot: string | undefined, env: Record<string, string | undefined>): string | undefined {
  return sdkRootCandidates(sdkRoot, env)
    .map((root) => path.join(root, 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar'))
    .find((jar) => fs.existsSync(jar));
}

// The emulator answers `GET /` with "Ok" once it serves requests.
export function firestoreAnswers(host: string, timeoutMs = 1000): Promise<boolean> {
  return httpAnswers(`http://${host}/`, timeoutMs);
}

export async function connectFirestoreEmulator(host: string): Promise<EmulatorHandle> {
  if (!(await firestoreAnswers(host, 3000))) {
    throw new Error(`FIRESTORE_EMULATOR_HOST=${host} does not answer as a Firestore emulator (GET / failed). Start it or unset FIRESTORE_EMULATOR_HOST.`);
  }
  return { host, owned: false, stop: async () => undefined };
}

export async function startFirestoreEmulator(options: StartFirestoreEmulatorOptions = {}): Promise<EmulatorHandle> {
  const env = options.env ?? {};
  const logger = options.logger ?? silentLogger;
  const jar = findFirestoreEmulatorJar(options.sdkRoot, env);
  if (!jar) {
    throw new Error(
      'The Firestore emulator is not installed (platform/cloud-firestore-emulator/cloud-firestore-emulator.jar not found in the Google Cloud SDK). ' +
        'Install it with `apt-get install google-cloud-cli-firestore-emulator` (or `gcloud components install cloud-firestore-emulator`), ' +
        'or set FIRESTORE_EMULATOR_HOST to a running emulator.',
    );
  }
  const bindHost = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(bindHost));
  const host = `${bindHost}:${port}`;
  const java = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const child = await spawnUntilReady(
    {
      name: 'firestore-emulator',
      command: java,
      // English messages, as the SDK script forces; the WebSocket port is left to the OS.
      args: ['-Duser.language=en', '-cp', jar, MAIN_CLASS, `--host=${bindHost}`, `--port=${port}`],
      // The JVM needs PATH and friends from the environment we were started with.
      env: withoutUndefined({ ...process.env, ...env }),
      stopSignal: 'SIGTERM',
      logger,
    },
    { what: 'The Firestore emulator', probe: () => firestoreAnswers(host, 500), timeoutMs: options.startTimeoutMs ?? 60_000 },
  );
  logger.info('firestore emulator ready', { host, pid: child.pid });
  return { host, owned: true, stop: () => child.stop() };
}
