// Size and cold module-load time of each stage bundle (dist/functions/<stage>/index.js), printed as a
// table and written to .sluice/bundles.json. Load time is what a cold start pays for our code: a fresh
// `node` process require()s the bundle (which registers its function with functions-framework, resolved
// from our node_modules as the runtime's own copy would be) and reports how long that took. The median
// of several fresh processes is kept; goal: under 300 ms per bundle.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pipelines } from '../pipelines/index';

const run = promisify(execFile);

export const LOAD_GOAL_MS = 300;

export interface BundleMeasurement {
  stage: string;
  bytes: number;
  zipBytes: number | null;
  // Median cold require() time over `runs` fresh processes.
  loadMs: number;
  samplesMs: number[];
  withinGoal: boolean;
}

export interface MeasureOptions {
  root: string;
  // Default <root>/dist/functions.
  bundleDir?: string;
  runs?: number;
  // SLUICE_PIPELINE for the probe: the entry resolves it at load time. Default: the first defined pipeline.
  pipeline?: string;
}

// Printed by the child: only the require() itself is timed, not node's own start-up.
const PROBE = `
const start = process.hrtime.bigint();
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(JSON.stringify({ ms }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function bundledStages(bundleDir: string): string[] {
  if (!existsSync(bundleDir)) return [];
  return readdirSync(bundleDir)
    .filter((name) => existsSync(join(bundleDir, name, 'index.js')))
    .sort();
}

export async function measureBundle(root: string, bundleDir: string, stage: string, runs: number, pipeline: string): Promise<BundleMeasurement> {
  const file = join(bundleDir, stage, 'index.js');
  const zip = join(bundleDir, `${stage}.zip`);
  const env = {
    ...process.env,
    NODE_PATH: join(resolve(root), 'node_modules'),
    // A bundle may parse its runtime settings at load time; give it the ones a deployed function has.
    SLUICE_PIPELINE: pipeline,
    SLUICE_STAGE: stage,
    SLUICE_BUCKET: 'measure-bucket',
    GOOGLE_CLOUD_PROJECT: 'measure-project',
    LOG_LEVEL: 'ERROR',
  };
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    let stdout: string;
    try {
      ({ stdout } = await run(process.execPath, ['-e', PROBE, file], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }));
    } catch (error) {
      // Minified bundles print whole lines of code with a stack trace; the last lines name the failure.
      const stderr = String((error as { stderr?: unknown }).stderr ?? error);
      const reason = stderr.split('\n').filter((line) => line.length < 500).slice(-12).join('\n');
      throw new Error(`loading the ${stage} bundle failed:\n${reason}`);
    }
    const lastLine = stdout.trim().split('\n').pop() ?? '';
    samplesMs.push(Math.round((JSON.parse(lastLine) as { ms: number }).ms * 10) / 10);
  }
  const loadMs = median(samplesMs);
  return {
    stage,
    bytes: statSync(file).size,
    zipBytes: existsSync(zip) ? statSync(zip).size : null,
    loadMs,
    samplesMs,
    withinGoal: loadMs < LOAD_GOAL_MS,
  };
}

export async function measureBundles(options: MeasureOptions): Promise<BundleMeasurement[]> {
  const root = resolve(options.root);
  const bundleDir = resolve(options.bundleDir ?? join(root, 'dist', 'functions'));
  const results: BundleMeasurement[] = [];
  // One at a time: parallel probes would measure each other.
  const pipeline = options.pipeline ?? pipelines[0]?.name ?? 'none';
  for (const stage of bundledStages(bundleDir)) results.push(await measureBundle(root, bundleDir, stage, options.runs ?? 5, pipeline));
  return results;
}

export function formatTable(results: readonly BundleMeasurement[]): string {
  const kb = (n: number | null) => (n === null ? '-' : `${(n / 1024).toFixed(1)} KiB`);
  const rows = [
    ['stage', 'index.js', 'zip', 'cold load (median)', `< ${LOAD_GOAL_MS} ms`],
    ...results.map((r) => [r.stage, kb(r.bytes), kb(r.zipBytes), `${r.loadMs.toFixed(1)} ms`, r.withinGoal ? 'yes' : 'NO']),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const results = await measureBundles({ root });
  if (results.length === 0) {
    console.error('no bundles in dist/functions: run `npm run build` first');
    process.exitCode = 1;
    return;
  }
  console.log(formatTable(results));
  const out = join(root, '.sluice', 'bundles.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, goalMs: LOAD_GOAL_MS, bundles: results }, null, 2)}\n`);
  console.log(`\nwritten to ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
