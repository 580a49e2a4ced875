// What row lineage costs a load: COPY of the same CSV into a table without and with the `_sluice_load`
// column (filled by its DEFAULT from the transaction's load id, as functions/load/row-lineage.ts does),
// interleaved in one run so both see the same machine. Also times a supersede (DELETE by lineage, no
// index) of one load's rows.
//   npx tsx bench/lineage-cost.ts [--rows 1000000] [--rounds 5]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startPostgres } from '../emulator/postgres';
import { lineageColumnDefinition, setLoadId } from '../functions/load/row-lineage';
import { createLogger } from '../shared/logger';
import { generateCsv } from './generate-csv';

const COLUMNS = '"sale_id" bigint, "store" text, "item" text, "quantity" integer, "unit_price" numeric, "discount" numeric, "sold_at" timestamp, "note" text';
const COLUMN_NAMES = '"sale_id", "store", "item", "quantity", "unit_price", "discount", "sold_at", "note"';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function timedCopy(db: pg.Pool, table: string, csv: string, loadId?: string): Promise<number> {
  const client = await db.connect();
  try {
    await client.query('begin');
    if (loadId) await setLoadId(client, loadId);
    const started = process.hrtime.bigint();
    await pipeline(fs.createReadStream(csv), client.query(copyFrom(`COPY ${table} (${COLUMN_NAMES}) FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    await client.query('commit');
    return ms;
  } finally {
    client.release();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const rows = argValue('rows', 1_000_000);
  const rounds = argValue('rounds', 5);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lineage-'));
  if (process.getuid?.() === 0) fs.chmodSync(tmp, 0o711);
  const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
  const postgres = await startPostgres({ dataDir: path.join(tmp, 'postgres'), password: crypto.randomBytes(12).toString('hex'), fast: true, logger: quiet });
  const db = new pg.Pool({ connectionString: postgres.databaseUrl, max: 2 });
  // PostgreSQL stopping ends idle pooled connections: not an error of the benchmark.
  db.on('error', () => undefined);
  try {
    const csv = path.join(tmp, 'sales.csv');
    await generateCsv(csv, rows);
    const plain: number[] = [];
    const lineage: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Fresh tables each round, so both COPYs write into an empty heap of the same size.
      await db.query(`drop table if exists plain, lineage; create table plain (${COLUMNS}); create table lineage (${COLUMNS}, ${lineageColumnDefinition()})`);
      // Alternate which goes first, so neither always gets the warmer cache.
      if (round % 2 === 0) {
        plain.push(await timedCopy(db, 'plain', csv));
        lineage.push(await timedCopy(db, 'lineage', csv, String(round + 1)));
      } else {
        lineage.push(await timedCopy(db, 'lineage', csv, String(round + 1)));
        plain.push(await timedCopy(db, 'plain', csv));
      }
    }
    const sizes = (await db.query(`select pg_total_relation_size('plain') as plain, pg_total_relation_size('lineage') as lineage`)).rows[0];
    const started = process.hrtime.bigint();
    const deleted = await db.query(`delete from lineage where _sluice_load = any($1::bigint[])`, [[String(rounds)]]);
    const deleteMs = Number(process.hrtime.bigint() - started) / 1e6;
    const p = median(plain);
    const l = median(lineage);
    const result = {
      rows, rounds,
      copyMs: { withoutLineage: Math.round(p), withLineage: Math.round(l), overheadPercent: Math.round(((l - p) / p) * 1000) / 10 },
      rowsPerSecond: { withoutLineage: Math.round(rows / (p / 1000)), withLineage: Math.round(rows / (l / 1000)) },
      tableBytes: { withoutLineage: Number(sizes.plain), withLineage: Number(sizes.lineage) },
      supersedeDelete: { rows: deleted.rowCount, ms: Math.round(deleteMs) },
      samplesMs: { withoutLineage: plain.map(Math.round), withLineage: lineage.map(Math.round) },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.end();
    await postgres.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
