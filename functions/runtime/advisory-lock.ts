// Transaction-scoped advisory locks keyed by a stable 64-bit hash of a name, so every load of one table
// and every roll-up of one aggregate (any instance, any delivery) queues behind the others, and DDL on
// a table never races.
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';

export function advisoryKey(name: string): string {
  // First 8 bytes of SHA-256 as a signed bigint: the same for the same name in every process.
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

export async function lockForTransaction(client: PoolClient, name: string): Promise<void> {
  await client.query('select pg_advisory_xact_lock($1::bigint)', [advisoryKey(name)]);
}
