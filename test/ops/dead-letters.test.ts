// Dead letters end to end on the local cloud: the database is down for a whole run, so load gives up
// on every file (Pub/Sub's max delivery attempts), the dead letters reach notify, which keeps each of
// them once and ends the files failed. Once the database is back, replaying the letters reruns the
// failed run from transform (a new run with parentRunId; the failed run stays as it was), which loads
// every row; replaying them again makes another rerun, and the load ledger keeps every row loaded once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForRun } from '../../emulator/run-watch';
import { createRunControls } from '../../functions/ops/controls/create-run-controls';
import { createDeadLetterOps } from '../../functions/ops/dead-letters/create-dead-letter-ops';
import type { OpsDeps } from '../../functions/ops/ops-deps';
import { createFirestoreDeadLetterStore } from '../../functions/runtime/firestore-dead-letter-store';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import { isTerminal } from '../../functions/runtime/run-record';
import { defineOps } from '../../shared/ops-definition';
import { silentLogger } from '../../shared/logger';
import { tableCounts } from '../e2e/assertions';
import { startDemoHarness, type DemoHarness } from '../e2e/demo-harness';

const DATE = '2026-08-04';
const operator = { principal: 'user:ana@example.com', role: 'operator' as const };
let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness();
});
afterAll(async () => h?.close());

function opsDeps(): OpsDeps {
  return {
    pipelines: [h.pipeline], ops: defineOps({}), projectId: h.deployment.projectId, prefix: h.deployment.prefix, bucket: h.deployment.bucket,
    firestore: h.firestore, pubsub: h.deployment.pubsub, storage: h.deployment.storage,
    runs: createFirestoreRunStore(h.firestore), deadLetters: createFirestoreDeadLetterStore(h.firestore),
    logger: silentLogger, now: () => new Date(),
  } as Partial<OpsDeps> as OpsDeps;
}

it('keeps the dead letters of a load that gave up, and their replay reruns the run once the cause is fixed', async () => {
  const fixture = h.generate([DATE], 12, 3);
  h.proxy.down();
  // The report queries cannot reach the database either: the run is over for this test once it ended.
  const runId = `${h.deployment.projectId}-dl`;
  await h.deployment.trigger(h.pipeline.name, { runId, date: DATE });
  const failed = await waitForRun(h.firestore, runId, { timeoutMs: 150_000, until: (run) => isTerminal(run.status) });
  expect(failed.run.status).toBe('failed');
  const files = failed.files.filter((f) => f.status === 'failed');
  expect(files.length).toBe(failed.run.expectedFiles);
  expect(files.every((f) => f.error?.stage === 'load')).toBe(true);

  const deps = opsDeps();
  const dlq = createDeadLetterOps(deps, createRunControls(deps));
  const listed = await dlq.list({ pipeline: h.pipeline.name, stage: 'load', limit: 50 });
  // One kept letter per file, each once, with why and how often load tried.
  expect(listed.deadLetters.map((d) => d.fileKey).sort()).toEqual(files.map((f) => f.fileKey).sort());
  for (const letter of listed.deadLetters) {
    expect(letter).toMatchObject({ stage: 'load', runId: failed.run.runId, reason: 'gave up after 8 attempts in load', attempts: 8 });
    expect(Object.keys(letter.message.attributes).some((a) => a.startsWith('CloudPubSubDeadLetter'))).toBe(false);
    expect(JSON.parse(Buffer.from(letter.message.data, 'base64').toString('utf8'))).toMatchObject({ type: 'sluice.staged', runId: failed.run.runId, fileKey: letter.fileKey });
  }

  h.proxy.up();
  const selection = { filter: { pipeline: h.pipeline.name, stage: 'load' as const }, dryRun: false };
  expect(await dlq.replay({ ...selection, dryRun: true }, operator)).toEqual({ matched: files.length, done: 0, dryRun: true });
  expect(await dlq.replay(selection, operator)).toEqual({ matched: files.length, done: files.length, dryRun: false });
  const replayed = (await dlq.list({ pipeline: h.pipeline.name, limit: 50 })).deadLetters;
  const rerunIds = new Set(replayed.flatMap((d) => d.replays?.map((r) => r.rerunId) ?? []));
  expect(rerunIds.size).toBe(1); // one rerun for the run's letters
  const [rerunId] = [...rerunIds] as [string];
  expect(replayed[0]!.replays).toEqual([expect.objectContaining({ actor: operator.principal, rerunId, messageId: rerunId })]);

  const rerun = await waitForRun(h.firestore, rerunId, { timeoutMs: 120_000 });
  expect(rerun.run).toMatchObject({ status: 'succeeded', parentRunId: failed.run.runId, rerun: { of: failed.run.runId, files: 'failed', fromStage: 'transform' } });
  expect(await tableCounts(h)).toEqual(fixture.rows);
  // The failed run is as it was, but for the actions recording what was done to it.
  const parent = await deps.runs.getRun(failed.run.runId);
  expect(parent).toMatchObject({ status: 'failed', counts: failed.run.counts });
  expect(parent?.actions?.map((a) => a.action)).toEqual(expect.arrayContaining(['rerun', 'replay']));

  // Replayed again: another rerun, and the ledgers decide — no row is loaded twice.
  expect(await dlq.replay(selection, operator)).toMatchObject({ matched: files.length, done: files.length });
  const again = (await dlq.get(listed.deadLetters[0]!.id))!.replays!;
  expect(again).toHaveLength(2);
  const second = await waitForRun(h.firestore, again[1]!.rerunId!, { timeoutMs: 120_000 });
  expect(isTerminal(second.run.status)).toBe(true);
  expect(second.run.counts.failed).toBe(0);
  expect(await tableCounts(h)).toEqual(fixture.rows);

  // Purged: gone from the list.
  expect(await dlq.purge(selection, operator)).toEqual({ matched: files.length, done: files.length, dryRun: false });
  expect((await dlq.list({ pipeline: h.pipeline.name, stage: 'load', limit: 50 })).deadLetters).toEqual([]);
});
