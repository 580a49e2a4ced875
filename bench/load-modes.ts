// Part "modes": the load handler's rows/s in each write mode, at --mode-rows (1M) rows, against
// append in the same run. Driven only through the import rule's options (mode, key), the way a
// pipeline asks for them, so it measures whatever functions/load does for that mode:
//  - append: snapshot A into an empty table (the baseline);
//  - replace: snapshot A loaded (and vacuumed), then snapshot B replaces it (measured: B);
//  - merge on Sale ID: snapshot A loaded (and vacuumed), then B, in which 10% of the rows changed and 90% are the
//    same (measured: B; goal ≥ 0.5× append).
// B is A with Quantity + 100 on every 10th row (generate-csv.ts), so after the merge exactly a tenth
// of the rows have a quantity above 100; checked, as are the row counts. Beside wall time, the
// PostgreSQL server's CPU time during each measured load (server-cpu.ts), and the ratio by it: on a
// shared machine the wall-time ratio mostly measures the neighbours.
import path from 'node:path';
import { qualifiedName, quoteIdentifier } from '../functions/load/quote-identifier';
import type { StagedMessage } from '../shared/messages';
import type { LoadMode } from '../shared/pipeline-definition';
import { startBenchServers, type BenchServers } from './bench-servers';
import { generateCsv } from './generate-csv';
import type { Options } from './options';
import { count, formatTable, mb, perSec, ratio, round2 } from './print-table';
import { runWorker } from './run-worker';
import { serverCpuMs } from './server-cpu';
import { BENCH_RULE } from './bench-rule';
import type { WorkerInput } from './stage-worker';

const UPDATED_EVERY = 10;
export const MERGE_GOAL = 0.5;

export interface ModeResult {
  mode: LoadMode;
  // What the table held before the measured load.
  tableRowsBefore: number;
  rows: number;
  ms: number;
  rowsPerSec: number;
  transactionRowsPerSec?: number;
  maxRssMB: number;
  vsAppend: number;
  // The server's CPU time during the load (Linux), and append's divided by it.
  serverCpuMs?: number;
  vsAppendByServerCpu?: number;
}

export interface ModesPart {
  rows: number;
  results: ModeResult[];
  targets: { mergeAtLeast05xAppend: boolean };
}

function ruleFor(mode: LoadMode) {
  return { ...BENCH_RULE, mode, ...(mode === 'merge' ? { key: ['sale_id'] } : {}) };
}

export async function benchLoadModes(options: Options, log: (message: string) => void): Promise<ModesPart> {
  const servers = await startBenchServers('modes', log);
  try {
    const rows = options.modeRows;
    const a = await generateSnapshot(servers, 'a', rows, {}, log);
    const b = await generateSnapshot(servers, 'b', rows, { updatedEvery: UPDATED_EVERY }, log);

    const measured: Array<Omit<ModeResult, 'vsAppend' | 'vsAppendByServerCpu'>> = [];
    for (const mode of ['append', 'replace', 'merge'] as const) {
      const schema = `modes_${mode}`;
      let tableRowsBefore = 0;
      if (mode !== 'append') {
        log(`modes: ${mode}: snapshot A first`);
        await load(servers, schema, mode, await stage(servers, schema, a, log));
        // As a table holding yesterday's snapshot is by the time today's arrives: vacuumed and analyzed.
        // Otherwise autovacuum (a minute's naptime) takes up the 1M rows just inserted whenever it wakes,
        // sometimes inside the measured load, and its CPU (VACUUM (ANALYZE) of the table: 0.21-0.25 s)
        // lands in the server-CPU figure, which counts every process of the server.
        await servers.db.query(`vacuum (analyze) ${qualifiedName(schema, 'sales')}`);
        tableRowsBefore = rows;
      }
      const message = await stage(servers, schema, mode === 'append' ? a : b, log);
      // Every measured load, append's too, starts with no dirty buffers left by what ran before it: a
      // load that must write others' pages out to find free buffers pays for them (shared_buffers is
      // 128 MB, the table 100 MB). Measured without this: merge's own backend 2.28 s of CPU when it ran
      // right after append, 2.63 s after replace had churned 2M rows.
      await servers.db.query('checkpoint');
      log(`modes: ${mode}: measured load`);
      const cpuBefore = await serverCpuMs(servers.db);
      const out = await load(servers, schema, mode, message);
      const cpuAfter = await serverCpuMs(servers.db);
      await check(servers, schema, mode, rows);
      await servers.db.query(`drop schema ${quoteIdentifier(schema)} cascade`);
      measured.push({
        mode, tableRowsBefore, rows, ms: Math.round(out.ms), rowsPerSec: perSec(rows, out.ms), maxRssMB: mb(out.maxRssBytes),
        ...(out.innerMs ? { transactionRowsPerSec: perSec(rows, out.innerMs) } : {}),
        ...(cpuBefore !== undefined && cpuAfter !== undefined ? { serverCpuMs: cpuAfter - cpuBefore } : {}),
      });
    }
    const append = measured[0]!;
    const results = measured.map((m) => ({
      ...m, vsAppend: round2(append.ms / m.ms),
      ...(m.serverCpuMs && append.serverCpuMs ? { vsAppendByServerCpu: round2(append.serverCpuMs / m.serverCpuMs) } : {}),
    }));
    return { rows, results, targets: { mergeAtLeast05xAppend: (results.find((r) => r.mode === 'merge')?.vsAppend ?? 0) >= MERGE_GOAL } };
  } finally {
    await servers.close();
  }
}

interface Snapshot { name: string; file: string; bytes: number }

async function generateSnapshot(servers: BenchServers, name: string, rows: number, variant: { updatedEvery?: number }, log: (message: string) => void): Promise<Snapshot> {
  const file = path.join(servers.tmp, `snapshot-${name}.csv`);
  log(`modes: generating snapshot ${name.toUpperCase()} (${count(rows)} rows${variant.updatedEvery ? `, every ${variant.updatedEvery}th updated` : ''})`);
  return { name, file, bytes: await generateCsv(file, rows, variant) };
}

// A snapshot as a fresh raw object, transformed: its staged message. Fresh for every load, because a
// load archives its raw object and deletes its staged one. Each raw name is a source of its own, so
// the measured load is never treated as a new version of the one before it.
async function stage(servers: BenchServers, schema: string, snapshot: Snapshot, log: (message: string) => void): Promise<StagedMessage> {
  const object = `raw/bench/${schema}/${snapshot.name}/Sales-${snapshot.name}.csv`;
  const [file] = await servers.bucket.upload(snapshot.file, { destination: object, resumable: snapshot.bytes > 8 * 1024 * 1024 });
  log(`modes: transforming snapshot ${snapshot.name.toUpperCase()} (${mb(snapshot.bytes)} MB)`);
  const out = await runWorker({
    ...job(servers, schema), stage: 'transform',
    raw: { bucket: servers.bucket.name, object, generation: String(file.metadata.generation), size: snapshot.bytes },
  });
  if (out.quarantined.length > 0) throw new Error(`transform quarantined snapshot ${snapshot.name}: ${out.quarantined.join('; ')}`);
  return out.published[0] as StagedMessage;
}

function job(servers: BenchServers, schema: string): Omit<WorkerInput, 'stage'> {
  return { storageUrl: servers.storageUrl, databaseUrl: servers.databaseUrl, bucket: servers.bucket.name, schema };
}

async function load(servers: BenchServers, schema: string, mode: LoadMode, message: StagedMessage) {
  const out = await runWorker({ ...job(servers, schema), stage: 'load', rule: ruleFor(mode), message });
  if (out.quarantined.length > 0) throw new Error(`${mode} load quarantined the file: ${out.quarantined.join('; ')}`);
  return out;
}

async function check(servers: BenchServers, schema: string, mode: LoadMode, rows: number): Promise<void> {
  const table = qualifiedName(schema, 'sales');
  const { rows: [found] } = await servers.db.query<{ n: string; updated: string }>(`select count(*) as n, count(*) filter (where quantity > 100) as updated from ${table}`);
  const expectUpdated = mode === 'append' ? 0 : Math.floor(rows / UPDATED_EVERY);
  if (Number(found?.n) !== rows || Number(found?.updated) !== expectUpdated) {
    throw new Error(`${mode}: expected ${rows} rows (${expectUpdated} updated) in ${schema}.sales, found ${found?.n} (${found?.updated} updated)`);
  }
}

export function formatModes(part: ModesPart): string {
  const header = ['mode', 'rows', 'table rows before', 'load rows/s', '(load txn rows/s)', '× append', 'load peak RSS MB', 'server CPU s', '× append by server CPU'];
  const lines = part.results.map((r) => [
    r.mode === 'merge' ? `merge (${100 / UPDATED_EVERY}% updated)` : r.mode, count(r.rows), count(r.tableRowsBefore), count(r.rowsPerSec),
    r.transactionRowsPerSec !== undefined ? count(r.transactionRowsPerSec) : '-', ratio(r.vsAppend), String(r.maxRssMB),
    r.serverCpuMs !== undefined ? (r.serverCpuMs / 1000).toFixed(2) : '-', r.vsAppendByServerCpu !== undefined ? ratio(r.vsAppendByServerCpu) : '-',
  ]);
  return [formatTable(header, lines), '', `targets: merge ≥ ${MERGE_GOAL}× append: ${part.targets.mergeAtLeast05xAppend ? 'met' : 'NOT met'}`].join('\n');
}
