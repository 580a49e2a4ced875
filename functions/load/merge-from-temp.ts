// Merge mode: COPY into a temporary table shaped like the target, then one upsert. Within one file
// the last row for a key wins (its position is kept in a serial column, since COPY fills it in file
// order); a row with a NULL key is refused because it could never be matched again.
import type { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { copyIntoTable } from './copy-into-table';
import { FileDataError } from './file-data-error';
import { columnList, qualifiedName, quoteIdentifier } from './quote-identifier';
import { LINEAGE_COLUMN } from './row-lineage';

const TEMP_TABLE = 'sluice_merge_staging';
// '#' cannot occur in a file column name (they are identifiers or lower_snake_case), so no clash.
const ROW_COLUMN = 'sluice_row#';

export interface MergeSpec {
  schema: string;
  table: string;
  columns: readonly string[];
  key: readonly string[];
}

export async function mergeFromFile(client: PoolClient, spec: MergeSpec, source: Readable): Promise<number> {
  const target = qualifiedName(spec.schema, spec.table);
  const temp = quoteIdentifier(TEMP_TABLE);
  const rowColumn = quoteIdentifier(ROW_COLUMN);
  const columns = columnList(spec.columns);
  const keys = columnList(spec.key);

  await client.query(`create temporary table ${temp} on commit drop as select ${columns} from ${target} with no data`);
  await client.query(`alter table ${temp} add column ${rowColumn} bigserial`);
  const copied = await copyIntoTable(client, temp, spec.columns, source);

  const nullKey = await client.query<{ row: string }>(
    `select ${rowColumn} as row from ${temp} where ${spec.key.map((k) => `${quoteIdentifier(k)} is null`).join(' or ')} order by 1 limit 1`,
  );
  const bad = nullKey.rows[0];
  if (bad) {
    const row = Number(bad.row);
    throw new FileDataError(`row ${row}: merge key (${spec.key.join(', ')}) is empty`, row, spec.key[0]);
  }

  // The lineage column moves to the load that wrote the row last (its DEFAULT filled `excluded`'s).
  const updates = [...spec.columns.filter((c) => !spec.key.includes(c)), LINEAGE_COLUMN].map((c) => `${quoteIdentifier(c)} = excluded.${quoteIdentifier(c)}`);
  const onConflict = `do update set ${updates.join(', ')}`;
  await client.query(
    `insert into ${target} (${columns})
     select distinct on (${keys}) ${columns} from ${temp} order by ${keys}, ${rowColumn} desc
     on conflict (${keys}) ${onConflict}`,
  );
  return copied;
}
