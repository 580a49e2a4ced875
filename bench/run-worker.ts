// Starts bench/stage-worker.ts for one job and returns what it printed. Children still running when
// the bench is interrupted are killed by the cleanup (cleanup.ts).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { onCleanup } from './cleanup';
import type { WorkerInput, WorkerOutput } from './stage-worker';

let profileDir: string | undefined;

// Where the workers write V8 CPU profiles (--cpu-prof), when asked (--profile DIR).
export function profileWorkersInto(dir: string | undefined): void {
  profileDir = dir;
}

export function runWorker(input: WorkerInput): Promise<WorkerOutput> {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return runJsonChild<WorkerOutput>(`${input.stage} worker`, [...profile, '--import', 'tsx', path.join(import.meta.dirname, 'stage-worker.ts'), JSON.stringify(input)]);
}

// Runs `node <args>` in the repository, killed by the cleanup if the bench is interrupted, and
// resolves with the JSON its last line of output holds: every bench worker (a process of its own, so
// its peak RSS is its own) reports that way.
export function runJsonChild<T>(what: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = onCleanup(`kill the ${what}`, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => void done().then(() => reject(error)));
    child.on('close', (code) => {
      void done();
      if (code !== 0) return reject(new Error(`${what} exited with ${code}:\n${stderr.slice(-4000)}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${what} printed no result:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}
