// The Firestore dead-letter store on the Firestore emulator: one document per original message however
// often it is kept (redeliveries, at once), lists newest first by cursor pages with the pipeline/stage/
// time filters, the TTL field, replays recorded, removal.
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTERS_COLLECTION, type DeadLetterStore, type KeptDeadLetter } from '../../functions/runtime/dead-letter-store';
import { createFirestoreDeadLetterStore, DEAD_LETTER_INDEXES, deadLetterId, deadLetterQuery } from '../../functions/runtime/firestore-dead-letter-store';
import { firestoreFor, uniqueProjectId } from '../support/local-cloud';

let firestore: Firestore;
let store: DeadLetterStore;
const NOW = new Date('2026-11-21T12:00:00.000Z');

beforeAll(() => {
  firestore = firestoreFor(uniqueProjectId('dlstore'));
  store = createFirestoreDeadLetterStore(firestore, { retentionDays: 7, now: () => NOW });
});
afterAll(async () => firestore?.terminate());

type Input = Parameters<DeadLetterStore['keep']>[0];
const letter = (n: number, over: Partial<Input> = {}): Input => ({
  pipeline: 'pos',
  stage: 'load',
  reason: `gave up after 5 attempts in load (${n})`,
  attempts: 5,
  runId: 'r1',
  fileKey: `f${n}`,
  receivedAt: new Date(Date.UTC(2026, 10, 21, 10, 0, n)).toISOString(),
  message: { data: Buffer.from(JSON.stringify({ n })).toString('base64'), attributes: { a: 'b' }, messageId: `m${n}` },
  deadLetter: { messageId: `dl${n}`, attributes: { CloudPubSubDeadLetterSourceDeliveryCount: '5' } },
  ...over,
});

describe('firestore dead-letter store', () => {
  it('keeps a dead letter once, however many deliveries keep it at the same time', async () => {
    const input = letter(0, { pipeline: 'once' });
    const kept = await Promise.all(Array.from({ length: 6 }, () => store.keep(input)));
    expect(new Set(kept.map((k) => k.id)).size).toBe(1);
    const snap = await firestore.collection(DEAD_LETTERS_COLLECTION).where('pipeline', '==', 'once').get();
    expect(snap.size).toBe(1);
    const got = await store.get(kept[0]!.id);
    expect(got).toMatchObject({ pipeline: 'once', stage: 'load', reason: input.reason, attempts: 5, fileKey: 'f0', message: input.message, deadLetter: input.deadLetter });
    // TTL: retentionDays after it was written.
    expect(got?.expiresAt?.toISOString()).toBe('2026-11-28T12:00:00.000Z');
  });

  it('keys by pipeline, stage and original message id', () => {
    const base = letter(1) as Pick<KeptDeadLetter, 'pipeline' | 'stage' | 'message' | 'deadLetter'>;
    expect(deadLetterId(base)).toBe(deadLetterId({ ...base, deadLetter: { attributes: {} } }));
    expect(deadLetterId(base)).not.toBe(deadLetterId({ ...base, stage: 'transform' }));
    expect(deadLetterId(base)).not.toBe(deadLetterId({ ...base, message: { ...base.message, messageId: 'other' } }));
    // Without the original's id, the dead-letter copy's id (stable under redelivery) keys it.
    const { messageId: _, ...noOriginal } = base.message;
    expect(deadLetterId({ ...base, message: noOriginal })).not.toBe(deadLetterId({ ...base, message: noOriginal, deadLetter: { messageId: 'dl-other', attributes: {} } }));
  });

  it('lists newest first in cursor pages, filtered by pipeline, stage and time', async () => {
    for (let n = 0; n < 7; n++) await store.keep(letter(n, { pipeline: 'pages', stage: n % 2 === 0 ? 'load' : 'transform' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ pipeline: 'pages' }, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.deadLetters.map((d) => d.fileKey!));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['f6', 'f5', 'f4', 'f3', 'f2', 'f1', 'f0']);

    const loads = await store.list({ pipeline: 'pages', stage: 'load' }, { limit: 10 });
    expect(loads.deadLetters.map((d) => d.fileKey)).toEqual(['f6', 'f4', 'f2', 'f0']);
    expect(loads.nextCursor).toBeUndefined();
    const window = await store.list({ pipeline: 'pages', since: '2026-11-21T10:00:02Z', until: '2026-11-21T10:00:05Z' }, { limit: 10 });
    expect(window.deadLetters.map((d) => d.fileKey)).toEqual(['f4', 'f3', 'f2']);
    expect(await store.idsMatching({ pipeline: 'pages', stage: 'transform' }, 2)).toHaveLength(2);
    await expect(store.list({}, { limit: 1, cursor: 'nonsense' })).rejects.toBeInstanceOf(RangeError);
  });

  it('records replays and removes what it is asked to', async () => {
    const a = await store.keep(letter(1, { pipeline: 'gone' }));
    const b = await store.keep(letter(2, { pipeline: 'gone' }));
    await store.recordReplay(a.id, { actor: 'user:ana@example.com', at: NOW.toISOString(), messageId: '123' });
    await store.recordReplay(a.id, { actor: 'dev', at: NOW.toISOString(), messageId: 'r-2', rerunId: 'r-2' });
    expect((await store.get(a.id))?.replays).toEqual([
      { actor: 'user:ana@example.com', at: NOW.toISOString(), messageId: '123' },
      { actor: 'dev', at: NOW.toISOString(), messageId: 'r-2', rerunId: 'r-2' },
    ]);
    expect(await store.remove([a.id, b.id, 'no-such-letter'])).toBe(2);
    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.idsMatching({ pipeline: 'gone' }, 10)).toEqual([]);
  });

  it('declares the composite index every filtered list query needs (the emulator needs none, the cloud does)', () => {
    type Proto = { structuredQuery: { where?: { fieldFilter?: F; compositeFilter?: { filters: Array<{ fieldFilter: F }> } }; orderBy: Array<{ field: { fieldPath: string }; direction: string }> } };
    type F = { field: { fieldPath: string }; op: string };
    for (const filter of [{ pipeline: 'p' }, { stage: 'load' as const }, { pipeline: 'p', stage: 'load' as const }]) {
      for (const since of [undefined, '2026-11-01T00:00:00Z']) {
        const q = (deadLetterQuery(firestore.collection(DEAD_LETTERS_COLLECTION), { ...filter, ...(since ? { since } : {}) }) as unknown as { toProto(): Proto }).toProto().structuredQuery;
        const filters = q.where?.compositeFilter?.filters.map((f) => f.fieldFilter) ?? (q.where?.fieldFilter ? [q.where.fieldFilter] : []);
        const equality = filters.filter((f) => f.op === 'EQUAL').map((f) => f.field.fieldPath);
        expect(q.orderBy.map((o) => `${o.field.fieldPath} ${o.direction}`)).toEqual(['receivedAt DESCENDING', '__name__ DESCENDING']);
        const index = DEAD_LETTER_INDEXES.find((i) => i.fields.length === equality.length + 1 && equality.every((f, k) => i.fields[k]?.fieldPath === f));
        expect(index?.fields.at(-1)).toEqual({ fieldPath: 'receivedAt', order: 'DESCENDING' });
      }
    }
  });
});
