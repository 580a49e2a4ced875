// The generic fetch flow, driven through the source-connector seam by a tiny in-test connector (the
// fake is the source only: the ledger, the bucket and the run record are the local cloud's Firestore
// and Cloud Storage emulators with the real clients).
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../../functions/fetch/handler';
import { gmailConnector } from '../../../functions/fetch/sources/gmail/connector';
import type { SftpSource } from '../../../functions/fetch/sources/sftp/config';
import type { ListingOutcome, SourceConnector, SourceItem } from '../../../functions/fetch/sources/source-connector';
import { fileKeyOf } from '../../../shared/object-names';
import { TransientError } from '../../../shared/errors';
import { stageHarness, startStageTestWorld, testPipeline, type StageHarness, type StageTestWorld } from '../../support/stage-test-context';

const NOW = new Date('2026-03-02T12:00:00Z');

interface ItemSpec {
  key: string;
  path: string;
  content: string;
  // Default: the content's length; null: the connector does not know it up front.
  size?: number | null;
  skip?: string;
  stamp?: Record<string, string>;
  imports?: string[];
  modifiedMs?: number;
}

// A source of fixed items that records what fetch asked of it; its finish throws `finishFailures` times.
function fakeSource(specs: ItemSpec[], options: { finishFailures?: number } = {}) {
  let failures = options.finishFailures ?? 0;
  const seen = { connects: 0, closes: 0, finishes: [] as ListingOutcome[], opens: new Map<string, number>() };
  const itemOf = (spec: ItemSpec): SourceItem => ({
    key: spec.key,
    version: '1',
    path: spec.path,
    source: `fake item ${spec.key}`,
    ...(spec.size === null ? {} : { size: spec.size ?? Buffer.byteLength(spec.content) }),
    ...(spec.skip !== undefined ? { skip: spec.skip } : {}),
    ...(spec.stamp !== undefined ? { stamp: spec.stamp } : {}),
    ...(spec.imports !== undefined ? { imports: spec.imports } : {}),
    ...(spec.modifiedMs !== undefined ? { modifiedMs: spec.modifiedMs } : {}),
    open: async () => {
      seen.opens.set(spec.key, (seen.opens.get(spec.key) ?? 0) + 1);
      return Readable.from([Buffer.from(spec.content)]);
    },
  });
  const connector: SourceConnector<SftpSource> = {
    kind: 'sftp',
    windowOf: (_source, at) => [at.date ?? '2026-03-01'],
    async connect() {
      seen.connects += 1;
      return {
        async *list() {
          for (const spec of specs) yield itemOf(spec);
        },
        async finish(outcome) {
          seen.finishes.push(outcome);
          if (failures > 0) {
            failures -= 1;
            throw new Error('labelling the messages failed (connection reset)');
          }
        },
        async close() {
          seen.closes += 1;
        },
      };
    },
  };
  return { seen, handler: createFetchHandler({ now: () => NOW, connectors: { sftp: connector, gmail: gmailConnector } }) };
}

const keysOf = (outcome: ListingOutcome | undefined) => outcome && {
  staged: outcome.staged.map((i) => i.key), skipped: outcome.skipped.map((i) => i.key), refused: outcome.refused.map((i) => i.key),
};

let world: StageTestWorld;
const harnesses: StageHarness[] = [];

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'fetch-seam', bucket: true });
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await world?.stop();
});

async function setup(): Promise<StageHarness> {
  const pipeline = testPipeline(world, { imports: [{ name: 'orders', match: '^Orders', table: 'orders' }, { name: 'any', match: '.*', table: 'files' }] });
  const harness = await stageHarness(world, pipeline);
  harnesses.push(harness);
  return harness;
}

const trigger = (h: StageHarness, runId: string) => ({ v: 1, type: 'sluice.trigger', pipeline: h.pipeline.name, trigger: 'manual', runId });

const ITEMS: ItemSpec[] = [
  {
    key: 'msg-1/att-1', path: '20260301/20260301_Orders.csv', content: 'id\n1\n', modifiedMs: Date.parse('2026-03-01T08:15:00Z'),
    stamp: { 'original-name': 'Orders (march).csv', 'message-id': 'msg-1' }, imports: ['orders'],
  },
  { key: 'msg-2/att-1', path: '20260301/20260301_Huge.csv', content: '', size: 40 * 1024 * 1024, skip: 'the attachment has 40 MiB, over the 35 MiB cap' },
  { key: 'msg-3/att-1', path: '20260301/bad\u2028name.csv', content: 'id\n3\n' },
  { key: 'msg-4/att-1', path: '20260301/20260301_Notes.txt', content: 'no size known up front', size: null },
];

describe('fetch through the source-connector seam', () => {
  it('records a skip with its reason, refuses a bad name while the others go on, stamps the raw objects and finishes once', async () => {
    const h = await setup();
    const { seen, handler } = fakeSource(ITEMS);
    const runId = world.uniqueName('run');
    await h.deliver('fetch', handler, trigger(h, runId));

    const objects = await h.rawObjects();
    expect(objects.map((o) => o.name)).toEqual([
      `raw/${h.pipeline.name}/${runId}/20260301/20260301_Notes.txt`,
      `raw/${h.pipeline.name}/${runId}/20260301/20260301_Orders.csv`,
    ]);
    const [notes, orders] = objects;
    expect(orders!.metadata).toMatchObject({
      sluiceRunId: runId,
      sluiceSourcePath: 'msg-1/att-1',
      sluiceSourceSize: '5',
      sluiceSourceMtime: '2026-03-01T08:15:00.000Z',
      'sluice-src-original-name': 'Orders (march).csv',
      'sluice-src-message-id': 'msg-1',
      'sluice-import-rules': 'orders',
    });
    // Unknown size: counted on a first read, which also served the upload (one open).
    expect(notes!.size).toBe(Buffer.byteLength('no size known up front'));
    expect(notes!.metadata).toMatchObject({ sluiceSourceSize: String(notes!.size), sluiceSourcePath: 'msg-4/att-1' });
    expect(notes!.metadata).not.toHaveProperty('sluice-import-rules');
    expect(notes!.metadata).not.toHaveProperty('sluiceSourceMtime');

    const files = await h.files(runId);
    const byKey = (path: string) => files.find((f) => f.fileKey === fileKeyOf(path));
    expect(byKey('20260301/20260301_Huge.csv')).toMatchObject({ status: 'skipped', skippedReason: 'the attachment has 40 MiB, over the 35 MiB cap' });
    expect(byKey('20260301/bad\u2028name.csv')?.status).toBe('failed');
    expect(byKey('20260301/bad\u2028name.csv')?.error?.message).toMatch(/^source file "fake item msg-3\/att-1" cannot be fetched: its name holds the control or line-separator character U\+2028/);
    expect(byKey('20260301/20260301_Orders.csv')?.stages.fetch?.details).toMatchObject({ source: 'fake item msg-1/att-1', size: 5 });
    // The run's files: the two staged and the refused one; the skipped item is not one of them.
    expect(await h.runs.getRun(runId)).toMatchObject({ expectedFiles: 3, dates: ['2026-03-01'] });

    expect(seen.finishes.map(keysOf)).toEqual([{ staged: ['msg-1/att-1', 'msg-4/att-1'], skipped: ['msg-2/att-1'], refused: ['msg-3/att-1'] }]);
    expect(Object.fromEntries(seen.opens)).toEqual({ 'msg-1/att-1': 1, 'msg-4/att-1': 1 });
    expect(seen).toMatchObject({ connects: 1, closes: 1 });

    // A later run over the same items: all of them already dealt with by the first (or still over the cap).
    const later = world.uniqueName('run');
    await h.deliver('fetch', handler, trigger(h, later));
    expect(await h.rawObjects()).toEqual(objects);
    expect(keysOf(seen.finishes[1])).toEqual({ staged: [], skipped: ITEMS.map((i) => i.key), refused: [] });
    const again = await h.files(later);
    expect(again.map((f) => f.skippedReason).sort()).toEqual([
      `already fetched by run ${runId}`,
      `already fetched by run ${runId}`,
      `refused by run ${runId}: its name holds the control or line-separator character U+2028`,
      'the attachment has 40 MiB, over the 35 MiB cap',
    ].sort());
    expect(await h.runs.getRun(later)).toMatchObject({ expectedFiles: 0, status: 'no-new-data' });
  });

  it('a finish that throws is retried: the redelivery copies nothing twice and finishes again; a late one only re-announces', async () => {
    const h = await setup();
    const items = ITEMS.filter((i) => i.skip === undefined && !i.path.includes('\u2028'));
    const { seen, handler } = fakeSource(items, { finishFailures: 1 });
    const runId = world.uniqueName('run');
    // Any error from finish is transient, whatever its class: the items are safe, only the source is not told.
    await expect(h.deliver('fetch', handler, trigger(h, runId), { messageId: `${runId}-m`, deliveryAttempt: 1 })).rejects.toThrow(TransientError);
    const copied = await h.rawObjects();
    expect(copied).toHaveLength(2);
    expect(await h.runs.getRun(runId)).toMatchObject({ status: 'running', expectedFiles: null });
    expect(seen.closes).toBe(1);

    await h.deliver('fetch', handler, trigger(h, runId), { messageId: `${runId}-m`, deliveryAttempt: 2 });
    expect(await h.rawObjects()).toEqual(copied); // same names, same generations
    expect(seen.finishes.map(keysOf)).toEqual([
      { staged: ['msg-1/att-1', 'msg-4/att-1'], skipped: [], refused: [] },
      { staged: ['msg-1/att-1', 'msg-4/att-1'], skipped: [], refused: [] },
    ]);
    expect(Object.fromEntries(seen.opens)).toEqual({ 'msg-1/att-1': 1, 'msg-4/att-1': 1 });
    expect(await h.runs.getRun(runId)).toMatchObject({ expectedFiles: 2 });
    expect((await h.files(runId)).map((f) => f.stages.fetch?.attempts)).toEqual([1, 1]);

    // The run has listed: a late redelivery neither connects nor finishes again.
    await h.deliver('fetch', handler, trigger(h, runId), { messageId: `${runId}-m`, deliveryAttempt: 3 });
    expect(seen).toMatchObject({ connects: 2, closes: 2 });
    expect(seen.finishes).toHaveLength(2);
    expect(await h.runs.getRun(runId)).toMatchObject({ expectedFiles: 2 });
  });

  it('a finish that fails on the last attempt fails the run with the reason, and still throws', async () => {
    const h = await setup();
    const { handler } = fakeSource([ITEMS[0]!], { finishFailures: 99 });
    const runId = world.uniqueName('run');
    await expect(h.deliver('fetch', handler, trigger(h, runId), { deliveryAttempt: 5 })).rejects.toThrow(TransientError);
    const run = await h.runs.getRun(runId);
    expect(run).toMatchObject({ status: 'failed', error: { stage: 'fetch' } });
    expect(run?.error?.message).toBe('fetch gave up after attempt 5 of 5: settling the sftp source after listing failed: labelling the messages failed (connection reset)');
    const [event] = await h.waitForEvents(1);
    expect(event).toMatchObject({ type: 'sluice.run-failed', runId, stage: 'fetch' });
  });
});
