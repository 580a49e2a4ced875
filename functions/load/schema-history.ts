// `sluice_schema_history` in the pipeline's schema: one row per column a load added or widened, written
// by the same transaction as the DDL, so a load that rolls back leaves neither the change nor its row.
import type { PoolClient } from 'pg';
import type { ObjectRef } from '../../shared/messages';
import { lockForTransaction } from '../runtime/advisory-lock';
import { qualifiedName, quoteIdentifier } from './quote-identifier';

export const SCHEMA_HISTORY_TABLE = 'sluice_schema_history';

export interface SchemaChange {
  column: string;
  // null: the column was added.
  from: string | null;
  to: string;
}

// Which file, in which run, made the change.
export interface ChangeOrigin {
  raw: ObjectRef;
  runId: string;
}

async function ensureSchemaHistory(client: PoolClient, schema: string): Promise<string> {
  const history = qualifiedName(schema, SCHEMA_HISTORY_TABLE);
  const found = await client.query<{ t: string | null }>('select to_regclass($1)::text as t', [history]);
  if (found.rows[0]?.t) return history;
  // Loads of different tables may create it at the same moment: CREATE ... IF NOT EXISTS alone can
  // still collide on the catalog's unique index, so creators queue on the schema's lock.
  await lockForTransaction(client, `sluice:schema:${schema}`);
  await client.query(`create schema if not exists ${quoteIdentifier(schema)}`);
  await client.query(`create table if not exists ${history} (
    id bigserial primary key,
    table_name text not null,
    column_name text not null,
    from_type text,
    to_type text not null,
    raw_bucket text not null,
    raw_object text not null,
    raw_generation text not null,
    run_id text not null,
    changed_at timestamptz not null default now()
  )`);
  return history;
}

export async function recordSchemaChanges(client: PoolClient, schema: string, table: string, changes: readonly SchemaChange[], origin: ChangeOrigin): Promise<void> {
  if (changes.length === 0) return;
  const history = await ensureSchemaHistory(client, schema);
  await client.query(
    `insert into ${history} (table_name, column_name, from_type, to_type, raw_bucket, raw_object, raw_generation, run_id)
     select $1, c, f, t, $2, $3, $4, $5 from unnest($6::text[], $7::text[], $8::text[]) as x(c, f, t)`,
    [table, origin.raw.bucket, origin.raw.object, origin.raw.generation, origin.runId, changes.map((c) => c.column), changes.map((c) => c.from), changes.map((c) => c.to)],
  );
}
