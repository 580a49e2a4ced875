// The Firestore DeadLetterStore (dead-letter-store.ts): one document per dead-lettered message in
// `sluice_dead_letters`, its id derived from the pipeline, the stage that gave the message up and the
// original message's id, so every redelivery of the same dead letter finds the document notify kept
// the first time and adds nothing (create, not set). Lists are newest first by receivedAt, paged by an
// opaque cursor (the last document's receivedAt and id); `expiresAt` is the Firestore TTL field
// (ops retention.deadLetterDays), renewed by every write.
import crypto from 'node:crypto';
import { FieldPath, FieldValue, type CollectionReference, type DocumentData, type Firestore, type Query } from '@google-cloud/firestore';
import { DEAD_LETTERS_COLLECTION, type DeadLetterFilter, type DeadLetterReplay, type DeadLetterStore, type KeptDeadLetter } from './dead-letter-store';

const DAY_MS = 24 * 60 * 60 * 1000;
const ALREADY_EXISTS = 6; // gRPC status of create() on an existing document

// The composite indexes this list needs in the cloud are declared in shared/firestore-indexes.ts.
export { DEAD_LETTER_INDEXES } from '../../shared/firestore-indexes';

// The list's query: newest first, ties by id (the cursor's second half).
export function deadLetterQuery(collection: CollectionReference, filter: DeadLetterFilter): Query {
  let query: Query = collection;
  if (filter.pipeline) query = query.where('pipeline', '==', filter.pipeline);
  if (filter.stage) query = query.where('stage', '==', filter.stage);
  if (filter.since) query = query.where('receivedAt', '>=', new Date(filter.since).toISOString());
  if (filter.until) query = query.where('receivedAt', '<', new Date(filter.until).toISOString());
  return query.orderBy('receivedAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
}

// `<pipeline>-<stage>-<hash>`: readable in the console, the same for every copy of one original message.
export function deadLetterId(letter: Pick<KeptDeadLetter, 'pipeline' | 'stage' | 'message' | 'deadLetter'>): string {
  const original = letter.message.messageId ?? letter.deadLetter?.messageId;
  // No id at all (never from Pub/Sub, which always gives one): the content is the identity.
  const identity = original ?? `content:${letter.message.data}:${JSON.stringify(Object.entries(letter.message.attributes).sort())}`;
  const hash = crypto.createHash('sha256').update(`${letter.pipeline}\n${letter.stage}\n${identity}`).digest('hex').slice(0, 24);
  return `${letter.pipeline}-${letter.stage}-${hash}`;
}

// Firestore refuses undefined values; optional fields are left out instead.
function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function encodeCursor(receivedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([receivedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    // falls through
  }
  throw new RangeError('not a dead-letter cursor');
}

function fromDoc(id: string, data: DocumentData): KeptDeadLetter {
  const expiresAt = data.expiresAt as { toDate?: () => Date } | Date | undefined;
  return {
    ...(data as Omit<KeptDeadLetter, 'id' | 'expiresAt'>),
    id,
    ...(expiresAt ? { expiresAt: expiresAt instanceof Date ? expiresAt : expiresAt.toDate?.() ?? new Date(String(expiresAt)) } : {}),
  };
}

export function createFirestoreDeadLetterStore(firestore: Firestore, options: { retentionDays?: number; now?: () => Date } = {}): DeadLetterStore {
  const collection = firestore.collection(DEAD_LETTERS_COLLECTION);
  const now = options.now ?? (() => new Date());
  const retentionDays = options.retentionDays ?? 30;
  const expiry = (from: Date) => new Date(from.getTime() + retentionDays * DAY_MS);

  const filtered = (filter: DeadLetterFilter): Query => deadLetterQuery(collection, filter);

  return {
    async keep(input) {
      const at = now();
      const letter = withoutUndefined({ ...input, receivedAt: (input.receivedAt ? new Date(input.receivedAt) : at).toISOString(), expiresAt: expiry(at) });
      const id = deadLetterId(letter);
      const ref = collection.doc(id);
      try {
        await ref.create(letter);
        return { ...letter, id };
      } catch (error) {
        if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
        const kept = await ref.get();
        return fromDoc(id, kept.data() ?? letter);
      }
    },

    async list(filter, page) {
      let query = filtered(filter).limit(page.limit + 1);
      if (page.cursor) query = query.startAfter(...decodeCursor(page.cursor));
      const snap = await query.get();
      const docs = snap.docs.slice(0, page.limit);
      const last = docs.at(-1);
      const more = snap.docs.length > page.limit && last;
      return {
        deadLetters: docs.map((doc) => fromDoc(doc.id, doc.data())),
        ...(more ? { nextCursor: encodeCursor(String(last.get('receivedAt')), last.id) } : {}),
      };
    },

    async get(id) {
      const snap = await collection.doc(id).get();
      return snap.exists ? fromDoc(id, snap.data() ?? {}) : undefined;
    },

    async idsMatching(filter, cap) {
      const snap = await filtered(filter).select().limit(cap).get();
      return snap.docs.map((doc) => doc.id);
    },

    async recordReplay(id, replay: DeadLetterReplay) {
      await collection.doc(id).update({ replays: FieldValue.arrayUnion(withoutUndefined({ ...replay })), expiresAt: expiry(now()) });
    },

    async remove(ids) {
      let removed = 0;
      for (let i = 0; i < ids.length; i += 100) {
        const refs = ids.slice(i, i + 100).map((id) => collection.doc(id));
        if (refs.length === 0) continue;
        const snaps = await firestore.getAll(...refs);
        const batch = firestore.batch();
        for (const snap of snaps) {
          if (!snap.exists) continue;
          batch.delete(snap.ref);
          removed += 1;
        }
        await batch.commit();
      }
      return removed;
    },
  };
}
