// Report queries and attachments are safe whatever the SQL or the data holds: the real notify query
// runner on the real PostgreSQL, and the CSV writer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutralise, toCsv } from '../../functions/notify/csv';
import { cappedCsv, renderReport } from '../../functions/notify/render-report';
import { runReportQueries } from '../../functions/notify/report-queries';
import { summarizeRun } from '../../functions/notify/run-summary';
import type { RunRecord } from '../../functions/runtime/run-record';
import type { DatabaseBounds } from '../../functions/runtime/postgres/database-bounds';
import { reportSchema, type ReportDefinition } from '../../shared/pipeline-definition';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';

const SHORT: DatabaseBounds = { connectMs: 2_000, lockMs: 500, statementMs: 500, idleInTransactionMs: 2_000, transactionMs: 5_000 };

let world: StageTestWorld;
let h: StageHarness;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'rpt', database: true });
  h = await stageHarness(world, testPipeline(world));
  await world.db.query(`create table victim (id int); insert into victim values (1), (2);
    create table notes (note text); insert into notes values ('=HYPERLINK("http://evil.example","click")'), ('-3'), ('+1 call me'), ('@SUM(A1)'), (E'\\tx'), ('plain')`);
});

afterAll(async () => {
  await h?.close();
  await world?.stop();
});

const report = (queries: Array<{ title: string; sql: string }>, caps: Partial<Pick<ReportDefinition, 'maxRows' | 'maxAttachmentBytes'>> = {}): ReportDefinition =>
  reportSchema.parse({ name: 'r', subject: 'R', to: ['ops@example.com'], queries, ...caps });

const run = (r: ReportDefinition) => runReportQueries(h.context('notify'), r, SHORT);

describe('report queries', () => {
  it('refuses `commit; drop table x`: the query fails, nothing is dropped', async () => {
    const [result] = await run(report([{ title: 'evil', sql: 'select 1; commit; drop table victim' }]));
    expect(result!.error).toMatch(/syntax error|multiple commands/);
    const [second] = await run(report([{ title: 'evil', sql: 'commit; drop table victim' }]));
    expect(second!.error).toBeTruthy();
    expect((await world.db.query('select count(*)::int as n from victim')).rows[0].n).toBe(2);
  });

  it('refuses writes, even in a data-modifying WITH', async () => {
    const [result] = await run(report([{ title: 'w', sql: 'with d as (delete from victim returning *) select * from d' }]));
    expect(result!.error).toBeTruthy();
    expect((await world.db.query('select count(*)::int as n from victim')).rows[0].n).toBe(2);
  });

  it('`set statement_timeout = 0` does not lift the time limit', async () => {
    const started = Date.now();
    const results = await run(report([
      { title: 'lift', sql: 'set statement_timeout = 0' },
      { title: 'lift in one', sql: `select set_config('statement_timeout', '0', false), pg_sleep(5)` },
      { title: 'slow', sql: 'select pg_sleep(5)' },
    ]));
    expect(results.map((r) => r.error !== undefined)).toEqual([true, true, true]);
    expect(results[2]!.error).toMatch(/statement timeout/);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('runs an ordinary query, a trailing semicolon and comments included', async () => {
    const [result] = await run(report([{ title: 'ok', sql: 'select id, id * 2 as twice from victim order by id; -- the end' }]));
    expect(result).toEqual({ title: 'ok', columns: ['id', 'twice'], rows: [{ id: 1, twice: 2 }, { id: 2, twice: 4 }] });
  });

  it('fetches at most maxRows rows and says the result was cut', async () => {
    const [result] = await run(report([{ title: 'many', sql: 'select g from generate_series(1, 50) g' }], { maxRows: 10 }));
    expect(result!.rows).toHaveLength(10);
    expect(result!.cut).toEqual({ by: 'rows', limit: 10 });
  });
});

describe('report attachments', () => {
  it('neutralises cells a spreadsheet would evaluate, keeping numbers numbers', async () => {
    const [result] = await run(report([{ title: 'notes', sql: 'select note from notes' }]));
    const csv = toCsv(result!.columns, result!.rows);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csv).toContain(`'+1 call me`);
    expect(csv).toContain(`'@SUM(A1)`);
    expect(csv).toContain(`\r\n'\tx\r\n`);
    expect(csv).toContain('\r\n-3\r\n');
    expect(csv).toContain('\r\nplain\r\n');
    expect(neutralise('-3.25')).toBe('-3.25');
    expect(neutralise('-3 apples')).toBe("'-3 apples");
    expect(neutralise('\rx')).toBe("'\rx");
    expect(toCsv(['n'], [{ n: -3 }])).toBe('n\r\n-3\r\n');
  });

  it('caps the attachment at maxAttachmentBytes, cutting at whole rows, and says so in the mail', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ line: `row ${i} ${'x'.repeat(40)}` }));
    const capped = cappedCsv(['line'], rows, 1024);
    expect(Buffer.byteLength(capped.csv)).toBeLessThanOrEqual(1024);
    expect(capped.rows).toBeGreaterThan(0);
    expect(capped.csv.endsWith('\r\n')).toBe(true);

    const r = report([{ title: 'Lines', sql: 'x' }], { maxAttachmentBytes: 1024 });
    const runRecord = { runId: 'r1', pipeline: h.pipeline.name, status: 'succeeded', counts: { loaded: 1, skipped: 0, superseded: 0, quarantined: 0, failed: 0 }, stages: {}, dates: ['2026-11-21'], createdAt: '2026-11-21T00:00:00Z' } as unknown as RunRecord;
    const mail = renderReport({ pipeline: h.pipeline, report: r, reportIndex: 0, results: [{ title: 'Lines', columns: ['line'], rows, cut: { by: 'rows', limit: 100 } }], summary: summarizeRun(runRecord, []) });
    expect(mail.attachments![0]!.content).toBe(capped.csv);
    expect(mail.text).toContain(`holds the first ${capped.rows} of 100 rows: the attachment is capped at 1024 bytes`);
    expect(mail.text).toContain('more than 100 rows');
  });
});
