// Staged data that vanished before it was loaded (deleted by hand, by a lifecycle rule, by a bug) is
// not "nothing to do": the raw file is transformed again when it still exists — load publishes to the
// transform topic what Cloud Storage would for the raw object — a bounded number of times per raw
// generation (counted in the database, so every instance and delivery sees one count).
import type { Bucket } from '@google-cloud/storage';
import type { Pool } from 'pg';
import type { ObjectFinalizedNotice, ObjectRef } from '../../shared/messages';
import { isNotFound } from '../../shared/storage-errors';
import type { StageContext } from '../runtime/context';
import { lockForTransaction } from '../runtime/advisory-lock';
import type { DatabaseBounds } from '../runtime/postgres/database-bounds';
import { withTransaction } from '../runtime/postgres/with-transaction';
import { qualifiedName, quoteIdentifier } from './quote-identifier';

export const MAX_RETRANSFORMS = 3;
const COUNTER_TABLE = 'sluice_retransforms';

export type RetransformOutcome = { kind: 'requested'; count: number } | { kind: 'raw-gone' } | { kind: 'exhausted'; count: number };

async function rawSize(bucket: Bucket, raw: ObjectRef): Promise<string | null> {
  try {
    const [metadata] = await bucket.file(raw.object, { generation: raw.generation }).getMetadata();
    return String(metadata.size ?? '');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

async function countRequest(pool: Pool, schema: string, raw: ObjectRef, bounds: DatabaseBounds): Promise<number> {
  return withTransaction(pool, { bounds, what: `re-transform count for ${raw.object}` }, async (client) => {
    const table = qualifiedName(schema, COUNTER_TABLE);
    const found = await client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [table]);
    if (!found.rows[0]?.ok) {
      await lockForTransaction(client, `sluice:schema:${schema}`);
      await client.query(`create schema if not exists ${quoteIdentifier(schema)}`);
      await client.query(`create table if not exists ${table} (raw_object text not null, raw_generation text not null, count integer not null, primary key (raw_object, raw_generation))`);
    }
    const result = await client.query<{ count: number }>(
      `insert into ${table} values ($1, $2, 1) on conflict (raw_object, raw_generation) do update set count = ${table}.count + 1 returning count`,
      [raw.object, raw.generation],
    );
    return result.rows[0]?.count ?? 1;
  });
}

export async function requestRetransform(ctx: StageContext, pool: Pool, schema: string, raw: ObjectRef, bounds: DatabaseBounds): Promise<RetransformOutcome> {
  const size = await rawSize(ctx.storage.bucket(raw.bucket), raw);
  if (size === null) return { kind: 'raw-gone' };
  const count = await countRequest(pool, schema, raw, bounds);
  if (count > MAX_RETRANSFORMS) return { kind: 'exhausted', count: count - 1 };
  const notice: ObjectFinalizedNotice = { kind: 'storage#object', bucket: raw.bucket, name: raw.object, generation: raw.generation, ...(size ? { size } : {}) };
  await ctx.publish('transform', notice, {
    eventType: 'OBJECT_FINALIZE', bucketId: raw.bucket, objectId: raw.object, objectGeneration: raw.generation, payloadFormat: 'JSON_API_V1',
    sluiceRetransform: String(count),
  });
  return { kind: 'requested', count };
}
