// `<table>__rejects`, beside the table in the pipeline's schema: the rows of loaded files that failed
// their column's type, one row per rejected file row. Written by the load's own transaction, so a load
// that rolls back (or a redelivery, which the ledger stops before any COPY) adds no rejects.
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { ObjectRef } from '../../../shared/messages';
import { qualifiedName } from '../quote-identifier';

const SUFFIX = '__rejects';
const MAX_IDENTIFIER_BYTES = 63;

// `<table>__rejects` when that fits PostgreSQL's 63 bytes; otherwise the table name is cut (at a
// character boundary) and followed by 8 hex digits of its SHA-256, so two long names sharing a prefix
// never share a rejects table, and the same table always gets the same one.
export function rejectsTableName(table: string): string {
  const whole = table + SUFFIX;
  if (Buffer.byteLength(whole, 'utf8') <= MAX_IDENTIFIER_BYTES) return whole;
  const hash = '_' + createHash('sha256').update(table).digest('hex').slice(0, 8);
  const room = MAX_IDENTIFIER_BYTES - SUFFIX.length - hash.length;
  let cut = '';
  for (const char of table) {
    if (Buffer.byteLength(cut + char, 'utf8') > room) break;
    cut += char;
  }
  return cut + hash + SUFFIX;
}

export interface RejectedRow {
  // 1-based data row of the staged file (header excluded).
  row: number;
  column: string;
  reason: string;
  // PostgreSQL's SQLSTATE for the value (22P02 invalid text, 22003 out of range, …), when it said.
  sqlState: string | null;
  // The row's values by column name, as in the staged file (null: empty).
  values: Record<string, string | null>;
}

export interface RejectOrigin {
  raw: ObjectRef;
  runId: string;
  // The ledger's load id of the file (a later version of the same source replaces the load).
  loadId: string;
}

// Runs under the table's advisory lock (the load's), so no two creators race.
async function ensureRejectsTable(client: PoolClient, schema: string, table: string): Promise<string> {
  const name = qualifiedName(schema, rejectsTableName(table));
  await client.query(`create table if not exists ${name} (
    load_id bigint not null,
    row_number bigint not null,
    column_name text not null,
    reason text not null,
    sql_state text,
    raw_row jsonb not null,
    raw_bucket text not null,
    raw_object text not null,
    raw_generation text not null,
    run_id text not null,
    rejected_at timestamptz not null default now(),
    primary key (load_id, row_number)
  )`);
  return name;
}

const BATCH = 1000;

export async function insertRejects(client: PoolClient, schema: string, table: string, rows: readonly RejectedRow[], origin: RejectOrigin): Promise<void> {
  if (rows.length === 0) return;
  const name = await ensureRejectsTable(client, schema, table);
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await client.query(
      `insert into ${name} (load_id, row_number, column_name, reason, sql_state, raw_row, raw_bucket, raw_object, raw_generation, run_id)
       select $1::bigint, r, c, m, s, j, $2, $3, $4, $5 from unnest($6::bigint[], $7::text[], $8::text[], $9::text[], $10::jsonb[]) as x(r, c, m, s, j)`,
      [
        origin.loadId, origin.raw.bucket, origin.raw.object, origin.raw.generation, origin.runId,
        batch.map((r) => r.row), batch.map((r) => r.column), batch.map((r) => r.reason), batch.map((r) => r.sqlState), batch.map((r) => JSON.stringify(r.values)),
      ],
    );
  }
}

// The rejects of loads a newer version of the same source replaced go with their rows.
export async function deleteRejectsOfLoads(client: PoolClient, schema: string, table: string, loadIds: readonly string[]): Promise<number> {
  if (loadIds.length === 0) return 0;
  const name = qualifiedName(schema, rejectsTableName(table));
  const found = await client.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]);
  if (!found.rows[0]?.t) return 0;
  const result = await client.query(`delete from ${name} where load_id = any($1::bigint[])`, [loadIds]);
  return result.rowCount ?? 0;
}
