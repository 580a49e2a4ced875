// Size and cold module-load time of each stage package (dist/functions/<stage>/), printed as a table
// and written to .sluice/bundles.json. Load time is what a cold start pays for our code: a fresh `node`
// process require()s the package's main (which registers its function with functions-framework,
// resolved from our node_modules as the runtime's own copy would be) and reports how long that took.
// Measured twice: with the V8 code cache `npm run build` wrote (what a deployed function gets when its
// deploy build wrote one for its Node.js) and with the cache switched off (SLUICE_CODE_CACHE=off: what
// it pays when the cache is missing or rejected). The median of several fresh processes is kept;
// goal: under 300 ms per package with its cache.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pipelines } from '../pipelines/index';
import { CODE_CACHE_FILE, CODE_CACHE_STATUS, LOADER_FILE, STAGE_BUNDLE_FILE } from './function-package/package-layout';

const run = promisify(execFile);

export const LOAD_GOAL_MS = 300;

export interface BundleMeasurement {
  stage: string;
  // stage.js, the bundle.
  bytes: number;
  zipBytes: number | null;
  cacheBytes: number | null;
  // What the loader did with the cache: accepted, rejected or absent.
  cacheStatus: string;
  // Median cold require() time over `runs` fresh processes, with the code cache.
  loadMs: number;
  samplesMs: number[];
  // The same without the code cache.
  uncachedLoadMs: number;
  uncachedSamplesMs: number[];
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
process.stdout.write(JSON.stringify({ ms, cache: globalThis[Symbol.for(${JSON.stringify(CODE_CACHE_STATUS.description)})] ?? 'none' }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function bundledStages(bundleDir: string): string[] {
  if (!existsSync(bundleDir)) return [];
  return readdirSync(bundleDir)
    .filter((name) => existsSync(join(bundleDir, name, LOADER_FILE)))
    .sort();
}

interface Sample {
  ms: number;
  cache: string;
}

async function probeOnce(file: string, stage: string, env: NodeJS.ProcessEnv): Promise<Sample> {
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
  const sample = JSON.parse(lastLine) as Sample;
  return { ms: Math.round(sample.ms * 10) / 10, cache: sample.cache };
}

export async function measureBundle(root: string, bundleDir: string, stage: string, runs: number, pipeline: string): Promise<BundleMeasurement> {
  const dir = join(bundleDir, stage);
  const file = join(dir, LOADER_FILE);
  const zip = join(bundleDir, `${stage}.zip`);
  const cache = join(dir, CODE_CACHE_FILE);
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
  const cached: Sample[] = [];
  const uncached: Sample[] = [];
  // Interleaved, so a burst of load on the machine hurts both columns alike.
  for (let i = 0; i < runs; i++) {
    cached.push(await probeOnce(file, stage, { ...env, SLUICE_CODE_CACHE: 'on' }));
    uncached.push(await probeOnce(file, stage, { ...env, SLUICE_CODE_CACHE: 'off' }));
  }
  const samplesMs = cached.map((s) => s.ms);
  const loadMs = median(samplesMs);
  const uncachedSamplesMs = uncached.map((s) => s.ms);
  return {
    stage,
    bytes: statSync(join(dir, STAGE_BUNDLE_FILE)).size,
    zipBytes: existsSync(zip) ? statSync(zip).size : null,
    cacheBytes: existsSync(cache) ? statSync(cache).size : null,
    // The loader reports the same status every time for the same files; one sample says it.
    cacheStatus: cached[0]?.cache ?? 'none',
    loadMs,
    samplesMs,
    uncachedLoadMs: median(uncachedSamplesMs),
    uncachedSamplesMs,
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
    ['stage', 'stage.js', 'zip', 'code cache', 'cold load (median)', `< ${LOAD_GOAL_MS} ms`, 'without cache', 'cache speed-up'],
    ...results.map((r) => [
      r.stage,
      kb(r.bytes),
      kb(r.zipBytes),
      `${kb(r.cacheBytes)} ${r.cacheStatus}`,
      `${r.loadMs.toFixed(1)} ms`,
      r.withinGoal ? 'yes' : 'NO',
      `${r.uncachedLoadMs.toFixed(1)} ms`,
      `${(r.uncachedLoadMs / r.loadMs).toFixed(2)}x`,
    ]),
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
