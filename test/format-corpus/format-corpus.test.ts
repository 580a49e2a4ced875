// The format corpus (corpus.ts), one case per test, end to end on the local cloud: the case's file is
// put in the Cloud Storage emulator as fetch leaves it (source metadata stamped), then the real
// transform, load and aggregate handlers run on it (and on the members an archive expands into), and
// the table is read back from PostgreSQL: exactly the expected column types and rows, the run record's
// account of how the file was read, the rejects and schema history where the case has them, or the
// quarantine with its reason. No handler may throw (a throw is a retry).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseName, fileKeyOf, objectName } from '../../shared/object-names';
import { topicName } from '../../shared/topology';
import { corpusRunner, type CorpusRunner } from '../support/corpus-runner';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';
import { buildCorpus, ruleOf, type CorpusFile, type FormatCase, type TableExpectation } from './corpus';

const cases = buildCorpus();
const DEFAULT_SOURCE_TIME = '2026-03-01T06:00:00.000Z';

let world: StageTestWorld;
let h: StageHarness;
let runner: CorpusRunner;
const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);

beforeAll(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  world = await startStageTestWorld({ label: 'formats', bucket: true, database: true });
  h = await stageHarness(world, testPipeline(world, { imports: cases.flatMap((c) => [ruleOf(c), ...(c.extraRules ?? [])]) }));
  runner = corpusRunner(world, () => h);
  // Transform and load publish to these; nothing reads them here (each handler is called directly).
  for (const stage of ['load', 'aggregate'] as const) {
    await world.clients.pubsub.topic(topicName(world.prefix, h.pipeline.name, stage)).create();
  }
});

afterAll(async () => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  await h?.close();
  await world?.stop();
});

// One file in a run of its own, uploaded to raw/ with the metadata fetch stamps; runs every stage.
async function runOne(runId: string, dateDir: string, file: CorpusFile) {
  const path = `${dateDir}/${file.name}`;
  const body = await file.body();
  await h.startRun(runId, [{ fileKey: fileKeyOf(path), name: path }], 'transform');
  const { ref, size } = await runner.upload(objectName('raw', { pipeline: h.pipeline.name, runId, path }), body, {
    sluiceRunId: runId,
    sluiceSourcePath: `/exports/${path}`,
    sluiceSourceSize: String(body.length),
    sluiceSourceMtime: file.sourceTime ?? DEFAULT_SOURCE_TIME,
    sluiceSourceSha256: createHash('sha256').update(body).digest('hex'),
  });
  const escapedBefore = escaped.length;
  const thrown = await runner.runFile(ref, size);
  expect(thrown.map(String), 'handlers threw (the message would be retried)').toEqual([]);
  expect(escaped.slice(escapedBefore).map(String), 'unhandled rejection or uncaught exception').toEqual([]);
  const records = await h.files(runId);
  return { path, records, record: records.find((f) => f.name === path), run: await h.run(runId) };
}

async function expectTable(table: string, expected: TableExpectation): Promise<void> {
  const found = await runner.tableRows(table, expected.orderBy);
  expect(found, `table ${table} exists`).not.toBeNull();
  expect(found?.columns, `columns of ${table}`).toEqual(Object.keys(expected.types));
  expect(found?.types, `column types of ${table}`).toEqual(expected.types);
  expect(found?.rows, `rows of ${table}`).toEqual(expected.rows);
}

async function queryIfExists(table: string, sql: (qualified: string) => string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const qualified = `"${world.schema.schema}"."${table}"`;
  const { rows: exists } = await world.db.query('select to_regclass($1) as t', [qualified]);
  if (!exists[0]?.t) return [];
  return (await world.db.query(sql(qualified), params)).rows;
}

async function runCase(c: FormatCase): Promise<void> {
  const rule = ruleOf(c);
  if (c.before) {
    const first = await runOne(`f-${c.id}-before`, '20260228', c.before);
    expect(first.record?.error, 'the earlier file loaded').toBeUndefined();
    expect(first.record?.status).toBe('loaded');
  }
  const { path, records, record, run } = await runOne(`f-${c.id}`, '20260301', c.file);
  expect(record, 'the file is on the run record').toBeDefined();

  if (c.expect.outcome === 'quarantined') {
    const { stage, reason, row } = c.expect;
    expect(record?.status).toBe('quarantined');
    const message = record?.error?.message ?? '';
    expect(message, 'names the file').toContain(baseName(path));
    expect(message).toMatch(reason);
    expect(record?.error?.stage).toBe(stage);
    if (row !== undefined) expect(record?.error?.row).toBe(row);
    expect(record?.quarantinedAs).toBe(objectName('quarantine', { pipeline: h.pipeline.name, runId: `f-${c.id}`, path }));
    // Nothing of it loaded.
    if (c.expect.table) await expectTable(rule.table, c.expect.table);
    else expect((await runner.tableRows(rule.table))?.rows ?? []).toEqual([]);
    expect(run?.status).toBe('partial');
    return;
  }

  if (c.expect.outcome === 'superseded') {
    expect(record?.status).toBe('superseded');
    // Why, on the run record: the newer file the table holds.
    expect(record?.error?.message ?? '').toMatch(/already holds a newer file/);
    await expectTable(rule.table, c.expect.table);
    expect(run?.status, 'a run that loaded nothing new').toBe('no-new-data');
    return;
  }

  if (c.expect.outcome === 'expanded') {
    expect(record?.error).toBeUndefined();
    expect(record?.status).toBe('expanded');
    const members = records.filter((f) => f.name.startsWith(`${path}/`));
    expect(members.length, 'members on the run record').toBe(Object.keys(c.expect.tables).length);
    for (const member of members) expect({ member: member.name, status: member.status, error: member.error }).toEqual({ member: member.name, status: 'loaded', error: undefined });
    for (const [table, expected] of Object.entries(c.expect.tables)) await expectTable(table, expected);
    expect(run?.status).toBe('succeeded');
    return;
  }

  expect(record?.error).toBeUndefined();
  expect(record?.status).toBe('loaded');
  await expectTable(rule.table, c.expect.table);
  if (c.expect.parse) expect(record?.stages.transform?.details?.parse, 'how the file was read (run record)').toMatchObject(c.expect.parse);
  if (c.expect.rejects) {
    const rejects = await queryIfExists(`${rule.table}__rejects`, (t) => `select row_number::text, column_name, sql_state, raw_row from ${t} order by row_number`);
    expect(rejects).toEqual(c.expect.rejects);
  }
  if (c.expect.schemaHistory) {
    const history = await queryIfExists('sluice_schema_history', (t) => `select column_name, from_type, to_type from ${t} where table_name = $1 order by id`, [rule.table]);
    expect(history).toEqual(c.expect.schemaHistory);
  }
  expect(run?.status).toBe('succeeded');
}

describe('format corpus', () => {
  it('has unique ids', () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  for (const c of cases) {
    const title = `${c.id}: ${c.what} → ${c.expect.outcome}`;
    if (c.knownBug) it.fails(`${title} [known bug: ${c.knownBug}]`, () => runCase(c), 60_000);
    else it(title, () => runCase(c), 60_000);
  }
});
