// Merge on the rule's key: COPY into a temporary table shaped like the target, keep the last row of
// each key (COPY fills a serial column in file order), then one upsert that inserts new keys and
// rewrites only rows whose values CHANGED (`is distinct from`): an unchanged row is not rewritten and
// keeps the lineage of the load that last changed it. With deleteMissing the file is a full snapshot:
// rows whose key is not in it are deleted. A row with a NULL key is refused (it could never be matched
// again). Per-key ordering guard: rows whose lineage is a newer load (`newerLoadIds`) are neither
// overwritten nor deleted, so a late older file never undoes a newer one.
import type { PoolClient } from 'pg';
import { copyIntoTable } from '../copy-into-table';
import { FileDataError } from '../file-data-error';
import type { TimeRanges } from '../load-ledger';
import { columnList, qualifiedName, quoteIdentifier } from '../quote-identifier';
import { LINEAGE_COLUMN } from '../row-lineage';
import { unionTimeRanges } from '../time-ranges';
import { noCounts, type LoadModeImplementation, type ModeTarget } from './load-mode';
import { rangeAggregates, rangesFromRow, type TimeColumn } from './old-value-ranges';

const STAGING_TABLE = 'sluice_merge_staging';
const ROWS_TABLE = 'sluice_merge_rows';
// '#' cannot occur in a file column name (they are identifiers or lower_snake_case), so no clash.
const ROW_COLUMN = 'sluice_row#';

interface Statement { text: string; values: unknown[] }

// "Row `alias` was written by a newer load": SQL with the ids as one bound array ($1), or plain false.
function protectedRow(alias: string, newer: readonly string[]): Statement {
  return newer.length === 0
    ? { text: 'false', values: [] }
    : { text: `coalesce(${alias}.${quoteIdentifier(LINEAGE_COLUMN)} = any($1::bigint[]), false)`, values: [newer] };
}

const sameKey = (a: string, b: string, key: readonly string[]) => key.map((k) => `${a}.${quoteIdentifier(k)} = ${b}.${quoteIdentifier(k)}`).join(' and ');
const tuple = (alias: string, columns: readonly string[]) => `(${columns.map((c) => `${alias}.${quoteIdentifier(c)}`).join(', ')})`;

// The file's rows, one per key (the last), in a temporary table; returns [rows copied, keys].
async function stageRows(client: PoolClient, target: ModeTarget, table: string): Promise<[number, number]> {
  const staging = quoteIdentifier(STAGING_TABLE);
  const rowColumn = quoteIdentifier(ROW_COLUMN);
  const columns = columnList(target.columns);
  const keys = columnList(target.rule.key);
  await client.query(`create temporary table ${staging} on commit drop as select ${columns} from ${table} with no data`);
  await client.query(`alter table ${staging} add column ${rowColumn} bigserial`);
  const copied = await copyIntoTable(client, staging, target.columns, target.open());

  const nullKey = await client.query<{ row: string }>(
    `select ${rowColumn} as row from ${staging} where ${target.rule.key.map((k) => `${quoteIdentifier(k)} is null`).join(' or ')} order by 1 limit 1`,
  );
  const bad = nullKey.rows[0];
  if (bad) {
    const row = Number(bad.row);
    throw new FileDataError(`row ${row}: merge key (${target.rule.key.join(', ')}) is empty`, row, target.rule.key[0]);
  }
  const rows = quoteIdentifier(ROWS_TABLE);
  const deduped = await client.query(
    `create temporary table ${rows} on commit drop as select distinct on (${keys}) ${columns} from ${staging} order by ${keys}, ${rowColumn} desc`,
  );
  await client.query(`drop table ${staging}`);
  // Statistics, so the joins below are planned for the real size (a temp table has none).
  await client.query(`analyze ${rows}`);
  return [copied, deduped.rowCount ?? 0];
}

// Before the upsert: how many of the file's keys a newer load protects, and the old time values of
// the rows the upsert will rewrite. One join, skipped when there is nothing to learn from it.
async function inspectUpdates(client: PoolClient, table: string, target: ModeTarget, timeColumns: readonly TimeColumn[]): Promise<{ protectedKeys: number; ranges: TimeRanges }> {
  const valueColumns = target.columns.filter((c) => !target.rule.key.includes(c));
  const guard = protectedRow('x', target.newerLoadIds);
  if (guard.values.length === 0 && (timeColumns.length === 0 || valueColumns.length === 0)) return { protectedKeys: 0, ranges: {} };
  const changed = valueColumns.length === 0 ? 'false' : `not ${guard.text} and ${tuple('x', valueColumns)} is distinct from ${tuple('f', valueColumns)}`;
  const result = await client.query<Record<string, unknown> & { protected: string }>(
    `select ${[`count(*) filter (where ${guard.text}) as protected`, ...rangeAggregates('x', timeColumns, changed)].join(', ')}
     from ${table} x join ${quoteIdentifier(ROWS_TABLE)} f on ${sameKey('x', 'f', target.rule.key)}`,
    guard.values,
  );
  const row = result.rows[0];
  return { protectedKeys: Number(row?.protected ?? 0), ranges: rangesFromRow(timeColumns, row) };
}

async function upsert(client: PoolClient, table: string, target: ModeTarget): Promise<{ inserted: number; updated: number }> {
  const columns = columnList(target.columns);
  const keys = columnList(target.rule.key);
  const valueColumns = target.columns.filter((c) => !target.rule.key.includes(c));
  const guard = protectedRow('x', target.newerLoadIds);
  // The lineage column moves to this load (its DEFAULT filled `excluded`'s) only where a value changed.
  const assignments = [...valueColumns, LINEAGE_COLUMN].map((c) => `${quoteIdentifier(c)} = excluded.${quoteIdentifier(c)}`);
  const onConflict = valueColumns.length === 0
    ? 'do nothing'
    : `do update set ${assignments.join(', ')} where ${tuple('x', valueColumns)} is distinct from ${tuple('excluded', valueColumns)} and not ${guard.text}`;
  const result = await client.query<{ inserted: string; updated: string }>(
    `with written as (
       insert into ${table} as x (${columns}) select ${columns} from ${quoteIdentifier(ROWS_TABLE)}
       on conflict (${keys}) ${onConflict}
       returning (xmax = 0) as inserted)
     select count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated from written`,
    valueColumns.length === 0 ? [] : guard.values,
  );
  const row = result.rows[0];
  return { inserted: Number(row?.inserted ?? 0), updated: Number(row?.updated ?? 0) };
}

// deleteMissing: rows whose key the file lacks, except those a newer load wrote; returns their count
// and the old values' time ranges. `inFile` false: the file has no rows, every unprotected row goes.
async function deleteMissing(client: PoolClient, table: string, target: ModeTarget, timeColumns: readonly TimeColumn[], inFile: boolean): Promise<{ deleted: number; ranges: TimeRanges }> {
  const guard = protectedRow('x', target.newerLoadIds);
  const missing = inFile ? `not exists (select 1 from ${quoteIdentifier(ROWS_TABLE)} f where ${sameKey('f', 'x', target.rule.key)})` : 'true';
  const returned = timeColumns.length > 0 ? timeColumns.map((c) => `x.${quoteIdentifier(c.name)}`).join(', ') : '1';
  const result = await client.query<Record<string, unknown> & { deleted: string }>(
    `with gone as (delete from ${table} x where ${missing} and not ${guard.text} returning ${returned})
     select ${['count(*) as deleted', ...rangeAggregates('gone', timeColumns)].join(', ')} from gone`,
    guard.values,
  );
  const row = result.rows[0];
  return { deleted: Number(row?.deleted ?? 0), ranges: rangesFromRow(timeColumns, row) };
}

export const mergeMode: LoadModeImplementation = {
  requiresUniqueKey: true,
  ordering: 'key',
  fullSnapshot: (rule) => rule.deleteMissing,
  async write(target) {
    const { client } = target;
    const table = qualifiedName(target.schema, target.table);
    const timeColumns = await target.timeColumns();
    if (target.rows === 0) {
      // No rows, and no DDL made the file's columns exist: only a full snapshot changes the table (to empty).
      if (!target.rule.deleteMissing) return { counts: noCounts(), removedRanges: {} };
      const gone = await deleteMissing(client, table, target, timeColumns, false);
      return { counts: { ...noCounts(), deleted: gone.deleted }, removedRanges: gone.ranges };
    }
    const [written, keys] = await stageRows(client, target, table);
    const gone = target.rule.deleteMissing ? await deleteMissing(client, table, target, timeColumns, true) : { deleted: 0, ranges: {} };
    const before = await inspectUpdates(client, table, target, timeColumns);
    const { inserted, updated } = await upsert(client, table, target);
    const counts = { written, inserted, updated, unchanged: keys - inserted - updated - before.protectedKeys, deleted: gone.deleted, supersededKeys: before.protectedKeys };
    return { counts, removedRanges: unionTimeRanges([gone.ranges, before.ranges]) };
  },
};
