// What the bench must undo however it ends: servers to stop and temp folders (hundreds of MB at 10M
// rows) to delete. Each part registers its undo steps here as it creates things; they run, newest
// first, when the part ends (ok or not), and on SIGINT/SIGTERM before the process exits, so an
// interrupted bench leaves nothing behind either.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Undo = () => Promise<void> | void;

const pending: Array<{ what: string; undo: Undo }> = [];
let log: (message: string) => void = () => undefined;
let signalled: NodeJS.Signals | undefined;

export function onCleanup(what: string, undo: Undo): () => Promise<void> {
  const entry = { what, undo };
  pending.push(entry);
  // Runs this step now (once), e.g. when its part ends normally.
  return async () => {
    const i = pending.indexOf(entry);
    if (i < 0) return;
    pending.splice(i, 1);
    await runOne(entry);
  };
}

// A fresh temp folder that is deleted with everything else. PostgreSQL may run as another OS user
// (when we are root): it must be able to traverse into it.
export function benchTempDir(prefix: string): { dir: string; remove: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (process.getuid?.() === 0) fs.chmodSync(dir, 0o711);
  const remove = onCleanup(`remove ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, remove };
}

async function runOne(entry: { what: string; undo: Undo }): Promise<void> {
  try {
    await entry.undo();
  } catch (error) {
    log(`cleanup: ${entry.what} failed: ${(error as Error)?.message ?? String(error)}`);
  }
}

// Everything still registered, newest first. Callers at the same time (a signal arriving while main
// fails on the worker it killed) share one pass, so none of them exits before the other's steps ran.
let running: Promise<void> | undefined;
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (pending.length > 0) await runOne(pending.pop()!);
    running = undefined;
  })();
  return running;
}

// Set once SIGINT/SIGTERM arrived: what fails after it (a worker it killed) is not worth a stack trace.
export function interruptedBy(): NodeJS.Signals | undefined {
  return signalled;
}

export function installSignalCleanup(logger: (message: string) => void): void {
  log = logger;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Ctrl-C reaches us twice (the terminal signals the whole process group, and tsx relays it
      // again): a repeat must not cut the cleanup short. SIGKILL still ends everything at once.
      if (signalled) return;
      signalled = signal;
      log(`${signal}: stopping servers and removing temp folders`);
      void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
