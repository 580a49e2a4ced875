// The local cloud's in-memory runs list must answer exactly as the Firestore query does: the same
// runs, in the same order, on the same pages, with the same cursors, for every filter; and follow
// the run documents as they change.
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import { createLiveRunIndex, withLiveRunIndex, type LiveRunIndex } from '../../functions/runtime/live-run-index';
import type { RunQuery, RunStore } from '../../functions/runtime/run-store';
import type {} from '../support/local-cloud'; // declares inject('localCloud')
import { waitFor } from '../support/wait-for';

let firestore: Firestore;
let index: LiveRunIndex;

beforeAll(() => {
  const host = inject('localCloud')?.firestoreHost;
  if (!host) throw new Error('no local cloud: run under the vitest global setup');
  firestore = new Firestore({ projectId: `live-index-${process.pid}-${Date.now()}`, host, ssl: false });
});

afterAll(async () => {
  index?.stop();
  await firestore?.terminate();
});

async function pages(store: Pick<RunStore, 'listRuns'>, q: RunQuery): Promise<Array<{ ids: string[]; cursor?: string }>> {
  const out: Array<{ ids: string[]; cursor?: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRuns({ ...q, ...(cursor ? { cursor } : {}) });
    out.push({ ids: page.runs.map((r) => r.runId), ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('live run index', () => {
  it('lists, pages and counts exactly as Firestore does, and follows changes', async () => {
    let t = Date.parse('2026-11-01T00:00:00.000Z');
    const runs = createFirestoreRunStore(firestore, { now: () => new Date(t) });
    for (let i = 0; i < 30; i++) {
      if (i % 3 !== 0) t += 60_000; // some runs share a start: the run id decides
      const runId = `li-${String(i).padStart(2, '0')}`;
      await runs.startRun(runId, { pipeline: `p${i % 2}`, trigger: i % 4 === 0 ? 'schedule' : 'manual', messageId: `m${i}`, dates: ['2026-11-01'] });
      if (i % 5 === 0) await runs.setExpectedFiles(runId, 0);
      if (i % 7 === 0) await runs.failRun(runId, 'fetch', 'refused');
    }
    await runs.queueRun('li-child', { pipeline: 'p0', trigger: 'retry', actor: 'dev', parentRunId: 'li-00' });

    index = createLiveRunIndex(firestore);
    await index.ready;
    const live = withLiveRunIndex(runs, index);
    const queries: RunQuery[] = [
      { limit: 4 },
      { pipeline: 'p0', limit: 3 },
      { status: ['failed'], limit: 2 },
      { status: ['running', 'no-new-data'], trigger: 'manual', limit: 5 },
      { pipeline: 'p1', trigger: 'schedule', limit: 1 },
      { parentRunId: 'li-00' },
      { since: '2026-11-01T00:05:00.000Z', until: '2026-11-01T00:12:00.000Z', limit: 3 },
    ];
    for (const q of queries) {
      expect(await pages(live, q), JSON.stringify(q)).toEqual(await pages(runs, q));
      const { limit: _limit, ...filters } = q;
      expect(await live.countRuns(filters)).toBe(await runs.countRuns(filters));
    }
    // A cursor from one answers on the other.
    const first = await runs.listRuns({ limit: 7 });
    expect((await live.listRuns({ limit: 7, cursor: first.nextCursor! })).runs.map((r) => r.runId))
      .toEqual((await runs.listRuns({ limit: 7, cursor: first.nextCursor! })).runs.map((r) => r.runId));

    // Changes arrive through the listener: a status change, a new run.
    const seen: string[][] = [];
    const stop = live.watchRuns({ pipeline: 'p1', status: ['failed'], limit: 10 }, (list) => seen.push(list.map((r) => r.runId)));
    await runs.failRun('li-29', 'fetch', 'late');
    t += 3_600_000;
    await runs.startRun('li-new', { pipeline: 'p1', trigger: 'manual', messageId: 'mn', dates: ['2026-11-02'] });
    await runs.failRun('li-new', 'fetch', 'new');
    await waitFor('the index to list the new failed run first', async () => (await live.listRuns({ pipeline: 'p1', status: ['failed'], limit: 1 })).runs[0]?.runId === 'li-new', 10_000);
    await waitFor('the watch to report it', () => seen.at(-1)?.[0] === 'li-new', 10_000);
    stop();
    expect(seen.at(-1)).toContain('li-29');
    expect(await pages(live, { limit: 6 })).toEqual(await pages(runs, { limit: 6 }));
  });
});
