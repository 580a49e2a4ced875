// One row per source file version loaded (or refused as superseded), written in the same transaction
// as the data: if the row is there, the data is there, and a redelivered message only redoes the steps
// after the commit.
//
// Keyed on the SOURCE file (id = remote path, version = content hash or size+mtime; see
// shared/source-identity.ts), unique within the schema: the same version arriving again under another
// raw name (a fetch crash made a later run fetch it anew) finds its row and loads nothing. A new
// version of the same source id supersedes the loaded one (load-file.ts deletes its rows by lineage);
// statuses:
//   loaded      its rows are in the table;
//   replaced    it was loaded, then a newer version of the same source removed its rows (superseded_by);
//   superseded  it arrived after a newer version was loaded, and was never applied (superseded_by).
// Ledgers created before source keys get the columns on first use; their rows keep the raw object as
// source id (`raw/...`, version `generation:<n>`), which no new message matches.
//
// Each row also says how it was loaded (mode, and whether the file was a full snapshot of the table:
// replace, merge with deleteMissing), which the ordering guard reads, and what the mode did (counts,
// and the time ranges of the old rows it removed or rewrote, published again on a redelivery).
import type { Pool, PoolClient } from 'pg';
import type { ObjectRef, SourceIdentity } from '../../shared/messages';
import { lockForTransaction } from '../runtime/advisory-lock';
import { qualifiedName, quoteIdentifier } from './quote-identifier';
import { unionTimeRanges } from './time-ranges';

export const LEDGER_TABLE = 'sluice_load_ledger';

export type TimeRanges = Record<string, { min: string; max: string }>;
export type LedgerStatus = 'loaded' | 'replaced' | 'superseded';

export interface LedgerEntry {
  raw: ObjectRef;
  source: SourceIdentity;
  runId: string;
  fileKey: string;
  table: string;
  rule: string;
  timeRanges: TimeRanges;
  mode: string;
  fullSnapshot: boolean;
}

export interface LedgerRow {
  loadId: string;
  raw: ObjectRef;
  source: SourceIdentity;
  runId: string;
  table: string;
  rule: string;
  rows: number;
  status: LedgerStatus;
  supersededBy: string | null;
  timeRanges: TimeRanges;
  // The old rows' ranges the load's mode removed or rewrote, and its counts (rows of older ledgers: none).
  removedRanges: TimeRanges;
  counts: Record<string, number> | null;
  fullSnapshot: boolean;
  loadedAt: Date;
}

interface StoredRow {
  load_id: string;
  raw_object: string;
  raw_generation: string;
  source_id: string;
  source_version: string;
  source_time: Date | null;
  run_id: string;
  target_table: string;
  rule: string;
  rows: string | null;
  status: LedgerStatus;
  superseded_by: string | null;
  time_ranges: TimeRanges | null;
  removed_ranges: TimeRanges | null;
  counts: Record<string, number> | null;
  full_snapshot: boolean | null;
  loaded_at: Date;
}

const COLUMNS = 'load_id, raw_object, raw_generation, source_id, source_version, source_time, run_id, target_table, rule, rows, status, superseded_by, time_ranges, removed_ranges, counts, full_snapshot, loaded_at';
// The column the newest ledger version added: present means up to date.
const NEWEST_COLUMN = 'full_snapshot';

function fromStored(row: StoredRow, bucket: string): LedgerRow {
  return {
    loadId: String(row.load_id),
    raw: { bucket, object: row.raw_object, generation: row.raw_generation },
    source: { id: row.source_id, version: row.source_version, ...(row.source_time ? { time: row.source_time.toISOString() } : {}) },
    runId: row.run_id, table: row.target_table, rule: row.rule, rows: Number(row.rows ?? 0), status: row.status,
    supersededBy: row.superseded_by === null ? null : String(row.superseded_by), timeRanges: row.time_ranges ?? {},
    removedRanges: row.removed_ranges ?? {}, counts: row.counts, fullSnapshot: row.full_snapshot === true, loadedAt: row.loaded_at,
  };
}

// Creates the schema and the ledger when missing, and brings a ledger of an earlier version up to
// date. Loads of different tables run concurrently, and `create ... if not exists` can still collide
// on the catalog, so changes take a schema-wide lock, only when there is something to change.
export async function ensureLedger(client: PoolClient, schema: string): Promise<void> {
  const ledger = qualifiedName(schema, LEDGER_TABLE);
  const found = await client.query<{ current: boolean | null }>(
    `select (select true from pg_attribute where attrelid = to_regclass($1) and attname = $2 and not attisdropped) as current`,
    [ledger, NEWEST_COLUMN],
  );
  if (found.rows[0]?.current) return;
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
  // Source keys and lineage (added to ledgers of earlier versions too; their rows keep the raw object as source).
  await client.query(`alter table ${ledger}
    add column if not exists load_id bigserial,
    add column if not exists source_id text,
    add column if not exists source_version text,
    add column if not exists source_time timestamptz,
    add column if not exists status text not null default 'loaded',
    add column if not exists superseded_by bigint`);
  await client.query(`update ${ledger} set source_id = raw_object, source_version = 'generation:' || raw_generation where source_id is null`);
  await client.query(`alter table ${ledger} alter column source_id set not null, alter column source_version set not null`);
  await client.query(`create unique index if not exists ${quoteIdentifier(`${LEDGER_TABLE}_source`)} on ${ledger} (source_id, source_version)`);
  await client.query(`create unique index if not exists ${quoteIdentifier(`${LEDGER_TABLE}_load_id`)} on ${ledger} (load_id)`);
  // Load modes: the ordering guard and the mode's report. Rows of earlier versions: mode unknown, not a snapshot.
  await client.query(`alter table ${ledger}
    add column if not exists load_mode text,
    add column if not exists removed_ranges jsonb,
    add column if not exists counts jsonb,
    add column if not exists full_snapshot boolean not null default false`);
  // The guard asks "which loads of this table have a later source time" on every replace and merge.
  await client.query(`create index if not exists ${quoteIdentifier(`${LEDGER_TABLE}_table_time`)} on ${ledger} (target_table, source_time)`);
}

// The load id when this transaction now owns the load of that source version; null when an earlier
// delivery (under this raw name or another) already has it.
export async function claimLoad(client: PoolClient, schema: string, entry: LedgerEntry): Promise<string | null> {
  const result = await client.query<{ load_id: string }>(
    `insert into ${qualifiedName(schema, LEDGER_TABLE)} (raw_object, raw_generation, source_id, source_version, source_time, run_id, file_key, target_table, rule, time_ranges, load_mode, full_snapshot)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12) on conflict do nothing returning load_id`,
    [entry.raw.object, entry.raw.generation, entry.source.id, entry.source.version, entry.source.time ?? null, entry.runId, entry.fileKey, entry.table, entry.rule, JSON.stringify(entry.timeRanges), entry.mode, entry.fullSnapshot],
  );
  const row = result.rows[0];
  return row ? String(row.load_id) : null;
}

// The other loaded versions of the same source in that table: the ones a new version supersedes.
export async function loadedVersions(client: PoolClient, schema: string, source: SourceIdentity, table: string, exceptLoadId: string, bucket: string): Promise<LedgerRow[]> {
  const result = await client.query<StoredRow>(
    `select ${COLUMNS} from ${qualifiedName(schema, LEDGER_TABLE)}
     where source_id = $1 and target_table = $2 and status = 'loaded' and load_id <> $3 order by load_id`,
    [source.id, table, exceptLoadId],
  );
  return result.rows.map((r) => fromStored(r, bucket));
}

export async function markReplaced(client: PoolClient, schema: string, loadIds: readonly string[], by: string): Promise<void> {
  if (loadIds.length === 0) return;
  await client.query(`update ${qualifiedName(schema, LEDGER_TABLE)} set status = 'replaced', superseded_by = $2 where load_id = any($1::bigint[])`, [loadIds, by]);
}

export async function markSuperseded(client: PoolClient, schema: string, loadId: string, by: string): Promise<void> {
  await client.query(`update ${qualifiedName(schema, LEDGER_TABLE)} set status = 'superseded', superseded_by = $2, rows = 0 where load_id = $1`, [loadId, by]);
}

export async function recordOutcome(client: PoolClient, schema: string, loadId: string, outcome: { rows: number; counts: Record<string, number>; removedRanges: TimeRanges }): Promise<void> {
  await client.query(
    `update ${qualifiedName(schema, LEDGER_TABLE)} set rows = $2, counts = $3::jsonb, removed_ranges = $4::jsonb where load_id = $1`,
    [loadId, outcome.rows, JSON.stringify(outcome.counts), JSON.stringify(outcome.removedRanges)],
  );
}

// Loads of that table (any source) still applied whose source time is later than `time`, newest
// first: what the ordering guard weighs a file against. No time: none (arrival order decides).
export async function newerLoadsOfTable(client: PoolClient, schema: string, table: string, exceptLoadId: string, time: string | undefined, bucket: string): Promise<LedgerRow[]> {
  if (!time) return [];
  const result = await client.query<StoredRow>(
    `select ${COLUMNS} from ${qualifiedName(schema, LEDGER_TABLE)}
     where target_table = $1 and status = 'loaded' and load_id <> $2 and source_time > $3 order by source_time desc, load_id desc`,
    [table, exceptLoadId, time],
  );
  return result.rows.map((r) => fromStored(r, bucket));
}

// What a load tells aggregate to recompute, the same on every delivery: the file's ranges, the old
// rows' ranges its mode removed or rewrote, and the ranges of the earlier versions it replaced.
export function publishedRanges(ledger: LedgerRow & { replacedRanges: TimeRanges[] }): TimeRanges {
  return unionTimeRanges([ledger.timeRanges, ledger.removedRanges, ...ledger.replacedRanges]);
}

// The ledger row of that source version (or, for a load recorded before its message named a source,
// of that raw generation), with the time ranges of the loads it replaced, so a redelivery publishes
// the same ranges the first delivery did.
export async function findLoad(db: Pool | PoolClient, schema: string, source: SourceIdentity, raw: ObjectRef): Promise<(LedgerRow & { replacedRanges: TimeRanges[] }) | null> {
  const ledger = qualifiedName(schema, LEDGER_TABLE);
  const found = await db.query<{ keyed: boolean | null; current: boolean | null }>(
    `select (select true from pg_attribute where attrelid = to_regclass($1) and attname = 'source_id' and not attisdropped) as keyed,
            (select true from pg_attribute where attrelid = to_regclass($1) and attname = $2 and not attisdropped) as current`,
    [ledger, NEWEST_COLUMN],
  );
  if (!found.rows[0]?.keyed) return null;
  // A ledger not yet brought up to date by a load (rows of an earlier version) lacks the mode's columns.
  const columns = found.rows[0].current ? COLUMNS : COLUMNS.replace('removed_ranges, counts, full_snapshot', 'null as removed_ranges, null as counts, null as full_snapshot');
  const result = await db.query<StoredRow>(
    `select ${columns} from ${ledger} where (source_id = $1 and source_version = $2) or (raw_object = $3 and raw_generation = $4)
     order by (source_id = $1 and source_version = $2) desc limit 1`,
    [source.id, source.version, raw.object, raw.generation],
  );
  const row = result.rows[0];
  if (!row) return null;
  const replaced = await db.query<{ time_ranges: TimeRanges | null }>(`select time_ranges from ${ledger} where superseded_by = $1 and status = 'replaced'`, [row.load_id]);
  return { ...fromStored(row, raw.bucket), replacedRanges: replaced.rows.map((r) => r.time_ranges ?? {}) };
}
