// Merge on the rule's key: COPY into a temporary table shaped like the target, a check of its keys
// (whether any repeats, whether any is NULL), then match every row against the table in one join
// whose result (a temporary "plan") holds only the rows that need something: new keys, changed rows
// (`is distinct from`), rows a newer load wrote, each with the ctid of its table row. Then an UPDATE
// of the changed rows (found by those ctids) and an INSERT of the new keys. An unchanged row is not
// rewritten and keeps the lineage of the load that last changed it. A key repeated in the file: its
// last row counts (the last in file order: one COPY into a new table fills its pages in order, so
// `ctid` order is file order — no serial column to fill per row); the earlier ones are dropped from
// the staging table first. With deleteMissing the file is a full snapshot: rows whose key is not in
// it are deleted. A row with a NULL key is refused (it could never be matched again). Per-key
// ordering guard: rows whose lineage is a newer load (`newerLoadIds`) are neither overwritten nor
// deleted, so a late older file never undoes a newer one.
//
// The join: when the file and the table both lie in key order (a sample of each, key-order.ts), a
// merge join reading both through their key indexes (a unique index on the staged keys, which is
// also the repeat check), the hash join turned off for that one statement; otherwise a hash join.
// At 1M rows with 10% changed, file and table in key order (bench/merge-steps.ts, server CPU, median
// of 3, embedded PostgreSQL 18): merge 2.26 s against append's 1.19 s = 0.53x (0.42x before: 2.84 s);
// through the load handler (`npm run bench -- --parts modes`) 2.19 s against 1.26 s = 0.58x.
// Per statement: COPY into staging 0.93 s, unique index 0.20 s (the count(distinct) pass it replaces
// 0.16 s), the plan 0.70 s (1.10 s hashed: 16 batches spilled to disk), UPDATE 0.40 s (0.59 s after
// the hash join, whose batches give the plan in no order; see planMerge). A shuffled file: 2.92 s
// (0.43x; 3.10 s before the plan was sorted for the UPDATE). With deleteMissing the plan's join is a
// full join, which finds the rows to delete too (by ctid, like the UPDATE): 2.38 s = 0.51x, against
// 3.55 s (0.36x) before this round, when a second anti join of the table against the staged keys
// (0.50-0.55 s) found them.
//
// Why a plan and not one INSERT ... ON CONFLICT DO UPDATE WHERE distinct: at 1M rows with 10% changed
// the upsert probes the key index once per row and took 0.29x append's time; the join plus an UPDATE
// of the 10% gives the counts and old values in the same pass. Why the plan holds only the rows to act
// on: at 1M rows a plan of all 1M rows, after a `distinct on` sort that spilled to disk and a nested
// loop of 1M index probes (the planner guessed 200 distinct keys in the unanalyzed staging table),
// took ~2.2 s of ~3.9 s. Measured and not taken (no gain, or a loss, at 1M rows; bench/merge-steps.ts
// times each statement by wall and server CPU): MERGE ... RETURNING (one join, ~1.9 s of CPU against
// ~1.85 s for the hash plan and the UPDATE; needs PostgreSQL 17+), work_mem 64-256MB (a one-batch hash
// join, no less CPU: 0.98 s against 0.95 s), ANALYZE of the staging table, COPY FREEZE into it, an
// unlogged staging table (parallel join ~0.3 s faster, parallel key pass ~0.1 s slower); and in the
// last round: a merge join over a sort of the staging table instead of its index (0.94 s, as hashed),
// the same merge join through the indexes on a shuffled file (2.34 s against 1.11 s: random reads of
// the staging table, hence the sample), one window pass (`lag() over ()`) for order, repeats and NULLs
// at once (0.25 s against 0.16 s for count(distinct) and 0.20 s for the index), comparing the rows'
// binary images (`*<>`, one comparison per row: 1.18 s against 0.95 s column by column, and 1.5 would
// differ from 1.50), work_mem 64MB for count(distinct) on a shuffled file (0.27 s against 0.29 s),
// maintenance_work_mem 16-256MB for the unique index (0.19-0.23 s, no gain), and for the UPDATE a
// nested loop of TID look-ups instead of hashing the ctids (0.38 s either way).
import type { PoolClient } from 'pg';
import { TransientError } from '../../../shared/errors';
import { FileDataError } from '../file-data-error';
import type { TimeRanges } from '../load-ledger';
import { columnList, qualifiedName, quoteIdentifier } from '../quote-identifier';
import { LINEAGE_COLUMN } from '../row-lineage';
import { unionTimeRanges } from '../time-ranges';
import { inKeyOrder } from './key-order';
import { noCounts, type LoadModeImplementation, type ModeCounts, type ModeTarget } from './load-mode';
import { rangeAggregates, rangesFromRow, type TimeColumn } from './old-value-ranges';

const STAGING_TABLE = 'sluice_merge_staging';
const PLAN_TABLE = 'sluice_merge_plan';
const STAGING_KEY_INDEX = quoteIdentifier('sluice_merge_staging_key');
const SAVEPOINT = 'sluice_merge_keys';
const UNIQUE_VIOLATION = '23505';
// '#' cannot occur in a file column name (they are identifiers or lower_snake_case), so no clash.
const NEW = quoteIdentifier('new#');
const CHANGED = quoteIdentifier('changed#');
const PROTECTED = quoteIdentifier('protected#');
const GONE = quoteIdentifier('gone#');
const ROW = quoteIdentifier('row#');
const oldColumn = (i: number) => quoteIdentifier(`old#${i}`);
const goneColumn = (i: number) => quoteIdentifier(`gone#${i}`);

interface Statement { text: string; values: unknown[] }

// "Row `alias` was written by a newer load": SQL with the ids as one bound array ($1), or plain false.
function protectedRow(alias: string, newer: readonly string[]): Statement {
  return newer.length === 0
    ? { text: 'false', values: [] }
    : { text: `coalesce(${alias}.${quoteIdentifier(LINEAGE_COLUMN)} = any($1::bigint[]), false)`, values: [newer] };
}

const sameKey = (a: string, b: string, key: readonly string[]) => key.map((k) => `${a}.${quoteIdentifier(k)} = ${b}.${quoteIdentifier(k)}`).join(' and ');
const tuple = (alias: string, columns: readonly string[]) => `(${columns.map((c) => `${alias}.${quoteIdentifier(c)}`).join(', ')})`;

// The first row with an empty key part, by its position in the file (the rows before it in ctid
// order, plus one), refused: such a row could never be matched again.
async function refuseEmptyKey(client: PoolClient, staging: string, key: readonly string[]): Promise<void> {
  const anyNull = key.map((k) => `${quoteIdentifier(k)} is null`).join(' or ');
  const nullKey = await client.query<{ row: string }>(
    `select (select count(*) from ${staging} s where s.ctid <= b.ctid) as row
     from (select ctid from ${staging} where ${anyNull} order by ctid limit 1) b`,
  );
  if (nullKey.rows.length === 0) return;
  const row = Number(nullKey.rows[0]?.row);
  throw new FileDataError(`row ${row}: merge key (${key.join(', ')}) is empty`, row, key[0]);
}

// A unique index on the staged keys; false (and nothing changed) when a key repeats.
async function uniqueKeyIndex(client: PoolClient, staging: string, key: readonly string[]): Promise<boolean> {
  await client.query(`savepoint ${SAVEPOINT}`);
  try {
    await client.query(`create unique index ${STAGING_KEY_INDEX} on ${staging} (${columnList(key)})`);
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await client.query(`rollback to savepoint ${SAVEPOINT}`);
    return false;
  }
  await client.query(`release savepoint ${SAVEPOINT}`);
  return true;
}

// The file's keys checked: how many distinct ones (fewer than the rows staged: a key repeats, and the
// earlier rows of each repeated key are deleted from the staging table, the last one counts), and
// none empty. Returns the count. `indexed` (the staged file is in key order, so merge will join
// through indexes): the check is a unique index on the staged keys, which the join then reads; it
// fails only when a key repeats (~0.2 s of CPU at 1M rows in key order, about what the sort of
// `count(distinct)` costs, and a separate pass saved). Otherwise, or when a key repeats, one pass:
// a single-column key counted by `count(distinct)`, which sorts: at 1M rows ~0.2 s of CPU on a file
// in key order and ~0.3 s shuffled, against ~0.6 s for the hash aggregate of `group by` (the planner
// guesses 200 groups in the unanalyzed staging table, so it spills to disk in ~20 batches whatever
// work_mem; bench/merge-steps.ts). A composite key keeps the `group by`: `count(distinct (a, b))`
// compares row values, ~3× slower than the hash aggregate on a shuffled file.
async function checkKeys(client: PoolClient, staging: string, key: readonly string[], staged: number, indexed: boolean): Promise<number> {
  if (indexed && await uniqueKeyIndex(client, staging, key)) {
    await refuseEmptyKey(client, staging, key);
    return staged;
  }
  const anyNull = key.map((k) => `${quoteIdentifier(k)} is null`).join(' or ');
  const keys = columnList(key);
  const { rows: [facts] } = await client.query<{ keys: string; null_key: boolean }>(key.length === 1
    ? `select count(distinct ${keys}) as keys, coalesce(bool_or(${anyNull}), false) as null_key from ${staging}`
    : `select count(*) as keys, coalesce(bool_or(${anyNull}), false) as null_key from (select ${keys} from ${staging} group by ${keys}) g`,
  );
  const fileKeys = Number(facts?.keys ?? 0);
  if (facts?.null_key) await refuseEmptyKey(client, staging, key);
  if (fileKeys < staged) {
    await client.query(`delete from ${staging} s where exists (select 1 from ${staging} d where ${sameKey('d', 's', key)} and d.ctid > s.ctid)`);
  }
  // Now unique: the join reads it.
  if (indexed) await client.query(`create unique index ${STAGING_KEY_INDEX} on ${staging} (${keys})`);
  return fileKeys;
}

// Runs `statement` with one planner setting changed, then puts it back (a failed statement aborts
// the transaction, which undoes the setting anyway).
async function withPlannerSetting<T>(client: PoolClient, name: string, value: string, statement: () => Promise<T>): Promise<T> {
  const { rows: [was] } = await client.query<{ value: string }>('select current_setting($1) as value', [name]);
  await client.query('select set_config($1, $2, true)', [name, value]);
  const result = await statement();
  await client.query('select set_config($1, $2, true)', [name, was?.value ?? value]);
  return result;
}

// The file's rows, one per key (the last), each matched against the table; returns the rows copied
// and the plan's counts and old values' ranges. With deleteMissing the join is a full join, so the
// table's rows the file lacks come out of the same join (into the plan, by ctid) instead of a
// second join of the whole table against the staged keys: at 1M rows that anti join took 0.50-0.55 s.
async function planMerge(client: PoolClient, target: ModeTarget, table: string, timeColumns: readonly TimeColumn[]): Promise<{ written: number; counts: Omit<ModeCounts, 'written'>; ranges: TimeRanges }> {
  const staging = quoteIdentifier(STAGING_TABLE);
  const columns = columnList(target.columns);
  const key = target.rule.key;
  await client.query(`create temporary table ${staging} on commit drop as select ${columns} from ${table} with no data`);
  const { rows: written, rejected } = await target.copy(staging);

  // Both in key order: a merge join reading both through their key indexes (see checkKeys, key-order.ts).
  const stagedInOrder = await inKeyOrder(client, staging, key);
  const fileKeys = await checkKeys(client, staging, key, written, stagedInOrder);
  const mergeJoin = stagedInOrder && await inKeyOrder(client, table, key);

  const valueColumns = target.columns.filter((c) => !key.includes(c));
  // A rewritten row's other columns keep their values: only the file's time columns move.
  const movedTimes = timeColumns.filter((c) => valueColumns.includes(c.name));
  const full = target.rule.deleteMissing;
  const guard = protectedRow('x', target.newerLoadIds);
  // A staged key is never NULL (checkKeys); a table row is there when it has a ctid (its key may be NULL).
  const inFile = full ? `f.${quoteIdentifier(key[0]!)} is not null` : 'true';
  const matched = `${full ? `${inFile} and ` : ''}x.ctid is not null`;
  const distinct = valueColumns.length === 0 ? 'false' : `${tuple('x', valueColumns)} is distinct from ${tuple('f', valueColumns)}`;
  const changed = `${matched} and not ${guard.text} and ${distinct}`;
  const gone = `not (${inFile}) and not ${guard.text}`;
  // Unchanged rows (the bulk of a daily snapshot) are left out of the plan: counted as the rest.
  const createPlan = () => client.query(
    `create temporary table ${quoteIdentifier(PLAN_TABLE)} on commit drop as
     select ${target.columns.map((c) => `f.${quoteIdentifier(c)}`).join(', ')}, ${inFile} and x.ctid is null as ${NEW}, ${matched} and ${guard.text} as ${PROTECTED}, ${changed} as ${CHANGED}, x.ctid as ${ROW}
       ${movedTimes.map((c, i) => `, x.${quoteIdentifier(c.name)} as ${oldColumn(i)}`).join('')}
       ${full ? `, ${gone} as ${GONE}${timeColumns.map((c, i) => `, x.${quoteIdentifier(c.name)} as ${goneColumn(i)}`).join('')}` : ''}
     from ${staging} f ${full ? 'full' : 'left'} join ${table} x on ${sameKey('x', 'f', key)}
     where ${full ? `(${inFile} and (x.ctid is null or ${guard.text} or ${distinct})) or (${gone})` : `x.ctid is null or ${guard.text} or ${distinct}`}
     ${mergeJoin ? '' : `order by x.ctid, ${key.map((k) => `f.${quoteIdentifier(k)}`).join(', ')}`}`,
    guard.values,
  );
  // Steered only for this statement: the planner, which knows neither side's order (no statistics on
  // the staging table), prefers the hash join. Without it, a small file in key order gets a nested
  // loop of key look-ups instead (a 10k-row delta into the 1M-row table: 0.03 s against 0.23 s for the
  // hash join, which reads the whole table). The merge join gives the plan in key order, so the
  // UPDATE rewrites the rows in the order of their pages and the index; the hash join's batches do not
  // (at 1M rows, 10% changed: the UPDATE 0.40 s in key order, 0.59-0.69 s in batch order), so that plan
  // is sorted by the rows' places (new keys last, by key): +0.03 s for the sort, -0.29 s of UPDATE on a
  // shuffled file.
  await (mergeJoin ? withPlannerSetting(client, 'enable_hashjoin', 'off', createPlan) : createPlan());
  // The old values' ranges: of the changed rows' moved time columns, and of every time column of the rows that go.
  const oldValues = [
    ...movedTimes.map((c, i) => ({ name: `old#${i}`, type: c.type, column: c.name, of: CHANGED })),
    ...(full ? timeColumns.map((c, i) => ({ name: `gone#${i}`, type: c.type, column: c.name, of: GONE })) : []),
  ];
  const summary = await client.query<Record<string, unknown> & { inserted: string; updated: string; protected: string; deleted: string }>(
    `select ${[`count(*) filter (where ${NEW}) as inserted`, `count(*) filter (where ${CHANGED}) as updated`, `count(*) filter (where ${PROTECTED}) as protected`,
      full ? `count(*) filter (where ${GONE}) as deleted` : '0 as deleted',
      ...oldValues.flatMap((v, i) => rangeAggregates('p', [v], `p.${v.of}`, `r${i}_`))].join(', ')} from ${quoteIdentifier(PLAN_TABLE)} p`,
  );
  const row = summary.rows[0];
  const n = (v: unknown) => Number(v ?? 0);
  const inserted = n(row?.inserted);
  const updated = n(row?.updated);
  const supersededKeys = n(row?.protected);
  // Named by the table's column, not the plan's.
  const ranges = unionTimeRanges(oldValues.map((v, i) => {
    const range = rangesFromRow([v], row, `r${i}_`)[v.name];
    return range ? { [v.column]: range } : {};
  }));
  return { written, counts: { inserted, updated, supersededKeys, rejected, deleted: n(row?.deleted), unchanged: fileKeys - inserted - updated - supersededKeys }, ranges };
}

// The changed rows rewritten (lineage: this load, by the column's DEFAULT), the new keys inserted.
// The UPDATE finds its rows by the ctid the plan recorded, fetched by one TID scan of the sorted ids
// (`ctid = any(array(...))`: the planner guesses 10 of them, so it hashes them and probes with the
// plan), not by joining the key against the whole table again: at 1M rows with 10% changed ~0.65 s
// of CPU against ~0.95 s for the hash join on the key (bench/merge-steps.ts). A plain join on ctid
// is planned as a hash join over every row of the table (~1 s). The ctids are valid: the load holds
// the table's lock, and what it deleted first (deleteMissing, by the plan's ctids too) are keys not in
// the file. A row another writer (outside Sluice) updated meanwhile is missed by its old ctid, so a
// short count means retry.
async function applyPlan(client: PoolClient, target: ModeTarget, table: string, counts: { inserted: number; updated: number; deleted: number }): Promise<void> {
  const plan = quoteIdentifier(PLAN_TABLE);
  const columns = columnList(target.columns);
  const valueColumns = target.columns.filter((c) => !target.rule.key.includes(c));
  if (counts.deleted > 0) {
    const deleted = await client.query(`delete from ${table} x where x.ctid = any(array(select ${ROW} from ${plan} where ${GONE}))`);
    if (deleted.rowCount !== counts.deleted) {
      throw new TransientError(`merge into ${table}: ${counts.deleted - (deleted.rowCount ?? 0)} of the ${counts.deleted} rows missing from the file were changed by another writer during the load`);
    }
  }
  if (counts.updated > 0) {
    const assignments = valueColumns.map((c) => `${quoteIdentifier(c)} = f.${quoteIdentifier(c)}`);
    assignments.push(`${quoteIdentifier(LINEAGE_COLUMN)} = default`);
    const updated = await client.query(
      `update ${table} x set ${assignments.join(', ')} from ${plan} f
       where x.ctid = any(array(select ${ROW} from ${plan} where ${CHANGED})) and x.ctid = f.${ROW} and f.${CHANGED}`,
    );
    if (updated.rowCount !== counts.updated) {
      throw new TransientError(`merge into ${table}: ${counts.updated - (updated.rowCount ?? 0)} of the ${counts.updated} changed rows were changed by another writer during the load`);
    }
  }
  if (counts.inserted > 0) {
    await client.query(`insert into ${table} (${columns}) select ${columns} from ${plan} where ${NEW}`);
  }
}

// A full snapshot without rows: every row goes, except those a newer load wrote; returns their count
// and the old values' time ranges.
async function deleteAll(client: PoolClient, table: string, target: ModeTarget, timeColumns: readonly TimeColumn[]): Promise<{ deleted: number; ranges: TimeRanges }> {
  const guard = protectedRow('x', target.newerLoadIds);
  const returned = timeColumns.length > 0 ? timeColumns.map((c) => `x.${quoteIdentifier(c.name)}`).join(', ') : '1';
  const result = await client.query<Record<string, unknown> & { deleted: string }>(
    `with gone as (delete from ${table} x where not ${guard.text} returning ${returned})
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
      const gone = await deleteAll(client, table, target, timeColumns);
      return { counts: { ...noCounts(), deleted: gone.deleted }, removedRanges: gone.ranges };
    }
    const plan = await planMerge(client, target, table, timeColumns);
    await applyPlan(client, target, table, plan.counts);
    return { counts: { written: plan.written, ...plan.counts }, removedRanges: plan.ranges };
  },
};
