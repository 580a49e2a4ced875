// Part "throughput": transform + load of a generated 8-column CSV at two sizes (1M and 10M rows by
// default) on the local cloud, each stage in a child process (stage-worker.ts) so its peak RSS is its
// own. Baselines, in the same run:
//  - transform against a bare papaparse parse of the same raw object, streamed from the same emulator
//    by the same worker setup (goal ≥ 0.8× its rows/s);
//  - load against a plain COPY FROM STDIN of the same staged bytes from a local file into an identical
//    table on the same server (goal ≥ 0.8×);
//  - each stage's peak RSS at the big size against the small one (goal ≤ 1.3×: memory stays flat).
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sqlType } from '../functions/load/ensure-table';
import { columnList, qualifiedName, quoteIdentifier } from '../functions/load/quote-identifier';
import type { StagedMessage } from '../shared/messages';
import { stagedSidecarSchema } from '../shared/staged-sidecar';
import { startBenchServers, type BenchServers } from './bench-servers';
import { generateCsv } from './generate-csv';
import type { Options } from './options';
import { count, formatTable, mb, perSec, ratio, round2 } from './print-table';
import { runWorker } from './run-worker';

export interface SizeResult {
  rows: number;
  csvBytes: number;
  stagedBytes: number;
  // stagingMs: reading the raw object, staging it and publishing (the handler's own 'file transformed' timing).
  transform: { ms: number; rowsPerSec: number; maxRssMB: number; peaksMB: Record<string, number>; stagingMs?: number; cpuMs: number };
  papaparse: { ms: number; rowsPerSec: number; maxRssMB: number; cpuMs: number };
  transformVsPapaparse: number;
  // ms: the whole handler (sidecar, transaction, archive, cleanup); transactionMs: its load transaction alone.
  load: { ms: number; rowsPerSec: number; maxRssMB: number; peaksMB: Record<string, number>; transactionMs?: number; transactionRowsPerSec?: number };
  baselineCopy: { ms: number; rowsPerSec: number };
  loadVsCopy: number;
}

export interface ThroughputPart {
  results: SizeResult[];
  // Peak RSS at the big size / at the small size, per stage.
  rssGrowth: { fromRows: number; toRows: number; transform: number; load: number };
  targets: { transformAtLeast08xPapaparse: boolean; loadAtLeast08xCopy: boolean; peakRssUnder300MB: boolean; peakRssFlat: boolean };
}

export const GOALS = { transformVsPapaparse: 0.8, loadVsCopy: 0.8, peakRssMB: 300, rssGrowth: 1.3 };

export async function benchThroughput(options: Options, log: (message: string) => void): Promise<ThroughputPart> {
  const servers = await startBenchServers('throughput', log);
  try {
    const results: SizeResult[] = [];
    for (const rows of [options.rows, options.bigRows]) results.push(await benchSize(rows, servers, log));
    const [small, big] = results as [SizeResult, SizeResult];
    const rssGrowth = {
      fromRows: small.rows, toRows: big.rows,
      transform: round2(big.transform.maxRssMB / small.transform.maxRssMB), load: round2(big.load.maxRssMB / small.load.maxRssMB),
    };
    return {
      results,
      rssGrowth,
      targets: {
        transformAtLeast08xPapaparse: results.every((r) => r.transformVsPapaparse >= GOALS.transformVsPapaparse),
        loadAtLeast08xCopy: results.every((r) => r.loadVsCopy >= GOALS.loadVsCopy),
        peakRssUnder300MB: results.every((r) => r.transform.maxRssMB < GOALS.peakRssMB && r.load.maxRssMB < GOALS.peakRssMB),
        peakRssFlat: rssGrowth.transform <= GOALS.rssGrowth && rssGrowth.load <= GOALS.rssGrowth,
      },
    };
  } finally {
    await servers.close();
  }
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

async function benchSize(rows: number, ctx: BenchServers, log: (message: string) => void): Promise<SizeResult> {
  const csvPath = path.join(ctx.tmp, `sales-${rows}.csv`);
  log(`throughput: generating ${count(rows)} rows`);
  const csvBytes = await generateCsv(csvPath, rows);
  const rawName = `raw/bench/r${rows}/Sales.csv`;
  log(`throughput: uploading ${mb(csvBytes)} MB to the GCS emulator`);
  const [rawFile] = await ctx.bucket.upload(csvPath, { destination: rawName, resumable: csvBytes > 8 * 1024 * 1024 });
  fs.rmSync(csvPath);
  const schema = `bench_${rows}`;
  const raw = { bucket: ctx.bucket.name, object: rawName, generation: String(rawFile.metadata.generation), size: csvBytes };
  const job = { storageUrl: ctx.storageUrl, databaseUrl: ctx.databaseUrl, bucket: ctx.bucket.name, schema };

  log('throughput: papaparse baseline');
  const papaparse = await runWorker({ ...job, stage: 'papaparse', raw });
  if (papaparse.rows !== rows) throw new Error(`papaparse read ${papaparse.rows} rows, expected ${rows}`);
  log('throughput: transform');
  const transform = await runWorker({ ...job, stage: 'transform', raw });
  if (transform.quarantined.length > 0) throw new Error(`transform quarantined the file: ${transform.quarantined.join('; ')}`);
  const staged = transform.published[0] as StagedMessage;

  // Same bytes for the baseline: a local copy of the staged CSV load is about to stream.
  const stagedPath = path.join(ctx.tmp, `staged-${rows}.csv`);
  await ctx.bucket.file(staged.staged.object).download({ destination: stagedPath });
  const stagedBytes = fs.statSync(stagedPath).size;
  const [sidecarJson] = await ctx.bucket.file(staged.schemaObject).download();
  const sidecar = stagedSidecarSchema.parse(JSON.parse(sidecarJson.toString('utf8')));
  // Best of two, so a checkpoint or page-cache flush during one run does not flatter the ratio.
  log('throughput: baseline COPY (best of 2)');
  const copyMs = Math.min(
    await baselineCopy(ctx.db, `${schema}_baseline1`, stagedPath, sidecar.columns),
    await baselineCopy(ctx.db, `${schema}_baseline2`, stagedPath, sidecar.columns),
  );
  fs.rmSync(stagedPath);
  await ctx.db.query(`drop schema ${quoteIdentifier(`${schema}_baseline1`)} cascade`);
  await ctx.db.query(`drop schema ${quoteIdentifier(`${schema}_baseline2`)} cascade`);

  log('throughput: load');
  const load = await runWorker({ ...job, stage: 'load', message: staged });
  if (load.quarantined.length > 0) throw new Error(`load quarantined the file: ${load.quarantined.join('; ')}`);
  const counted = await ctx.db.query<{ n: string }>(`select count(*) as n from ${qualifiedName(schema, 'sales')}`);
  if (Number(counted.rows[0]?.n) !== rows) throw new Error(`expected ${rows} rows in ${schema}.sales, found ${counted.rows[0]?.n}`);
  // Free the space before the next size: the table, and every object (raw, staged, archived).
  await ctx.db.query(`drop schema ${quoteIdentifier(schema)} cascade`);
  await ctx.bucket.deleteFiles({ force: true }).catch((error: unknown) => log(`throughput: emptying the bucket failed: ${(error as Error).message}`));

  const rate = (ms: number) => perSec(rows, ms);
  return {
    rows,
    csvBytes,
    stagedBytes,
    transform: { ms: Math.round(transform.ms), rowsPerSec: rate(transform.ms), maxRssMB: mb(transform.maxRssBytes), peaksMB: peaksMB(transform.peaks), ...(transform.innerMs ? { stagingMs: Math.round(transform.innerMs) } : {}), cpuMs: Math.round(transform.cpuMs) },
    papaparse: { ms: Math.round(papaparse.ms), rowsPerSec: rate(papaparse.ms), maxRssMB: mb(papaparse.maxRssBytes), cpuMs: Math.round(papaparse.cpuMs) },
    transformVsPapaparse: round2(papaparse.ms / transform.ms),
    load: {
      ms: Math.round(load.ms), rowsPerSec: rate(load.ms), maxRssMB: mb(load.maxRssBytes), peaksMB: peaksMB(load.peaks),
      ...(load.innerMs ? { transactionMs: Math.round(load.innerMs), transactionRowsPerSec: rate(load.innerMs) } : {}),
    },
    baselineCopy: { ms: Math.round(copyMs), rowsPerSec: rate(copyMs) },
    loadVsCopy: round2(copyMs / load.ms),
  };
}

const peaksMB = (peaks: Record<string, number>) => Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, mb(v)]));

export function formatThroughput(part: ThroughputPart): string {
  const header = ['rows', 'CSV MB', 'papaparse rows/s', 'transform rows/s', 'transform / papaparse', 'raw COPY rows/s', 'load rows/s', '(load txn rows/s)', 'load / COPY', 'transform peak RSS MB', 'load peak RSS MB'];
  const lines = part.results.map((r) => [
    count(r.rows), String(mb(r.csvBytes)), count(r.papaparse.rowsPerSec), count(r.transform.rowsPerSec), ratio(r.transformVsPapaparse),
    count(r.baselineCopy.rowsPerSec), count(r.load.rowsPerSec), r.load.transactionRowsPerSec !== undefined ? count(r.load.transactionRowsPerSec) : '-', ratio(r.loadVsCopy),
    String(r.transform.maxRssMB), String(r.load.maxRssMB),
  ]);
  const g = part.rssGrowth;
  const t = part.targets;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    formatTable(header, lines),
    '',
    `peak RSS at ${count(g.toRows)} / at ${count(g.fromRows)} rows: transform ${ratio(g.transform)}, load ${ratio(g.load)}`,
    // Where a growing peak comes from: the JS heap (garbage reaching old space, or data kept) or outside it.
    ...(['transform', 'load'] as const).map((stage) =>
      `${stage} peak JS heap used / outside the heap (external), MB: ${part.results.map((r) => `${r[stage].peaksMB.heapUsed ?? '?'} / ${r[stage].peaksMB.external ?? '?'} at ${count(r.rows)}`).join('; ')}`),
    `targets: transform ≥ ${GOALS.transformVsPapaparse}× papaparse: ${met(t.transformAtLeast08xPapaparse)}; load ≥ ${GOALS.loadVsCopy}× raw COPY: ${met(t.loadAtLeast08xCopy)}; ` +
      `peak RSS < ${GOALS.peakRssMB} MB: ${met(t.peakRssUnder300MB)}; peak RSS flat (≤ ${GOALS.rssGrowth}×): ${met(t.peakRssFlat)}`,
  ].join('\n');
}
