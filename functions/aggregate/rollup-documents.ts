// The Firestore side of a roll-up: one document per (granularity, bucket, dimension values) under
// `sluice_aggregates/<pipeline>__<aggregate>/buckets`. Documents are SET to what SQL says, never
// incremented, so writing the same roll-up twice leaves the same documents.
import { createHash } from 'node:crypto';
import type { CollectionReference, Firestore, WriteBatch } from '@google-cloud/firestore';
import { AGGREGATES_COLLECTION } from '../runtime/run-record';
import type { DateRange } from './affected-dates';
import type { Granularity, RollupBucket } from './rollup-sql';

// Firestore allows 500 writes per batch.
const BATCH_LIMIT = 500;

export function bucketsCollection(firestore: Firestore, pipeline: string, aggregate: string): CollectionReference {
  return firestore.collection(AGGREGATES_COLLECTION).doc(`${pipeline}__${aggregate}`).collection('buckets');
}

// Deterministic and safe as a document id whatever the dimension values hold ('/', '.', long text):
// the values are hashed, the readable part is granularity and bucket only.
export function bucketDocId(granularity: Granularity, bucket: string, dims: Record<string, string | null>): string {
  const key = JSON.stringify(Object.keys(dims).sort().map((name) => [name, dims[name]]));
  return `${granularity}_${bucket}_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export interface WriteResult {
  written: number;
  deleted: number;
}

// Writes every bucket SQL returned for the range and deletes the range's documents SQL no longer
// returns (rows deleted or replaced since the last roll-up).
export async function replaceBuckets(
  firestore: Firestore,
  collection: CollectionReference,
  range: DateRange,
  buckets: RollupBucket[],
  stamp: { runId: string; updatedAt: string },
): Promise<WriteResult> {
  const wanted = new Map<string, RollupBucket>();
  for (const bucket of buckets) wanted.set(bucketDocId(bucket.granularity, bucket.bucket, bucket.dims), bucket);

  // A single-field range filter: no composite index needed.
  const existing = await collection.where('date', '>=', range.from).where('date', '<=', range.to).select().get();
  const stale = existing.docs.map((doc) => doc.id).filter((id) => !wanted.has(id));

  let batch: WriteBatch = firestore.batch();
  let pending = 0;
  const flush = async () => {
    if (pending === 0) return;
    await batch.commit();
    batch = firestore.batch();
    pending = 0;
  };
  const add = async (apply: (b: WriteBatch) => void) => {
    apply(batch);
    pending += 1;
    if (pending >= BATCH_LIMIT) await flush();
  };

  for (const [id, bucket] of wanted) {
    await add((b) => b.set(collection.doc(id), { ...bucket, updatedAt: stamp.updatedAt, lastRunId: stamp.runId }));
  }
  for (const id of stale) await add((b) => b.delete(collection.doc(id)));
  await flush();
  return { written: wanted.size, deleted: stale.length };
}
