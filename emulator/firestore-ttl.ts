// Firestore TTL on the local cloud. Cloud Firestore deletes a document once the timestamp in a TTL
// field has passed (shared/firestore-indexes.ts lists the fields; the Pulumi program declares the
// policies); the emulator has no TTL and deletes nothing, so the local ops server runs this sweep to
// honour the same fields: every document of each listed collection group whose field lies in the
// past is deleted, as Firestore's TTL would (the document only, not its subcollections, which carry
// their own expiry).
import type { Firestore } from '@google-cloud/firestore';
import type { Logger } from '../shared/logger';
import { DECLARED_TTL_FIELDS, type TtlField } from '../shared/firestore-indexes';

// Deletes per query and batch (Firestore allows 500 writes in one batch).
const BATCH = 400;

// One pass; resolves with how many documents it deleted.
export async function deleteExpired(firestore: Firestore, options: { now?: Date; fields?: readonly TtlField[] } = {}): Promise<number> {
  const now = options.now ?? new Date();
  let deleted = 0;
  for (const { collectionGroup, fieldPath } of options.fields ?? DECLARED_TTL_FIELDS) {
    for (;;) {
      const expired = await firestore.collectionGroup(collectionGroup).where(fieldPath, '<=', now).limit(BATCH).get();
      if (expired.empty) break;
      const batch = firestore.batch();
      for (const doc of expired.docs) batch.delete(doc.ref);
      await batch.commit();
      deleted += expired.size;
      if (expired.size < BATCH) break;
    }
  }
  return deleted;
}

export interface TtlSweeper {
  stop(): Promise<void>;
}

// Sweeps every `intervalMs` (default a minute) until stopped; a failed pass is logged and the next one
// tries again.
export function startTtlSweeper(firestore: Firestore, options: { intervalMs?: number; logger: Logger }): TtlSweeper {
  let running: Promise<void> | undefined;
  const pass = () => {
    running ??= deleteExpired(firestore)
      .then((deleted) => { if (deleted > 0) options.logger.info('expired documents deleted (Firestore TTL, locally)', { deleted }); })
      .catch((error: unknown) => options.logger.warn('local TTL sweep failed; the next one tries again', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => { running = undefined; });
  };
  const timer = setInterval(pass, options.intervalMs ?? 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
