// `npm run bench`, in three parts (all by default; `--parts` picks some):
// - throughput: transform + load throughput and memory on a generated CSV, against the local GCS
//   emulator (on disk) and an embedded PostgreSQL. Each stage runs in a child process (stage-worker.ts)
//   so its peak RSS is its own. Baseline: a plain COPY FROM STDIN of the same staged bytes from a local
//   file into an identical table on the same server, in the same run.
// - demo: the demo pipeline end to end on the whole local cloud, --demo-runs times (demo-latency.ts).
// - bundles: `npm run build`, then the size and cold load time of each stage package
//   (scripts/measure-bundles.ts, which writes .sluice/bundles.json).
// `--quick` runs the fast parts: throughput at --rows only (no 10M part) and the demo.
//   npm run bench -- [--rows 1000000] [--big-rows 10000000] [--demo-runs 10] [--parts throughput,demo,bundles] [--quick]
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Storage, type Bucket } from '@google-cloud/storage';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startGcsEmulator } from '../emulator/gcs/index';
import { startPostgres } from '../emulator/postgres';
import { createLogger } from '../shared/logger';
import type { StagedMessage } from '../shared/messages';
import { sqlType } from '../functions/load/ensure-table';
import { columnList, qualifiedName, quoteIdentifier } from '../functions/load/quote-identifier';
import { stagedSidecarSchema } from '../shared/staged-sidecar';
import { generateCsv } from './generate-csv';
import { benchDemoLatency, formatDemoLatency, type DemoLatencyResult } from './demo-latency';
import type { WorkerInput, WorkerOutput } from './stage-worker';

const PARTS = ['throughput', 'demo', 'bundles'] as const;
type Part = (typeof PARTS)[number];

interface Options {
  rows: number;
  bigRows: number;
  quick: boolean;
  demoRuns: number;
  parts: Part[];
  // Where the stage workers write V8 CPU profiles (--cpu-prof), when given.
  profileDir?: string;
}

interface SizeResult {
  rows: number;
  csvBytes: number;
  stagedBytes: number;
  transform: { ms: number; rowsPerSec: number; maxRssMB: number };
  // ms: the whole handler (sidecar, transaction, archive, cleanup); copyMs: its load transaction alone.
  load: { ms: number; rowsPerSec: number; maxRssMB: number; transactionMs?: number; transactionRowsPerSec?: number };
  baselineCopy: { ms: number; rowsPerSec: number };
  loadVsCopy: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { rows: 1_000_000, bigRows: 10_000_000, quick: false, demoRuns: 10, parts: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${arg} needs a positive whole number`);
      return n;
    };
    if (arg === '--rows') options.rows = value();
    else if (arg === '--big-rows') options.bigRows = value();
    else if (arg === '--demo-runs') options.demoRuns = value();
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--parts') {
      const wanted = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = wanted.filter((p) => !(PARTS as readonly string[]).includes(p));
      if (wanted.length === 0 || unknown.length > 0) throw new Error(`--parts takes a comma-separated list of ${PARTS.join(', ')}${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`);
      options.parts = wanted as Part[];
    } else if (arg === '--profile') options.profileDir = path.resolve(argv[++i] ?? '.sluice/profiles');
    else throw new Error(`unknown option ${arg} (use --rows N, --big-rows N, --demo-runs N, --parts LIST, --quick, --profile DIR)`);
  }
  if (options.parts.length === 0) options.parts = options.quick ? ['throughput', 'demo'] : [...PARTS];
  return options;
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

let profileDir: string | undefined;

function runWorker(input: WorkerInput): Promise<WorkerOutput> {
  return new Promise((resolve, reject) => {
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(import.meta.dirname, 'stage-worker.ts'), JSON.stringify(input)], {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${input.stage} worker exited with ${code}:\n${stderr.slice(-4000)}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as WorkerOutput);
      } catch {
        reject(new Error(`${input.stage} worker printed no result:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}

// The baseline: the staged bytes, from a local file, straight into a table of the same shape.
async function baselineCopy(db: pg.Pool, schema: string, stagedFile: string, columns: Array<{ name: string; type: string }>): Promise<number> {
  const client = await db.connect();
  try {
    await client.query(`create schema ${quoteIdentifier(schema)}`);
    const table = qualifiedName(schema, 'sales');
    await client.query(`create table ${table} (${columns.map((c) => `${quoteIdentifier(c.name)} ${sqlType(c.type as never)}`).join(', ')})`);
    const started = performance.now();
    await client.query('begin');
    await pipeline(fs.createReadStream(stagedFile), client.query(copyFrom(`COPY ${table} (${columnList(columns.map((c) => c.name))}) FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    await client.query('commit');
    return performance.now() - started;
  } finally {
    client.release();
  }
}

async function benchSize(rows: number, ctx: { tmp: string; bucket: Bucket; storageUrl: string; databaseUrl: string; db: pg.Pool }): Promise<SizeResult> {
  const csvPath = path.join(ctx.tmp, `sales-${rows}.csv`);
  log(`generating ${rows.toLocaleString('en-US')} rows`);
  const csvBytes = await generateCsv(csvPath, rows);
  const runId = `r${rows}`;
  const rawName = `raw/bench/${runId}/Sales.csv`;
  log(`uploading ${mb(csvBytes)} MB to the GCS emulator`);
  const [rawFile] = await ctx.bucket.upload(csvPath, { destination: rawName, resumable: csvBytes > 8 * 1024 * 1024 });
  fs.rmSync(csvPath);
  const schema = `bench_${rows}`;

  log('transform');
  const transform = await runWorker({
    stage: 'transform', storageUrl: ctx.storageUrl, databaseUrl: ctx.databaseUrl, bucket: ctx.bucket.name, schema,
    raw: { bucket: ctx.bucket.name, object: rawName, generation: String(rawFile.metadata.generation), size: csvBytes },
  });
  if (transform.quarantined.length > 0) throw new Error(`transform quarantined the file: ${transform.quarantined.join('; ')}`);
  const staged = transform.published[0] as StagedMessage;

  // Same bytes for the baseline: a local copy of the staged CSV load is about to stream.
  const stagedPath = path.join(ctx.tmp, `staged-${rows}.csv`);
  await ctx.bucket.file(staged.staged.object).download({ destination: stagedPath });
  const stagedBytes = fs.statSync(stagedPath).size;
  const [sidecarJson] = await ctx.bucket.file(staged.schemaObject).download();
  const sidecar = stagedSidecarSchema.parse(JSON.parse(sidecarJson.toString('utf8')));
  // Best of two, so a checkpoint or page-cache flush during one run does not flatter the ratio.
  log('baseline COPY (best of 2)');
  const copyMs = Math.min(
    await baselineCopy(ctx.db, `${schema}_baseline1`, stagedPath, sidecar.columns),
    await baselineCopy(ctx.db, `${schema}_baseline2`, stagedPath, sidecar.columns),
  );
  fs.rmSync(stagedPath);
  await ctx.db.query(`drop schema ${quoteIdentifier(`${schema}_baseline1`)} cascade`);
  await ctx.db.query(`drop schema ${quoteIdentifier(`${schema}_baseline2`)} cascade`);

  log('load');
  const load = await runWorker({ stage: 'load', storageUrl: ctx.storageUrl, databaseUrl: ctx.databaseUrl, bucket: ctx.bucket.name, schema, message: staged });
  if (load.quarantined.length > 0) throw new Error(`load quarantined the file: ${load.quarantined.join('; ')}`);
  const counted = await ctx.db.query<{ n: string }>(`select count(*) as n from ${qualifiedName(schema, 'sales')}`);
  if (Number(counted.rows[0]?.n) !== rows) throw new Error(`expected ${rows} rows in ${schema}.sales, found ${counted.rows[0]?.n}`);
  // Free the space before the next size.
  await ctx.db.query(`drop schema ${quoteIdentifier(schema)} cascade`);

  const rate = (ms: number) => Math.round(rows / (ms / 1000));
  return {
    rows,
    csvBytes,
    stagedBytes,
    transform: { ms: Math.round(transform.ms), rowsPerSec: rate(transform.ms), maxRssMB: mb(transform.maxRssBytes) },
    load: {
      ms: Math.round(load.ms), rowsPerSec: rate(load.ms), maxRssMB: mb(load.maxRssBytes),
      ...(load.innerMs ? { transactionMs: Math.round(load.innerMs), transactionRowsPerSec: rate(load.innerMs) } : {}),
    },
    baselineCopy: { ms: Math.round(copyMs), rowsPerSec: rate(copyMs) },
    loadVsCopy: Math.round((copyMs / load.ms) * 100) / 100,
  };
}

function printTable(results: SizeResult[]): void {
  const header = ['rows', 'CSV MB', 'transform rows/s', 'load rows/s', '(load txn rows/s)', 'raw COPY rows/s', 'load / COPY', 'transform peak RSS MB', 'load peak RSS MB'];
  const lines = results.map((r) => [
    r.rows.toLocaleString('en-US'), String(mb(r.csvBytes)), r.transform.rowsPerSec.toLocaleString('en-US'), r.load.rowsPerSec.toLocaleString('en-US'),
    r.load.transactionRowsPerSec?.toLocaleString('en-US') ?? '-', r.baselineCopy.rowsPerSec.toLocaleString('en-US'), `${r.loadVsCopy.toFixed(2)}×`, String(r.transform.maxRssMB), String(r.load.maxRssMB),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(row(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(row(line));
}

interface ThroughputPart {
  results: SizeResult[];
  targets: { loadAtLeast08xCopy: boolean; peakRssUnder300MB: boolean };
}

async function benchThroughput(options: Options): Promise<ThroughputPart> {
  const sizes = options.quick ? [options.rows] : [options.rows, options.bigRows];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  // PostgreSQL may run as another OS user (when we are root): it must be able to traverse here.
  if (process.getuid?.() === 0) fs.chmodSync(tmp, 0o711);
  const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
  const stops: Array<() => Promise<void>> = [];
  try {
    log('starting the GCS emulator and PostgreSQL');
    const gcs = await startGcsEmulator({ dataDir: path.join(tmp, 'gcs'), logger: quiet });
    stops.push(() => gcs.stop());
    const postgres = await startPostgres({ dataDir: path.join(tmp, 'postgres'), password: crypto.randomBytes(12).toString('hex'), fast: true, logger: quiet });
    stops.push(() => postgres.stop());
    const db = new pg.Pool({ connectionString: postgres.databaseUrl, max: 2 });
    stops.push(() => db.end());
    const storage = new Storage({ projectId: 'sluice-bench', apiEndpoint: gcs.url });
    const [bucket] = await storage.createBucket('sluice-bench');

    const results: SizeResult[] = [];
    for (const rows of sizes) results.push(await benchSize(rows, { tmp, bucket, storageUrl: gcs.url, databaseUrl: postgres.databaseUrl, db }));
    return {
      results,
      targets: {
        loadAtLeast08xCopy: results.every((r) => r.loadVsCopy >= 0.8),
        peakRssUnder300MB: results.every((r) => r.transform.maxRssMB < 300 && r.load.maxRssMB < 300),
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log(`stop failed: ${(error as Error).message}`));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The bundle part runs as the scripts it always was, in their own processes.
function runScript(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: path.resolve(import.meta.dirname, '..'), stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  profileDir = options.profileDir;
  let throughput: ThroughputPart | undefined;
  let demo: DemoLatencyResult | undefined;
  if (options.parts.includes('throughput')) throughput = await benchThroughput(options);
  if (options.parts.includes('demo')) demo = await benchDemoLatency({ runs: options.demoRuns, log });

  console.log(`\nSluice bench (${os.cpus().length} CPU, Node ${process.version})`);
  if (throughput) {
    console.log('\ntransform + load (8 columns; GCS emulator on disk; PostgreSQL fsync off)\n');
    printTable(throughput.results);
    const t = throughput.targets;
    console.log(`\ntargets: load ≥ 0.8× raw COPY: ${t.loadAtLeast08xCopy ? 'met' : 'NOT met'}; peak RSS < 300 MB: ${t.peakRssUnder300MB ? 'met' : 'NOT met'}`);
  }
  if (demo) {
    console.log('\ndemo pipeline, trigger → run terminal (report mailed), in-process functions on the local cloud\n');
    console.log(formatDemoLatency(demo));
  }
  const out = path.resolve(import.meta.dirname, '..', '.sluice', 'bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    at: new Date().toISOString(), cpus: os.cpus().length, node: process.version, parts: options.parts,
    ...(throughput ? { results: throughput.results, targets: throughput.targets } : {}),
    ...(demo ? { demo } : {}),
  }, null, 2) + '\n');
  console.log(`written to ${path.relative(process.cwd(), out)}`);

  if (options.parts.includes('bundles')) {
    console.log('\nstage packages (npm run build, then scripts/measure-bundles.ts)\n');
    await runScript('npm', ['run', 'build']);
    await runScript(process.execPath, ['--import', 'tsx', 'scripts/measure-bundles.ts']);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
