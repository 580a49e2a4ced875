// NOT NULL and CHECK constraints of the target, which COPY's ON_ERROR does not skip (it covers type
// input only): when the target has any on the file's columns, the file is copied into a temporary table
// without constraints first, the rows that would break one are found there, and only the others are
// moved into the target, in file order. Tables Sluice creates have neither (outside merge keys, which
// merge checks itself), so this costs nothing unless someone added constraints.
// Not screened: unique and foreign-key violations, and CHECKs that involve columns the file lacks; those
// still fail the whole file.
import type { PoolClient } from 'pg';
import { columnList, quoteIdentifier } from '../quote-identifier';

const SCREENING_TABLE = 'sluice_reject_screening';
// '#' cannot occur in a file column name (they are identifiers or lower_snake_case), so no clash.
const ROW_COLUMN = 'sluice_row#';

export interface ConstraintViolation {
  // 1-based position among the rows COPY accepted (rows skipped for their type are not counted).
  accepted: number;
  column: string;
  reason: string;
  sqlState: string;
}

interface RowConstraints {
  notNull: string[];
  // pg_get_expr of each CHECK: the table owner's own SQL from the catalog, never the file's.
  checks: Array<{ name: string; expression: string; column: string }>;
}

export interface Screening {
  // The quoted temporary table to COPY into.
  table: string;
  // Up to `limit` violations, in file order.
  violations(limit: number): Promise<ConstraintViolation[]>;
  // Moves the accepted rows into the target, except those the last violations() found; returns how many.
  moveInto(target: string): Promise<number>;
}

async function rowConstraints(client: PoolClient, target: string, columns: readonly string[]): Promise<RowConstraints> {
  const notNull = await client.query<{ name: string }>(
    `select attname as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and attnotnull
       and attname = any($2::text[]) order by attnum`,
    [target, columns],
  );
  const checks = await client.query<{ name: string; expression: string; column: string }>(
    `select c.conname as name, pg_get_expr(c.conbin, c.conrelid) as expression,
            (select a.attname from pg_attribute a where a.attrelid = c.conrelid and a.attnum = c.conkey[1]) as column
     from pg_constraint c
     where c.conrelid = $1::regclass and c.contype = 'c' and c.conkey is not null
       and not exists (select 1 from unnest(c.conkey) k join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k
                       where not (a.attname = any($2::text[])))
     order by c.conname`,
    [target, columns],
  );
  return { notNull: notNull.rows.map((r) => r.name), checks: checks.rows };
}

// The screening for `target` (a quoted table name), or undefined when it has nothing to screen.
// `relation` names the table in reasons.
export async function screeningFor(client: PoolClient, target: string, columns: readonly string[], relation: string): Promise<Screening | undefined> {
  const constraints = await rowConstraints(client, target, columns);
  if (constraints.notNull.length === 0 && constraints.checks.length === 0) return undefined;
  const table = quoteIdentifier(SCREENING_TABLE);
  const row = quoteIdentifier(ROW_COLUMN);
  // No constraints come with CREATE TABLE AS; the serial keeps the file's order.
  await client.query(`create temporary table ${table} on commit drop as select ${columnList(columns)} from ${target} with no data`);
  await client.query(`alter table ${table} add column ${row} bigserial`);

  // The first constraint each row breaks, as an index into `reasons` (CHECK: false, not NULL, breaks it).
  const reasons: Array<Omit<ConstraintViolation, 'accepted'>> = [
    ...constraints.notNull.map((c) => ({ column: c, reason: `null value in column "${c}" of relation "${relation}" violates not-null constraint`, sqlState: '23502' })),
    ...constraints.checks.map((c) => ({ column: c.column, reason: `new row for relation "${relation}" violates check constraint "${c.name}"`, sqlState: '23514' })),
  ];
  const tests = [
    ...constraints.notNull.map((c) => `${quoteIdentifier(c)} is null`),
    ...constraints.checks.map((c) => `not coalesce((${c.expression}), true)`),
  ];
  const broken = `case ${tests.map((t, i) => `when ${t} then ${i}`).join(' ')} end`;
  const found: Array<{ serial: string; accepted: number; column: string; reason: string; sqlState: string }> = [];

  return {
    table,
    async violations(limit) {
      const result = await client.query<{ serial: string; accepted: string; broken: number }>(
        `select serial, accepted, broken from (
           select ${row} as serial, row_number() over (order by ${row}) as accepted, ${broken} as broken from ${table}
         ) s where broken is not null order by serial limit $1`,
        [limit],
      );
      found.length = 0;
      for (const r of result.rows) found.push({ serial: r.serial, accepted: Number(r.accepted), ...(reasons[r.broken] as Omit<ConstraintViolation, 'accepted'>) });
      return found.map(({ serial: _, ...v }) => v);
    },
    async moveInto(destination) {
      const result = await client.query(
        `insert into ${destination} (${columnList(columns)}) select ${columnList(columns)} from ${table}
         where ${row} <> all($1::bigint[]) order by ${row}`,
        [found.map((f) => f.serial)],
      );
      return result.rowCount ?? 0;
    },
  };
}
