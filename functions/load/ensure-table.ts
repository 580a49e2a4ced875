// The target table as the file needs it: created when absent (typed from the sidecar, with a unique
// key for merge, and the row lineage column), new file columns added under schema 'evolve' or refused under 'strict'. Runs inside
// the load transaction, under the table's advisory lock, so DDL and COPY see one consistent table.
import type { PoolClient } from 'pg';
import { PermanentError } from '../../shared/errors';
import type { ColumnType } from '../../shared/pipeline-definition';
import type { StagedColumn } from '../../shared/staged-sidecar';
import { columnList, qualifiedName, quoteIdentifier } from './quote-identifier';
import { LINEAGE_COLUMN, addLineageColumn, lineageColumnDefinition } from './row-lineage';

export interface TableSpec {
  schema: string;
  table: string;
  columns: readonly StagedColumn[];
  mode: 'append' | 'replace' | 'merge';
  key: readonly string[];
  policy: 'evolve' | 'strict';
}

export interface TableChanges {
  created: boolean;
  added: string[];
}

// A closed list: type names are SQL keywords, never taken from input as text.
const SQL_TYPES: Record<ColumnType, string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
};

export function sqlType(type: ColumnType): string {
  const sql = SQL_TYPES[type];
  if (!sql) throw new PermanentError(`unknown column type "${String(type)}"`);
  return sql;
}

export async function tableColumns(client: PoolClient, schema: string, table: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `select a.attname as name from pg_attribute a
     join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
     order by a.attnum`,
    [schema, table],
  );
  return result.rows.map((r) => r.name);
}

async function hasUniqueIndexOn(client: PoolClient, schema: string, table: string, key: readonly string[]): Promise<boolean> {
  const result = await client.query(
    `select 1 from pg_index i
     join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2 and i.indisunique and i.indpred is null and i.indexprs is null
       and (select array_agg(a.attname::text order by a.attname::text) from pg_attribute a
            where a.attrelid = c.oid and a.attnum = any(i.indkey)) = $3::text[]
       and cardinality(i.indkey) = cardinality($3::text[])`,
    [schema, table, [...key].sort()],
  );
  return (result.rowCount ?? 0) > 0;
}

function mergeIndexName(table: string): string {
  const suffix = '_sluice_merge_key';
  return table.slice(0, 63 - suffix.length) + suffix;
}

export async function ensureTable(client: PoolClient, spec: TableSpec): Promise<TableChanges> {
  const { schema, table, columns, mode, key } = spec;
  const target = qualifiedName(schema, table);
  const fileColumns = columns.map((c) => c.name);
  if (mode === 'merge') {
    const missing = key.filter((k) => !fileColumns.includes(k));
    if (missing.length > 0) throw new PermanentError(`merge key column(s) ${missing.join(', ')} are not in the file (columns: ${fileColumns.join(', ')})`);
  }

  if (fileColumns.includes(LINEAGE_COLUMN)) throw new PermanentError(`the file has a column named ${LINEAGE_COLUMN}, which Sluice reserves for row lineage`);

  const existing = await tableColumns(client, schema, table);
  if (existing.length === 0) {
    const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${sqlType(c.type)}`);
    definitions.push(lineageColumnDefinition());
    if (mode === 'merge') definitions.push(`primary key (${columnList(key)})`);
    await client.query(`create table ${target} (${definitions.join(', ')})`);
    return { created: true, added: [] };
  }

  const present = new Set(existing);
  if (!present.has(LINEAGE_COLUMN)) await addLineageColumn(client, schema, table);
  const added = columns.filter((c) => !present.has(c.name));
  if (added.length > 0 && spec.policy === 'strict') {
    throw new PermanentError(`the file has column(s) ${added.map((c) => c.name).join(', ')} that table ${schema}.${table} does not have, and its import rule is schema 'strict'`);
  }
  for (const column of added) {
    await client.query(`alter table ${target} add column ${quoteIdentifier(column.name)} ${sqlType(column.type)}`);
  }
  if (mode === 'merge' && !(await hasUniqueIndexOn(client, schema, table, key))) {
    // A table made by someone else: ON CONFLICT needs a unique index on exactly the key.
    await client.query(`create unique index ${quoteIdentifier(mergeIndexName(table))} on ${target} (${columnList(key)})`);
  }
  return { created: false, added: added.map((c) => c.name) };
}
