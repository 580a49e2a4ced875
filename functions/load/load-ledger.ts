// One row per raw object generation loaded, written in the same transaction as the data: if the row is
// there, the data is there, and a redelivered message only redoes the steps after the commit.
import type { Pool, PoolClient } from 'pg';
import type { ObjectRef } from '../../shared/messages';
import { lockForTransaction } from '../runtime/advisory-lock';
import { qualifiedName, quoteIdentifier } from './quote-identifier';

export const LEDGER_TABLE = 'sluice_load_ledger';

export interface LedgerEntry {
  raw: ObjectRef;
  runId: string;
  fileKey: string;
  table: string;
  rule: string;
  timeRanges: Record<string, { min: string; max: string }>;
}

export interface LedgerRow {
  runId: string;
  table: string;
  rule: string;
  rows: number;
  timeRanges: Record<string, { min: string; max: string }>;
  loadedAt: Date;
}

// Creates the schema and the ledger when missing. Loads of different tables run concurrently, and
// `create ... if not exists` can still collide on the catalog, so creation takes a schema-wide lock,
// only when there is something to create.
export async function ensureLedger(client: PoolClient, schema: string): Promise<void> {
  const ledger = qualifiedName(schema, LEDGER_TABLE);
  const found = await client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [ledger]);
  if (found.rows[0]?.ok) return;
  await lockForTransaction(client, `sluice:schema:${schema}`);
  await client.query(`create schema if not exists ${quoteIdentifier(schema)}`);
  await client.query(`create table if not exists ${ledger} (
    raw_object text not null,
    raw_generation text not null,
    run_id text not null,
    file_key text not null,
    target_table text not null,
    rule text not null,
    rows bigint,
    time_ranges jsonb not null default '{}'::jsonb,
    loaded_at timestamptz not null default now(),
    primary key (raw_object, raw_generation)
  )`);
}

// True when this transaction now owns the load of that generation; false when an earlier delivery
// already loaded it.
export async function claimLoad(client: PoolClient, schema: string, entry: LedgerEntry): Promise<boolean> {
  const result = await client.query(
    `insert into ${qualifiedName(schema, LEDGER_TABLE)} (raw_object, raw_generation, run_id, file_key, target_table, rule, time_ranges)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb) on conflict do nothing`,
    [entry.raw.object, entry.raw.generation, entry.runId, entry.fileKey, entry.table, entry.rule, JSON.stringify(entry.timeRanges)],
  );
  return result.rowCount === 1;
}

export async function recordRows(client: PoolClient, schema: string, raw: ObjectRef, rows: number): Promise<void> {
  await client.query(`update ${qualifiedName(schema, LEDGER_TABLE)} set rows = $3 where raw_object = $1 and raw_generation = $2`, [raw.object, raw.generation, rows]);
}

export async function findLoad(db: Pool | PoolClient, schema: string, raw: ObjectRef): Promise<LedgerRow | null> {
  const ledger = qualifiedName(schema, LEDGER_TABLE);
  const exists = await db.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [ledger]);
  if (!exists.rows[0]?.ok) return null;
  const result = await db.query<{ run_id: string; target_table: string; rule: string; rows: string | null; time_ranges: Record<string, { min: string; max: string }>; loaded_at: Date }>(
    `select run_id, target_table, rule, rows, time_ranges, loaded_at from ${ledger} where raw_object = $1 and raw_generation = $2`,
    [raw.object, raw.generation],
  );
  const row = result.rows[0];
  if (!row) return null;
  return { runId: row.run_id, table: row.target_table, rule: row.rule, rows: Number(row.rows ?? 0), timeRanges: row.time_ranges ?? {}, loadedAt: row.loaded_at };
}
