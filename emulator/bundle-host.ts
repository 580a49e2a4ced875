// Serves BUILT stage bundles (dist/functions/<stage>/, see scripts/build-functions.ts) the way Cloud
// Functions gen2 runs them: one process per function running the Functions Framework's own CLI,
//   node …/functions-framework/build/src/main.js --target=<stage> --signature-type=http
//        --source=<stageDir> --port=<port>
// with the function's environment and nothing of ours loaded in-process (`http` is what Cloud
// Functions starts a function without an event trigger with; ours are reached by push
// subscriptions, and the stage registers itself as an HTTP function, functions/runtime/serve-push.ts).
// This is what proves a bundle works when Pub/Sub pushes into it; function-host.ts serves the
// TypeScript handlers instead.
//
// A stage directory is opaque here: the framework loads its package.json `main`, whatever the
// layout behind it. NODE_PATH points at our node_modules so the bundle resolves the framework (one
// copy, so `--target` finds what the bundle registered) and any dependency it keeps external, as
// the deployed package resolves them from its own installed dependencies.
//
// kill(name) is the chaos harness's crash: SIGKILL to the function's process (no handler runs, no
// response is written, whatever it was doing stops mid-step), and a fresh process on the same port,
// as Cloud Functions replaces a dead instance behind the same URL. Pub/Sub push meanwhile sees a reset
// connection or a refused one and retries the message with its backoff.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Logger, LogFields } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import { signalGroup, spawnUntilReady, type GroupProcess } from './child-process';
import { freePort, portAnswers } from './free-port';

export interface BundledFunction {
  /** Function name, e.g. sluice-restaurant-pos-fetch. */
  name: string;
  /** Entry point registered by the bundle: the stage name. */
  target: string;
  /** The built stage directory (has a package.json whose `main` is the entry). */
  sourceDir: string;
  /** The function's configuration, as Cloud Functions sets it. */
  env: Record<string, string>;
}

export interface BundleHostOptions {
  /** Where node_modules/@google-cloud/functions-framework is (the repository root). */
  root: string;
  /** Given to every child under the function's own env (e.g. PATH, METADATA_SERVER_DETECTION). */
  baseEnv?: Record<string, string | undefined>;
  /** Per function start-up deadline; a 5 MB bundle loads in about a second on an idle core. */
  readyTimeoutMs?: number;
  /** Receives each child output line re-emitted as one event (JSON lines keep their fields). */
  logger?: Logger;
  /** Every raw output line of every child, e.g. for a test waiting for "message handled". */
  onOutput?: (functionName: string, line: string) => void;
}

export interface BundleHost {
  /** Base URL of the function's server (http://127.0.0.1:PORT). */
  urlOf(name: string): string;
  /** The last few KB of the function process's stdout and stderr, for error messages. */
  outputOf(name: string): string;
  /** Functions whose process ended while the host was running (not by stop() or kill()). */
  exited(): string[];
  /** The pid of the function's current process. */
  pidOf(name: string): number;
  /**
   * SIGKILLs the function's process and resolves once a fresh one serves the same URL. Kills of one
   * function are taken in turn; a kill during stop() (or after it) only kills.
   */
  kill(name: string): Promise<KillResult>;
  /** Every kill so far, in order. */
  kills(): KillResult[];
  stop(): Promise<void>;
}

export interface KillResult {
  function: string;
  killedPid: number;
  /** The replacement's pid; undefined when the host was stopping and started none. */
  newPid?: number;
  /** From the SIGKILL to the replacement accepting connections. */
  downMs: number;
}

const LOOPBACK = '127.0.0.1';
// freePort() releases the port before the child binds it; another process can take it meanwhile.
const START_ATTEMPTS = 3;

export function functionsFrameworkCli(root: string): string {
  return path.join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
}

function levelOf(severity: unknown): 'debug' | 'info' | 'warn' | 'error' {
  switch (severity) {
    case 'DEBUG':
      return 'debug';
    case 'INFO':
    case 'NOTICE':
      return 'info';
    case 'WARNING':
      return 'warn';
    default:
      return 'error'; // ERROR, CRITICAL, ALERT, EMERGENCY, or no severity at all on a JSON line
  }
}

// A function's JSON log line keeps its own fields (severity, message, runId, …) and gains
// `function`; anything else (framework messages, stack traces) becomes a warning naming the function.
function forwardLine(logger: Logger, functionName: string, line: string): void {
  if (line.trim() === '') return;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    entry = undefined;
  }
  if (entry && typeof entry === 'object' && !Array.isArray(entry) && typeof (entry as { message?: unknown }).message === 'string') {
    const { severity, message, ...fields } = entry as { severity?: unknown; message: string } & LogFields;
    logger[levelOf(severity)](message, { ...fields, function: functionName });
    return;
  }
  logger.warn('function output', { function: functionName, line });
}

function childEnv(fn: BundledFunction, port: number, root: string, baseEnv: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(baseEnv)) if (value !== undefined) env[key] = value;
  return {
    ...env,
    // What the Cloud Run / Cloud Functions gen2 runtime sets for every instance.
    NODE_ENV: 'production',
    K_SERVICE: fn.name,
    K_REVISION: `${fn.name}-local`,
    FUNCTION_TARGET: fn.target,
    FUNCTION_SIGNATURE_TYPE: 'http',
    PORT: String(port),
    ...fn.env,
    NODE_PATH: path.join(root, 'node_modules'),
  };
}

interface Served {
  process: GroupProcess;
  port: number;
  url: string;
}

// `port` given: the replacement of a killed process, which must answer on the URL the push
// subscriptions already name (the kernel frees a SIGKILLed listener's port at once; Node listens
// with SO_REUSEADDR, so the old connections' TIME_WAIT does not block it).
async function startOne(fn: BundledFunction, options: BundleHostOptions, logger: Logger, onExit: (child: GroupProcess) => void, fixedPort?: number): Promise<Served> {
  const cli = functionsFrameworkCli(options.root);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort(LOOPBACK));
    let child: GroupProcess;
    try {
      child = await spawnUntilReady(
        {
          name: fn.name,
          command: process.execPath,
          args: [cli, `--target=${fn.target}`, '--signature-type=http', `--source=${fn.sourceDir}`, `--port=${port}`],
          env: childEnv(fn, port, options.root, options.baseEnv ?? {}),
          cwd: fn.sourceDir,
          stopSignal: 'SIGTERM', // the framework answers it by exiting at once
          graceMs: 3000,
          onLine: (line) => {
            options.onOutput?.(fn.name, line);
            forwardLine(logger, fn.name, line);
          },
          logger,
        },
        // The framework listens only once the bundle has loaded and registered its target, so an
        // open port means ready (an HTTP probe would be answered by the function itself).
        { what: `function ${fn.name} (bundle ${fn.sourceDir})`, probe: () => portAnswers(LOOPBACK, port, 500), timeoutMs: readyTimeoutMs, intervalMs: 50 },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt < START_ATTEMPTS && message.includes('EADDRINUSE')) {
        // A fixed port is still held (a socket of the killed process not yet closed): give it a moment.
        if (fixedPort !== undefined) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        continue;
      }
      throw error;
    }
    void child.exited.then(() => onExit(child));
    return { process: child, port, url: `http://${LOOPBACK}:${port}` };
  }
}

export async function startBundleHost(fns: readonly BundledFunction[], options: BundleHostOptions): Promise<BundleHost> {
  const logger = options.logger ?? silentLogger;
  const cli = functionsFrameworkCli(options.root);
  if (!existsSync(cli)) throw new Error(`the Functions Framework CLI is not installed at ${cli} (npm install in ${options.root})`);
  const names = new Set<string>();
  for (const fn of fns) {
    if (names.has(fn.name)) throw new Error(`function "${fn.name}" is declared twice`);
    names.add(fn.name);
    if (!existsSync(path.join(fn.sourceDir, 'package.json'))) {
      throw new Error(`function "${fn.name}": no built bundle in ${fn.sourceDir} (no package.json; run npm run build)`);
    }
  }

  const served = new Map<string, Served>();
  const byName = new Map(fns.map((fn) => [fn.name, fn]));
  let stopping = false;
  const exitedEarly: string[] = [];
  // Processes ended on purpose by kill(): their exit is no crash to report.
  const killed = new WeakSet<GroupProcess>();
  const onExit = (child: GroupProcess) => {
    if (stopping || killed.has(child)) return;
    exitedEarly.push(child.name);
    logger.error('function process exited', { function: child.name, output: child.outputTail().slice(-2000) });
  };

  // All at once: each child spends its start-up loading its bundle, which a second core overlaps.
  const started = await Promise.allSettled(fns.map((fn) => startOne(fn, options, logger, onExit).then((s) => served.set(fn.name, s))));
  const failures = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    stopping = true;
    await Promise.all([...served.values()].map((s) => s.process.stop()));
    const reasons = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
    throw new Error(`${failures.length} of ${fns.length} bundled functions did not start:\n${reasons.join('\n---\n')}`);
  }
  for (const [name, s] of served) logger.info('bundled function served', { function: name, url: s.url, pid: s.process.pid });

  const get = (name: string) => {
    const found = served.get(name);
    if (!found) throw new Error(`no function named "${name}" in this host (have: ${[...served.keys()].join(', ') || 'none'})`);
    return found;
  };

  const killLog: KillResult[] = [];
  // Per function, the kill (and restart) under way: the next kill, and stop(), wait for it.
  const pending = new Map<string, Promise<KillResult>>();
  const killAndReplace = async (name: string): Promise<KillResult> => {
    const current = get(name);
    const fn = byName.get(name)!;
    const victim = current.process;
    killed.add(victim);
    const at = Date.now();
    signalGroup(victim.pid, 'SIGKILL');
    await victim.exited; // its group guards are released by child-process.ts once it is gone
    logger.warn('function process killed', { function: name, pid: victim.pid });
    if (stopping) {
      const result: KillResult = { function: name, killedPid: victim.pid, downMs: Date.now() - at };
      killLog.push(result);
      return result;
    }
    const replacement = await startOne(fn, options, logger, onExit, current.port);
    served.set(name, replacement);
    if (stopping) await replacement.process.stop(); // stop() began while it started: it is not left running
    const result: KillResult = { function: name, killedPid: victim.pid, newPid: replacement.process.pid, downMs: Date.now() - at };
    killLog.push(result);
    logger.info('function process replaced', { function: name, url: replacement.url, pid: replacement.process.pid, downMs: result.downMs });
    return result;
  };

  return {
    urlOf: (name) => get(name).url,
    outputOf: (name) => get(name).process.outputTail(),
    exited: () => [...exitedEarly],
    pidOf: (name) => get(name).process.pid,
    kills: () => [...killLog],
    kill(name) {
      if (!served.has(name)) return Promise.reject(new Error(`no function named "${name}" in this host (have: ${[...served.keys()].join(', ')})`));
      const before = pending.get(name) ?? Promise.resolve(undefined);
      const next = before.catch(() => undefined).then(() => killAndReplace(name));
      pending.set(name, next);
      void next.finally(() => {
        if (pending.get(name) === next) pending.delete(name);
      }).catch(() => undefined);
      return next;
    },
    async stop() {
      stopping = true;
      // A replacement still starting is stopped by its kill once started; wait for that, then stop the rest.
      await Promise.allSettled([...pending.values()]);
      await Promise.all([...served.values()].map((s) => s.process.stop()));
    },
  };
}
