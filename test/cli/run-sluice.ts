// Runs the real CLI (bin/sluice.mjs, i.e. tsx over cli/main.ts) as a child process, for the CLI's
// tests: its exit code, stdout and stderr. The environment is only what the test gives (plus PATH),
// so no SLUICE_* or NO_COLOR of the developer's shell leaks in; TZ is fixed so tables are stable.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/sluice.mjs');

export interface SluiceResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SluiceProcess {
  child: ChildProcess;
  // Resolves once stderr has printed something matching (bounded).
  stderrMatches(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<SluiceResult>;
}

export function startSluice(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): SluiceProcess {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TZ: 'Europe/Berlin', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(stderr)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stdin!.end(options.input ?? '');
  const done = new Promise<SluiceResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    done,
    stderrMatches: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stderr)) return resolve();
        const fail = (why: string) => reject(new Error(`stderr ${why} without matching ${pattern}; it was:\n${stderr}`));
        const timer = setTimeout(() => fail(`waited ${timeoutMs} ms`), timeoutMs);
        // A process that ended will print nothing more.
        void done.then(() => !pattern.test(stderr) && (clearTimeout(timer), fail('ended')), () => {});
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

export function sluice(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<SluiceResult> {
  return startSluice(args, options).done;
}
