// The bad-input corpus (corpus.ts), one case per test, through the real transform, load and aggregate
// handlers on the local cloud: the Cloud Storage emulator, real PostgreSQL, the Firestore run record.
// Each case's file shares its run with a good file. For every case:
//  - the file ends as declared: quarantined by the right stage with a reason that names the file (and
//    the row where there is one) on the run record and on the quarantined object, or loaded with
//    exactly its rows;
//  - the good file of the same run is loaded, and the run ends;
//  - no handler throws (a throw is a retry: a bad file must never be retried), and nothing escapes
//    as an unhandled rejection or uncaught exception;
//  - nothing from the input ran as SQL: the sentinel tables are intact and no table appeared that the
//    rules do not name; no object was written outside the run's own prefixes (no `..` resolved).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../shared/messages';
import { baseName, fileKeyOf, objectName } from '../../shared/object-names';
import { topicName } from '../../shared/topology';
import { corpusRunner, type CorpusRunner } from '../support/corpus-runner';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../support/stage-test-context';
import { buildCorpus, HUGE_LINE_BYTES, ruleOf, type CorpusCase } from './corpus';

const cases = buildCorpus();
const GOOD_TABLE = 'good_rows';
const SENTINELS = ['sentinel', 'x'];

let world: StageTestWorld;
let h: StageHarness;
const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);

beforeAll(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  world = await startStageTestWorld({ label: 'corpus', bucket: true, database: true });
  const pipeline = testPipeline(world, {
    imports: [
      ...cases.flatMap((c) => [ruleOf(c), ...(c.extraRules ?? [])]),
      { name: 'good', match: '^Good-', table: GOOD_TABLE },
    ],
  });
  h = await stageHarness(world, pipeline);
  // Transform and load publish to these; nothing reads them here (each handler is called directly).
  for (const stage of ['load', 'aggregate'] as const) {
    await world.clients.pubsub.topic(topicName(world.prefix, pipeline.name, stage)).create();
  }
  await world.db.query(`create table sentinel (note text); insert into sentinel values ('intact'); create table x (id int); insert into x values (1)`);
});

afterAll(async () => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  await h?.close();
  await world?.stop();
});

const bucket = () => world.clients.storage.bucket(world.bucket);
let shared: CorpusRunner | undefined;
const runner = () => (shared ??= corpusRunner(world, () => h));
const upload = (objectPath: string, body: CorpusCase['body']) => runner().upload(objectPath, body);
const runFile = (ref: ObjectRef, size: number) => runner().runFile(ref, size);
const tableRows = (table: string) => runner().tableRows(table);

async function tablesInSchema(): Promise<string[]> {
  const { rows } = await world.db.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = $1`, [world.schema.schema]);
  return rows.map((r) => r.name).sort();
}

function memoryWatch(): { start: number; stop(): number } {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    start,
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

async function runCase(c: CorpusCase): Promise<void> {
  const runId = `c-${c.id}`;
  const badPath = c.path;
  const goodPath = `20260301/Good-${c.id}.csv`;
  const location = (path: string) => ({ pipeline: h.pipeline.name, runId, path });
  const rawName = objectName('raw', location(badPath));

  if (c.expect.outcome === 'refused-name') {
    // Cloud Storage answers 400 for such a name: nothing of it may be stored under any area.
    const refused = await upload(rawName, Buffer.isBuffer(c.body) ? c.body : Buffer.alloc(0)).then(() => null, (error: unknown) => error);
    expect((refused as { code?: number } | null)?.code, `upload of ${JSON.stringify(rawName)} was accepted`).toBe(400);
    return;
  }

  if (c.before) {
    // An earlier run's file, loaded first (e.g. to give the table columns the case's file adds to).
    const firstRun = `${runId}-before`;
    const firstPath = `20260228/Case-${c.id}.before.csv`;
    await h.startRun(firstRun, [{ fileKey: fileKeyOf(firstPath), name: firstPath }], 'transform');
    const first = await upload(objectName('raw', { pipeline: h.pipeline.name, runId: firstRun, path: firstPath }), c.before);
    expect((await runFile(first.ref, first.size)).map(String)).toEqual([]);
    expect((await h.files(firstRun))[0]?.status, 'the earlier file loaded').toBe('loaded');
  }

  await h.startRun(runId, [{ fileKey: fileKeyOf(badPath), name: badPath }, { fileKey: fileKeyOf(goodPath), name: goodPath }], 'transform');
  const escapedBefore = escaped.length;
  const memory = memoryWatch();
  const bad = await upload(rawName, c.body);
  const thrown = await runFile(bad.ref, bad.size);
  const peakRss = memory.stop();
  const good = await upload(objectName('raw', location(goodPath)), Buffer.from(`case_id,n\n${c.id},1\n${c.id},2\n`));
  thrown.push(...(await runFile(good.ref, good.size)));

  // Never a throw (a retry) for a file, never anything escaping the handlers.
  expect(thrown.map(String), 'handlers threw (the message would be retried)').toEqual([]);
  expect(escaped.slice(escapedBefore).map(String), 'unhandled rejection or uncaught exception').toEqual([]);

  const files = await h.files(runId);
  const badRecord = files.find((f) => f.name === badPath);
  const goodRecord = files.find((f) => f.name === goodPath);
  expect(badRecord, 'the bad file is on the run record').toBeDefined();

  if (c.expect.outcome === 'quarantined') {
    const { stage, reason, row } = c.expect;
    expect(badRecord?.status).toBe('quarantined');
    const message = badRecord?.error?.message ?? '';
    // Names the file (as it is, or with control and line-separator characters spelled \uXXXX so the
    // name cannot break a log line), says why; never a bare "failed".
    const printable = baseName(badPath).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
    expect([baseName(badPath), printable].some((n) => message.includes(n)), `${JSON.stringify(message)} names the file`).toBe(true);
    expect(message).toMatch(reason);
    expect(message).not.toMatch(/^\s*(failed|error)\.?\s*$/i);
    expect(badRecord?.error?.stage).toBe(stage);
    if (row !== undefined) expect(badRecord?.error?.row).toBe(row);
    const target = badRecord?.quarantinedAs ?? '';
    expect(target).toBe(objectName('quarantine', location(badPath)));
    const [metadata] = await bucket().file(target).getMetadata();
    expect(String(metadata.metadata?.sluiceReason)).toBe(message.slice(0, 1024));
    expect((await bucket().file(rawName).exists())[0], 'raw object removed').toBe(false);
    // No staged leftovers of the bad file.
    const [staged] = await bucket().getFiles({ prefix: objectName('staged', location(badPath)) });
    expect(staged.map((f) => f.name)).toEqual([]);
    if (!Buffer.isBuffer(c.body)) await bucket().file(target).delete(); // frees the emulator's memory
  } else if (c.expect.outcome === 'expanded') {
    expect(badRecord?.status).toBe('expanded');
    expect((await tableRows(ruleOf(c).table))?.rows ?? []).toEqual(c.expect.rows);
    const quarantined = files.filter((f) => f.name.startsWith(`${badPath}/`) && f.status === 'quarantined').map((f) => baseName(f.name));
    expect(quarantined).toEqual(c.expect.quarantinedMembers ?? []);
  } else {
    const table = ruleOf(c).table;
    expect(badRecord?.error).toBeUndefined();
    expect(badRecord?.status).toBe('loaded');
    const found = await tableRows(table);
    if (c.expect.rows.length === 0) expect(found?.rows ?? []).toEqual([]);
    else {
      expect(found?.rows).toEqual(c.expect.rows);
      if (c.expect.columns) expect(found?.columns).toEqual(c.expect.columns);
    }
  }

  // The rest of the run is unaffected, and the run ends.
  expect(goodRecord?.status).toBe('loaded');
  const { rows: goodRows } = await world.db.query(`select n from ${GOOD_TABLE} where case_id = $1 order by n`, [c.id]);
  expect(goodRows).toEqual([{ n: 1 }, { n: 2 }]);
  const run = await h.run(runId);
  const partial = c.expect.outcome === 'quarantined' || (c.expect.outcome === 'expanded' && (c.expect.quarantinedMembers?.length ?? 0) > 0);
  expect(run?.status).toBe(partial ? 'partial' : 'succeeded');

  // Nothing from the input ran as SQL.
  const { rows: sentinel } = await world.db.query('select note from sentinel');
  expect(sentinel).toEqual([{ note: 'intact' }]);
  const { rows: x } = await world.db.query('select id from x');
  expect(x).toEqual([{ id: 1 }]);
  const declared = new Set(h.pipeline.imports.map((r) => r.table));
  const unexpected = (await tablesInSchema()).filter((t) => !declared.has(t) && !SENTINELS.includes(t) && !t.startsWith('sluice_') && !t.startsWith('_sluice'));
  expect(unexpected, 'tables nobody declared').toEqual([]);

  // Nothing written outside the run's own prefixes (a `..` in a name is never resolved).
  const [all] = await bucket().getFiles();
  const outside = all.map((f) => f.name).filter((n) => !['raw', 'staged', 'archive', 'quarantine'].some((area) => n.startsWith(`${area}/${h.pipeline.name}/c-`)));
  expect(outside).toEqual([]);

  if (!Buffer.isBuffer(c.body)) {
    // Streamed through without holding the file: the test process's resident set grows during the
    // case by far less than the file's 1 GiB (held whole, the line alone would add more than its size).
    // Measured as growth over the case, not as an absolute: the process's own baseline depends on what
    // the file's earlier cases left in the heap (250–700 MiB measured).
    const growth = peakRss - memory.start;
    console.info(`corpus ${c.id}: ${c.body.bytes} bytes, peak RSS of the test process ${Math.round(peakRss / 2 ** 20)} MiB (+${Math.round(growth / 2 ** 20)} MiB over the case)`);
    expect(growth).toBeLessThan(Math.max(384 * 2 ** 20, HUGE_LINE_BYTES * 0.6));
  }
}

describe('bad-input corpus', () => {
  it('has at least 40 cases with unique ids', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  for (const c of cases) {
    const title = `${c.id}: ${c.what} → ${c.expect.outcome}`;
    if (c.knownFailure) it.fails(`${title} [known failure: ${c.knownFailure}]`, () => runCase(c), 600_000);
    else it(title, () => runCase(c), 600_000);
  }
});
