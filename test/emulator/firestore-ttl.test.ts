// The local cloud's stand-in for Firestore TTL: documents whose TTL field has passed are deleted,
// in every listed collection group (subcollections included), and nothing else is.
import { afterAll, describe, expect, it } from 'vitest';
import { deleteExpired } from '../../emulator/firestore-ttl';
import { DECLARED_TTL_FIELDS } from '../../shared/firestore-indexes';
import { firestoreFor, uniqueProjectId } from '../support/local-cloud';

const firestore = firestoreFor(uniqueProjectId('ttl'));
afterAll(() => firestore.terminate());

describe('local Firestore TTL', () => {
  it('deletes what expired in every declared collection group, and keeps the rest', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const past = new Date(now.getTime() - 1000);
    const future = new Date(now.getTime() + 86_400_000);
    const runs = firestore.collection('sluice_runs');
    await runs.doc('old').set({ expiresAt: past });
    await runs.doc('new').set({ expiresAt: future });
    await runs.doc('new').collection('files').doc('f-old').set({ expiresAt: past });
    await runs.doc('new').collection('files').doc('f-new').set({ expiresAt: future });
    await firestore.collection('sluice_dead_letters').doc('dl').set({ expiresAt: past });
    await firestore.collection('sluice_bulk_actions').doc('b').collection('runs').doc('r').set({ expiresAt: past });
    await firestore.collection('elsewhere').doc('x').set({ expiresAt: past });

    expect(await deleteExpired(firestore, { now })).toBe(4);
    expect((await runs.doc('old').get()).exists).toBe(false);
    expect((await runs.doc('new').get()).exists).toBe(true);
    expect((await runs.doc('new').collection('files').doc('f-old').get()).exists).toBe(false);
    expect((await runs.doc('new').collection('files').doc('f-new').get()).exists).toBe(true);
    expect((await firestore.collection('sluice_dead_letters').doc('dl').get()).exists).toBe(false);
    expect((await firestore.collection('sluice_bulk_actions').doc('b').collection('runs').doc('r').get()).exists).toBe(false);
    // Not a TTL collection of ours.
    expect((await firestore.collection('elsewhere').doc('x').get()).exists).toBe(true);
    expect(DECLARED_TTL_FIELDS.length).toBeGreaterThanOrEqual(5);
    // A second pass finds nothing more.
    expect(await deleteExpired(firestore, { now })).toBe(0);
  });
});
