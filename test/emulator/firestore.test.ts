// Firestore emulator transactions: two read-modify-write increments of one document that overlap
// (both read before either commits) must both land — the emulator aborts one and the client retries it.
import { afterAll, describe, expect, it } from 'vitest';
import { firestoreFor, uniqueName, uniqueProjectId } from '../support/local-cloud';

const db = firestoreFor(uniqueProjectId('firestore'));

afterAll(async () => {
  await db.terminate();
});

// Resolves once `parties` callers have arrived, or after `timeoutMs` (a retried attempt may
// never arrive again, and the lock manager may hold one reader back: the test must not hang).
function barrier(parties: number, timeoutMs: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  const timer = setTimeout(release, timeoutMs);
  return () => {
    if (++arrived >= parties) {
      clearTimeout(timer);
      release();
    }
    return open;
  };
}

describe('Firestore emulator transactions', () => {
  it('two concurrent read-modify-write transactions on one document both commit', async () => {
    const ref = db.collection(uniqueName('counters')).doc('orders');
    await ref.set({ count: 0 });
    const bothRead = barrier(2, 2_000);
    let attempts = 0;

    const increment = (by: number) =>
      db.runTransaction(async (tx) => {
        const attempt = ++attempts;
        const snapshot = await tx.get(ref);
        const count = snapshot.get('count') as number;
        if (attempt <= 2) await bothRead(); // first attempts overlap: both have read the old value
        tx.update(ref, { count: count + by });
      });

    await Promise.all([increment(1), increment(10)]);

    expect((await ref.get()).get('count')).toBe(11);
    expect(attempts).toBeGreaterThanOrEqual(2);
  });
});
