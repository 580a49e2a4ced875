// Where a merge's time goes, statement by statement: a table holding snapshot A (COPY, as load's
// append would leave it), then snapshot B (every 10th row changed) merged into it by the real merge
// mode (functions/load/modes/merge.ts), each SQL statement timed; `--explain` runs each one under
// EXPLAIN (ANALYZE, BUFFERS) instead and prints the plans. The merge is rolled back and the table made
// afresh every round, so rounds are comparable. An append of B into an empty table (the same COPY
// `npm run bench -- --parts modes` measures as the baseline) is timed in the same round.
//   npx tsx bench/merge-steps.ts [--rows 1000000] [--rounds 3] [--updated-every 10] [--delete-missing] [--shuffled] [--explain] [--analyze]
// --shuffled: snapshot B's rows in a random (seeded) order instead of key order, so the merge takes
// its hash-join path (modes/key-order.ts); the table still holds A in key order.
// --analyze: ANALYZE the table after loading A (autovacuum may or may not have done so before a real
// merge arrives; the plans can differ).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPostgres } from '../emulator/postgres';
import { copyStagedFile } from '../functions/load/copy-into-table';
import { mergeMode } from '../functions/load/modes/merge';
import { tableTimeColumns } from '../functions/load/modes/old-value-ranges';
import { lineageColumnDefinition, setLoadId } from '../functions/load/row-lineage';
import { createLogger } from '../shared/logger';
import { generateCsv } from './generate-csv';

const COLUMNS = ['sale_id', 'store', 'item', 'quantity', 'unit_price', 'discount', 'sold_at', 'note'];
const TYPES = 'sale_id integer, store text, item text, quantity integer, unit_price numeric, discount numeric, sold_at timestamp, note text';

const flag = (name: string) => process.argv.includes(`--${name}`);
function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Step { sql: string; ms: number; cpuMs: number; plan?: string }

// The server process's CPU time (user + system, ms) of this connection: unlike wall time it hardly
// moves when other work shares the machine. Linux only (/proc); 0 elsewhere.
function backendCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

// A client whose every query is timed (and, with `explain`, first run under EXPLAIN ANALYZE: a SELECT
// is then run again for its result; a statement with effects is explained inside a savepoint, rolled
// back, and run again for its row count, so the merge goes on exactly as it would).
function instrumented(client: pg.PoolClient, pid: number, steps: Step[], explain: boolean): pg.PoolClient {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  const wrapped = async (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text !== 'string') return query(...args);
    const short = text.replace(/\s+/g, ' ').slice(0, 160);
    const started = performance.now();
    const cpu = backendCpuMs(pid);
    if (explain && !/^\s*(select set_config|select current_setting|set |begin|commit|rollback|savepoint|release|create (unique )?index)/i.test(text)) {
      const reads = /^\s*(select|with\s+\w+\s+as\s+\(\s*select)/i.test(text);
      if (!reads) await query('savepoint explained');
      const planned = await query(`explain (analyze, buffers) ${text}`, values);
      const ms = performance.now() - started;
      steps.push({ sql: short, ms, cpuMs: backendCpuMs(pid) - cpu, plan: planned.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n') });
      if (!reads) await query('rollback to savepoint explained');
      return query(text, values);
    }
    const result = await query(...args);
    steps.push({ sql: short, ms: performance.now() - started, cpuMs: backendCpuMs(pid) - cpu });
    return result;
  };
  return new Proxy(client, { get: (t, p) => (p === 'query' ? wrapped : Reflect.get(t, p)) });
}

// The file's data rows in a seeded random order (Fisher-Yates), the header first; in memory (~70 MB
// at 1M rows).
function shuffleRows(file: string): void {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const header = lines.shift()!;
  if (lines[lines.length - 1] === '') lines.pop();
  let seed = 7;
  for (let i = lines.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  fs.writeFileSync(file, `${header}\n${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const rows = argValue('rows', 1_000_000);
  const rounds = argValue('rounds', 3);
  const explain = flag('explain');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-merge-steps-'));
  if (process.getuid?.() === 0) fs.chmodSync(tmp, 0o711);
  const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
  const postgres = await startPostgres({ dataDir: path.join(tmp, 'postgres'), password: crypto.randomBytes(12).toString('hex'), fast: true, logger: quiet });
  const db = new pg.Pool({ connectionString: postgres.databaseUrl, max: 2 });
  db.on('error', () => undefined);
  try {
    const a = path.join(tmp, 'a.csv');
    const b = path.join(tmp, 'b.csv');
    await generateCsv(a, rows);
    await generateCsv(b, rows, { updatedEvery: argValue('updated-every', 10) });
    if (flag('shuffled')) shuffleRows(b);
    const totals: Array<{ append: number; merge: number; appendCpuMs: number; mergeCpuMs: number }> = [];
    for (let round = 0; round < rounds; round++) {
      await db.query(`drop schema if exists m cascade; create schema m;
        create table m.sales (${TYPES}, ${lineageColumnDefinition()}); create unique index sales_merge_key on m.sales (sale_id);
        create table m.appended (${TYPES}, ${lineageColumnDefinition()})`);
      const client = await db.connect();
      try {
        const pid = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid);
        await client.query('begin');
        await setLoadId(client, '1');
        await copyStagedFile(client, 'm.sales', COLUMNS, () => fs.createReadStream(a));
        await client.query('commit');
        if (flag('analyze')) await client.query('analyze m.sales');
        await client.query('checkpoint');

        await client.query('begin');
        await setLoadId(client, '2');
        const appendStarted = performance.now();
        const appendCpu = backendCpuMs(pid);
        await copyStagedFile(client, 'm.appended', COLUMNS, () => fs.createReadStream(b));
        const append = performance.now() - appendStarted;
        const appendCpuMs = backendCpuMs(pid) - appendCpu;
        await client.query('rollback');

        const steps: Step[] = [];
        const timed = instrumented(client, pid, steps, explain);
        await client.query('begin');
        await setLoadId(client, '3');
        const started = performance.now();
        const mergeCpu = backendCpuMs(pid);
        const outcome = await mergeMode.write({
          client: timed, schema: 'm', table: 'sales', columns: COLUMNS, rows, rule: { key: ['sale_id'], deleteMissing: flag('delete-missing') }, newerLoadIds: [],
          timeColumns: () => tableTimeColumns(client, 'm', 'sales'),
          copy: async (into) => {
            const copyStarted = performance.now();
            const copyCpu = backendCpuMs(pid);
            const result = await copyStagedFile(client, into, COLUMNS, () => fs.createReadStream(b));
            steps.push({ sql: `COPY into ${into}`, ms: performance.now() - copyStarted, cpuMs: backendCpuMs(pid) - copyCpu });
            return result;
          },
        });
        const merge = performance.now() - started;
        const mergeCpuMs = backendCpuMs(pid) - mergeCpu;
        await client.query('rollback');
        totals.push({ append, merge, appendCpuMs, mergeCpuMs });
        console.log(`\nround ${round + 1}: append ${Math.round(append)} ms (server CPU ${appendCpuMs}), merge ${Math.round(merge)} ms (server CPU ${mergeCpuMs}): ${(append / merge).toFixed(2)}× append by wall time, ${(appendCpuMs / mergeCpuMs).toFixed(2)}× by CPU ${JSON.stringify(outcome.counts)}`);
        for (const s of steps) {
          console.log(`${String(Math.round(s.ms)).padStart(6)} ms ${String(s.cpuMs).padStart(6)} cpu  ${s.sql}`);
          if (s.plan) console.log(s.plan.replace(/^/gm, '          '));
        }
      } finally {
        client.release();
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const append = median(totals.map((t) => t.append));
    const merge = median(totals.map((t) => t.merge));
    const appendCpu = median(totals.map((t) => t.appendCpuMs));
    const mergeCpu = median(totals.map((t) => t.mergeCpuMs));
    console.log(`\nmedian of ${rounds}: append ${Math.round(append)} ms, merge ${Math.round(merge)} ms = ${(append / merge).toFixed(2)}× append; server CPU append ${appendCpu} ms, merge ${mergeCpu} ms = ${(appendCpu / mergeCpu).toFixed(2)}× (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  } finally {
    await db.end();
    await postgres.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
