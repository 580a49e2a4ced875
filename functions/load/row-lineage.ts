// Row lineage: every loaded table has a `_sluice_load` column holding the ledger's load id of the file
// each row came from, so a new version of a source file can remove exactly the rows of the old one.
//
// The column's DEFAULT reads a transaction-local setting that the load sets to its load id, so COPY
// and the merge's INSERT fill it without it being in the file or the statement: no per-row work in
// JavaScript, and the COPY column list stays the file's. Cost measured by bench/lineage-cost.ts.
// No index on it: loads (every file) would pay for it, supersedes (rare) scan the table instead.
//
// Tables created before lineage get the column on their next load (one ALTER TABLE, which holds an
// exclusive lock until that load commits); their existing rows have NULL there, so they belong to no
// load and a new version of their source file cannot remove them.
import type { PoolClient } from 'pg';
import { qualifiedName, quoteIdentifier } from './quote-identifier';

export const LINEAGE_COLUMN = '_sluice_load';
const SETTING = 'sluice.load_id';

export function lineageColumnDefinition(): string {
  return `${quoteIdentifier(LINEAGE_COLUMN)} bigint default (nullif(current_setting('${SETTING}', true), ''))::bigint`;
}

export async function setLoadId(client: PoolClient, loadId: string): Promise<void> {
  await client.query('select set_config($1, $2, true)', [SETTING, loadId]);
}

export async function addLineageColumn(client: PoolClient, schema: string, table: string): Promise<void> {
  await client.query(`alter table ${qualifiedName(schema, table)} add column if not exists ${lineageColumnDefinition()}`);
}

// Deletes the rows those loads wrote; `columns` are the table's current columns (none: no table).
export async function deleteRowsOfLoads(client: PoolClient, schema: string, table: string, columns: readonly string[], loadIds: readonly string[]): Promise<number> {
  if (loadIds.length === 0 || !columns.includes(LINEAGE_COLUMN)) return 0;
  const result = await client.query(`delete from ${qualifiedName(schema, table)} where ${quoteIdentifier(LINEAGE_COLUMN)} = any($1::bigint[])`, [loadIds]);
  return result.rowCount ?? 0;
}
