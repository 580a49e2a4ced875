// The target table as the file needs it: created when absent (typed from the sidecar, with a unique
// key for merge, and the row lineage column); under schema 'evolve' new file columns are added and
// columns whose type is narrower than the file's widened in place (column-widening.ts), under 'strict'
// either quarantines the file. Runs inside the load transaction, under the table's advisory lock, so
// DDL and COPY see one consistent table; every change is recorded in sluice_schema_history by the same
// transaction.
//
// Widening is ALTER TABLE … ALTER COLUMN … TYPE … USING: it rewrites the table under an ACCESS
// EXCLUSIVE lock held until the load commits, so readers wait for the commit (bounded by their own
// timeouts) and never see a half-changed table; the ALTER itself waits at most the load's lock_timeout
// for readers to finish (then the load is retried). All of a file's widenings are one statement, one
// rewrite.
import type { PoolClient } from 'pg';
import { PermanentError } from '../../shared/errors';
import type { ColumnType } from '../../shared/pipeline-definition';
import type { StagedColumn } from '../../shared/staged-sidecar';
import { conversion, knownColumnType, widenedType, type KnownColumnType } from './column-widening';
import { FileDataError } from './file-data-error';
import { columnList, qualifiedName, quoteIdentifier } from './quote-identifier';
import { LINEAGE_COLUMN, addLineageColumn, lineageColumnDefinition } from './row-lineage';
import { recordSchemaChanges, type ChangeOrigin, type SchemaChange } from './schema-history';

export interface TableSpec {
  schema: string;
  table: string;
  columns: readonly StagedColumn[];
  // Columns that must be unique together (a mode that upserts on the rule's key needs a unique index
  // on exactly them: ON CONFLICT needs one); empty for none.
  uniqueKey: readonly string[];
  policy: 'evolve' | 'strict';
  // The rule's time zone: a date column widened to timestamptz takes midnight in it.
  timeZone: string;
  // The file and run the changes are recorded under.
  origin: ChangeOrigin;
}

export interface WidenedColumn {
  column: string;
  from: string;
  to: ColumnType;
}

export interface TableChanges {
  created: boolean;
  added: string[];
  widened: WidenedColumn[];
}

export const noTableChanges = (): TableChanges => ({ created: false, added: [], widened: [] });

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

export interface TableColumn {
  name: string;
  // pg_type.typname (int4, timestamptz, varchar, …).
  typname: string;
}

export async function tableColumnTypes(client: PoolClient, schema: string, table: string): Promise<TableColumn[]> {
  const result = await client.query<TableColumn>(
    `select a.attname as name, t.typname from pg_attribute a
     join pg_type t on t.oid = a.atttypid
     join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
     order by a.attnum`,
    [schema, table],
  );
  return result.rows;
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
  const { schema, table, columns, uniqueKey: key } = spec;
  const needsKey = key.length > 0;
  const target = qualifiedName(schema, table);
  const fileColumns = columns.map((c) => c.name);
  if (needsKey) {
    const missing = key.filter((k) => !fileColumns.includes(k));
    if (missing.length > 0) throw new PermanentError(`key column(s) ${missing.join(', ')} are not in the file (columns: ${fileColumns.join(', ')})`);
  }

  if (fileColumns.includes(LINEAGE_COLUMN)) throw new PermanentError(`the file has a column named ${LINEAGE_COLUMN}, which Sluice reserves for row lineage`);

  const existing = await tableColumnTypes(client, schema, table);
  if (existing.length === 0) {
    const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${sqlType(c.type)}`);
    definitions.push(lineageColumnDefinition());
    if (needsKey) definitions.push(`primary key (${columnList(key)})`);
    await client.query(`create table ${target} (${definitions.join(', ')})`);
    return { created: true, added: [], widened: [] };
  }

  const present = new Map(existing.map((c) => [c.name, c.typname]));
  if (!present.has(LINEAGE_COLUMN)) await addLineageColumn(client, schema, table);
  const added = columns.filter((c) => !present.has(c.name));
  const widened = widenings(columns, present);
  if (spec.policy === 'strict') refuseChanges(schema, table, added, widened);
  for (const column of added) {
    await client.query(`alter table ${target} add column ${quoteIdentifier(column.name)} ${sqlType(column.type)}`);
  }
  if (widened.length > 0) await widen(client, schema, table, widened, spec.timeZone);
  const changes: SchemaChange[] = [
    ...added.map((c) => ({ column: c.name, from: null, to: c.type })),
    ...widened.map((w) => ({ column: w.column, from: w.from, to: w.to })),
  ];
  await recordSchemaChanges(client, schema, table, changes, spec.origin);
  if (needsKey && !(await hasUniqueIndexOn(client, schema, table, key))) {
    // A table made by someone else: ON CONFLICT needs a unique index on exactly the key.
    await client.query(`create unique index ${quoteIdentifier(mergeIndexName(table))} on ${target} (${columnList(key)})`);
  }
  return { created: false, added: added.map((c) => c.name), widened: widened.map(({ column, from, to }) => ({ column, from, to })) };
}

interface Widening extends WidenedColumn {
  known: KnownColumnType;
}

function widenings(columns: readonly StagedColumn[], present: ReadonlyMap<string, string>): Widening[] {
  const result: Widening[] = [];
  for (const column of columns) {
    const typname = present.get(column.name);
    const known = typname === undefined ? undefined : knownColumnType(typname);
    if (!known) continue;
    const to = widenedType(known, column.type);
    if (to) result.push({ column: column.name, from: known, to, known });
  }
  return result;
}

function refuseChanges(schema: string, table: string, added: readonly StagedColumn[], widened: readonly Widening[]): void {
  if (added.length > 0) {
    throw new PermanentError(`the file has column(s) ${added.map((c) => c.name).join(', ')} that table ${schema}.${table} does not have, and its import rule is schema 'strict'`);
  }
  const first = widened[0];
  if (first) {
    const all = widened.map((w) => `${w.column} is ${w.from} in table ${schema}.${table} but ${w.to} in the file`).join('; ');
    throw new FileDataError(`column ${all}, and its import rule is schema 'strict' (schema 'evolve' would widen it)`, undefined, first.column);
  }
}

// SQLSTATE 0A000 (feature not supported) is what PostgreSQL raises for a column a view or rule uses.
const FEATURE_NOT_SUPPORTED = '0A000';

async function widen(client: PoolClient, schema: string, table: string, widened: readonly Widening[], timeZone: string): Promise<void> {
  const clauses = widened.map((w) => `alter column ${quoteIdentifier(w.column)} type ${sqlType(w.to)} using ${conversion(w.column, w.known, w.to, timeZone)}`);
  try {
    await client.query(`alter table ${qualifiedName(schema, table)} ${clauses.join(', ')}`);
  } catch (error) {
    const { code, detail } = error as { code?: unknown; detail?: unknown };
    if (code !== FEATURE_NOT_SUPPORTED) throw error;
    // Not a retry: the view stays until someone changes it. Name what depends on the column.
    const what = widened.map((w) => `${w.column} from ${w.from} to ${w.to}`).join(', ');
    throw new FileDataError(
      `table ${schema}.${table} cannot widen column ${what} for this file: ${(error as Error).message}${typeof detail === 'string' ? ` (${detail})` : ''}; drop or recreate the view with the wider type, then load the file again (SQLSTATE ${FEATURE_NOT_SUPPORTED})`,
      undefined, widened[0]?.column, { cause: error },
    );
  }
}
