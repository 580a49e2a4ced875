// Child processes of the local cloud (JVM emulators, postgres) each run in their own process
// group, so one signal reaches every process they fork (a launcher script and its JVM, the
// postmaster and its backends). Three layers keep them from outliving us:
//   1. stop(): stop signal to the group, SIGKILL after a grace period;
//   2. a process 'exit' handler that signals every live group synchronously;
//   3. a tiny detached shell watchdog per group that notices when this process has died
//      (even by SIGKILL, when no handler runs) and then signals the group, escalating to SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';

export interface SpawnGroupOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Signal for an orderly stop: SIGTERM for JVMs, SIGINT ("fast shutdown") for postgres. */
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
  /** Called with every output line (stdout and stderr), e.g. to spot a readiness message. */
  onLine?: (line: string) => void;
  logger?: Logger;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface GroupProcess {
  name: string;
  pid: number;
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** The last few KB of the process output, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

const TAIL_BYTES = 8192;
const liveGroups = new Map<number, NodeJS.Signals>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers must be synchronous: we can only send signals here, the watchdog escalates.
  process.on('exit', () => {
    for (const [pgid, signal] of liveGroups) signalGroup(pgid, signal);
  });
}

export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

// dash-compatible: `kill -s SIG -- -PGID`. A zombie parent (exited, not yet reaped) counts as dead.
const WATCHDOG_SCRIPT = `
parent=$1; group=$2; sig=$3; grace=$4
alive() {
  kill -s 0 "$parent" 2>/dev/null || return 1
  state=$(sed 's/.*) //' "/proc/$parent/stat" 2>/dev/null | cut -c1)
  [ "$state" != Z ]
}
while alive; do sleep 1; done
kill -s "$sig" -- "-$group" 2>/dev/null || exit 0
i=0
while [ "$i" -lt "$grace" ] && kill -s 0 -- "-$group" 2>/dev/null; do sleep 1; i=$((i+1)); done
kill -s KILL -- "-$group" 2>/dev/null
exit 0
`;

function startWatchdog(pgid: number, signal: NodeJS.Signals, graceMs: number): ChildProcess | undefined {
  try {
    const graceSeconds = String(Math.max(1, Math.ceil(graceMs / 1000)));
    const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'sluice-watchdog', String(process.pid), String(pgid), signal.replace(/^SIG/, ''), graceSeconds], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.on('error', () => undefined); // no /bin/sh: layers 1 and 2 still apply
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

export function spawnGroup(options: SpawnGroupOptions): GroupProcess {
  const { name, stopSignal = 'SIGTERM', graceMs = 5000 } = options;
  const logger = options.logger ?? silentLogger;
  installExitHandler();

  const child = spawn(options.command, options.args, {
    detached: true, // setsid(): own session and process group, deaf to the terminal's Ctrl-C
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
    uid: options.uid,
    gid: options.gid,
  });

  let tail = '';
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-TAIL_BYTES);
    if (!options.onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      done = true;
      resolve({ code: null, signal: null, error });
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });

  const pid = child.pid ?? -1;
  let watchdog: ChildProcess | undefined;
  if (pid > 0) {
    liveGroups.set(pid, stopSignal);
    watchdog = startWatchdog(pid, stopSignal, graceMs);
    logger.debug('child process started', { process: name, pid });
  }

  // A leader that exits on its own (initdb, a crashed JVM) with no process left in its group
  // needs no more guarding: forget the group so its id, once reused, is never signalled.
  const release = () => {
    liveGroups.delete(pid);
    if (watchdog?.pid) signalGroup(watchdog.pid, 'SIGKILL');
  };
  void exited.then(() => {
    if (pid > 0 && !groupAlive(pid)) release();
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (pid > 0) {
        signalGroup(pid, stopSignal);
        if (!(await waitGroupGone(pid, graceMs))) {
          logger.warn('child process ignored its stop signal; killing it', { process: name, pid });
          signalGroup(pid, 'SIGKILL');
          await waitGroupGone(pid, 5000);
        }
      }
      await Promise.race([exited, delay(2000)]);
      release();
      logger.debug('child process stopped', { process: name, pid });
    })();
    return stopping;
  };

  return { name, pid, exited, hasExited: () => done, outputTail: () => tail, stop };
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** If this process exits while we wait, fail at once with its output. */
  process?: GroupProcess;
}

// Poll `probe` until it answers true. Fails with `what` in the message on timeout or early exit.
export async function waitUntilReady(what: string, probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const { timeoutMs, intervalMs = 100, process: child } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child?.hasExited()) {
      const info = await child.exited;
      const how = info.error ? info.error.message : `exit code ${info.code}, signal ${info.signal}`;
      throw new Error(`${what} exited before it was ready (${how}). Output:\n${child.outputTail()}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      const output = child ? ` Output:\n${child.outputTail()}` : '';
      throw new Error(`${what} was not ready within ${timeoutMs} ms.${output}`);
    }
    await delay(intervalMs);
  }
}

// Spawns a server in its own group and waits until `probe` answers; a server that never gets ready
// is stopped before the error is passed on, so a failed start leaves nothing running.
export async function spawnUntilReady(
  spawnOptions: SpawnGroupOptions,
  ready: { what: string; probe: () => Promise<boolean>; timeoutMs: number; intervalMs?: number },
): Promise<GroupProcess> {
  const child = spawnGroup(spawnOptions);
  try {
    await waitUntilReady(ready.what, ready.probe, {
      timeoutMs: ready.timeoutMs,
      ...(ready.intervalMs !== undefined ? { intervalMs: ready.intervalMs } : {}),
      process: child,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return child;
}
