// The Gmail source's durable cursor, one Firestore document per pipeline
// (`sluice-source-state/<pipeline>`): the history id the next run lists from, and per run the cursor
// it started from. A redelivery of a run must list at least what its first delivery claimed, so a
// run keeps its own starting point (`runs.<runId>.from`) even after an earlier delivery finished
// and advanced the shared cursor; entries older than a week (far past any redelivery) are dropped.
import { FieldValue } from '@google-cloud/firestore';
import type { Firestore } from '@google-cloud/firestore';

export const SOURCE_STATE_COLLECTION = 'sluice-source-state';
const KEEP_RUN_CURSORS_MS = 7 * 86_400_000;

export interface RunCursor {
  // The history id this run lists from; null: a listing by query (first run, or after a reset).
  from: string | null;
  // The mailbox's history id when the run first listed: where the shared cursor goes once it finishes.
  to: string;
  at: string;
}

interface StateDoc {
  historyId?: string;
  // Mails whose files waited for a later run (the run's byte cap): listed again first.
  deferred?: string[];
  runs?: Record<string, RunCursor>;
}

export interface RunListing {
  cursor: RunCursor;
  deferred: string[];
}

function stateDoc(db: Firestore, pipeline: string) {
  return db.collection(SOURCE_STATE_COLLECTION).doc(pipeline);
}

// The cursor this run lists from: the one it recorded on an earlier delivery, else the shared one
// (recorded now, with `currentHistoryId` as where it will advance to).
export async function beginListing(db: Firestore, pipeline: string, runId: string, currentHistoryId: string, now: Date): Promise<RunListing> {
  const doc = stateDoc(db, pipeline);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const state = (snap.data() ?? {}) as StateDoc;
    const deferred = state.deferred ?? [];
    const mine = state.runs?.[runId];
    if (mine) return { cursor: mine, deferred };
    const cursor: RunCursor = { from: state.historyId ?? null, to: currentHistoryId, at: now.toISOString() };
    const runs: Record<string, RunCursor> = {};
    for (const [id, entry] of Object.entries(state.runs ?? {})) {
      if (now.getTime() - Date.parse(entry.at) < KEEP_RUN_CURSORS_MS) runs[id] = entry;
    }
    runs[runId] = cursor;
    // The whole document, rewritten from what the transaction read: the pruned runs drop out.
    tx.set(doc, { ...(state.historyId !== undefined ? { historyId: state.historyId } : {}), deferred, runs });
    return { cursor, deferred };
  });
}

// After the run settled its mail: the shared cursor moves to the run's `to` (never backwards: a
// later run may have finished first), and the deferred set becomes what this run left waiting.
// Idempotent: a repeat writes the same.
export async function finishListing(db: Firestore, pipeline: string, runId: string, update: { listed: string[]; deferred: string[] }): Promise<void> {
  const doc = stateDoc(db, pipeline);
  await db.runTransaction(async (tx) => {
    const snap = await tx.get(doc);
    const state = (snap.data() ?? {}) as StateDoc;
    const cursor = state.runs?.[runId];
    if (!cursor) return;
    const listed = new Set(update.listed);
    const deferred = [...new Set([...(state.deferred ?? []).filter((id) => !listed.has(id)), ...update.deferred])];
    const historyId = state.historyId === undefined || laterHistoryId(cursor.to, state.historyId) ? cursor.to : state.historyId;
    tx.set(doc, { historyId, deferred, runs: { [runId]: { ...cursor, finishedAt: FieldValue.serverTimestamp() } } }, { merge: true });
  });
}

// History ids are increasing decimal integers (uint64): compared as numbers, not strings.
export function laterHistoryId(a: string, b: string): boolean {
  return BigInt(a) > BigInt(b);
}
