// The runs list for the local cloud, answered from memory. The Firestore emulator has no indexes: it
// scans and sorts the whole collection for every query (measured with 100,000 runs: 2.5–11 s a page,
// where real Firestore answers from the composite indexes in shared/firestore-indexes.ts). So the
// local ops surface keeps the list in the order the indexes would (startedAt, then run id, newest
// first), fed by one listener on the run documents, and answers listRuns / countRuns / watchRuns with
// exactly the filters, order and cursors of the Firestore query (run-list-query.ts; the test
// compares the two page by page). Everything else, and every write, is the store's. Never used in the
// cloud: a listener on every run would read the whole history on each start.
import type { Firestore } from '@google-cloud/firestore';
import { watchRunChanges, type StoredRunRecord } from './firestore-run-store';
import { compareListed, decodeCursor, encodeCursor, matchesRunQuery, pageLimit } from './run-list-query';
import type { RunRecord } from './run-record';
import type { RunPage, RunQuery, RunStore, Unsubscribe } from './run-store';

type Listed = StoredRunRecord & { startedAt: string };

export interface LiveRunIndex {
  // Resolves once the first snapshot (every run) is in.
  ready: Promise<void>;
  listRuns(query: RunQuery): Promise<RunPage>;
  countRuns(query: Omit<RunQuery, 'limit' | 'cursor'>): Promise<number>;
  watchRuns(query: Omit<RunQuery, 'cursor'>, onChange: (runs: RunRecord[]) => void, onError?: (error: Error) => void): Unsubscribe;
  stop(): void;
}

export function createLiveRunIndex(firestore: Firestore): LiveRunIndex {
  const byId = new Map<string, StoredRunRecord>();
  // Listed runs (those with startedAt) in list order.
  const ordered: Listed[] = [];
  const watchers = new Set<() => void>();
  let failure: Error | undefined;
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });

  // The first position whose run comes at or after `key` in list order.
  function positionOf(key: { startedAt: string; runId: string }): number {
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareListed(ordered[mid]!, key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
  function unlist(run: StoredRunRecord | undefined): void {
    if (run?.startedAt === undefined) return;
    const at = positionOf(run as Listed);
    if (ordered[at]?.runId === run.runId) ordered.splice(at, 1);
  }
  function list(run: StoredRunRecord): void {
    if (run.startedAt === undefined) return;
    ordered.splice(positionOf(run as Listed), 0, run as Listed);
  }

  const stopFeed = watchRunChanges(
    firestore,
    (changes) => {
      if (byId.size === 0 && ordered.length === 0 && changes.length > 1000) {
        // The first snapshot: sorting once beats as many insertions.
        for (const { run } of changes) byId.set(run.runId, run);
        ordered.push(...[...byId.values()].filter((r): r is Listed => r.startedAt !== undefined).sort(compareListed));
      } else {
        for (const { removed, run } of changes) {
          unlist(byId.get(run.runId));
          if (removed) byId.delete(run.runId);
          else {
            byId.set(run.runId, run);
            list(run);
          }
        }
      }
      resolveReady();
      for (const notify of watchers) notify();
    },
    (error) => {
      failure = error;
      rejectReady(error);
    },
  );
  ready.catch(() => undefined); // a failure is reported to whoever asks next

  function page(q: RunQuery): RunPage {
    if (failure) throw failure;
    const limit = pageLimit(q.limit);
    let from = 0;
    if (q.cursor) {
      const after = decodeCursor(q.cursor);
      from = positionOf(after);
      if (ordered[from] && compareListed(ordered[from]!, after) === 0) from++;
    }
    const runs: RunRecord[] = [];
    let more = false;
    for (let i = from; i < ordered.length; i++) {
      const run = ordered[i]!;
      if (!matchesRunQuery(run, q)) continue;
      if (runs.length === limit) {
        more = true;
        break;
      }
      runs.push(run);
    }
    const last = runs.at(-1);
    return more && last?.startedAt ? { runs, nextCursor: encodeCursor({ startedAt: last.startedAt, runId: last.runId }) } : { runs };
  }

  return {
    ready,
    async listRuns(q) {
      await ready;
      return page(q);
    },
    async countRuns(q) {
      await ready;
      if (failure) throw failure;
      let count = 0;
      for (const run of ordered) if (matchesRunQuery(run, q)) count++;
      return count;
    },
    watchRuns(q, onChange, onError) {
      let last = '';
      const notify = () => {
        try {
          const runs = page({ ...q }).runs;
          const seen = JSON.stringify(runs.map((r) => [r.runId, r.updatedAt, r.status]));
          if (seen === last) return;
          last = seen;
          onChange(runs);
        } catch (error) {
          onError?.(error as Error);
        }
      };
      watchers.add(notify);
      ready.then(notify, (error: Error) => onError?.(error));
      return () => watchers.delete(notify);
    },
    stop() {
      stopFeed();
      watchers.clear();
    },
  };
}

// The store with its list reads answered by the index: what the local ops surface uses.
export function withLiveRunIndex(store: RunStore, index: LiveRunIndex): RunStore {
  return {
    ...store,
    listRuns: (q) => index.listRuns(q),
    countRuns: (q) => index.countRuns(q),
    watchRuns: (q, onChange, onError) => index.watchRuns(q, onChange, onError),
  };
}
