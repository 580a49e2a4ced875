// The SQL side of a roll-up: what kind of time column the aggregate reads, and one GROUP BY per
// granularity over the affected dates. Identifiers are quoted; the time zone and dates are bound
// parameters, never spliced into the text.
import type { PoolClient } from 'pg';
import { PermanentError } from '../../shared/errors';
import type { AggregateDefinition } from '../../shared/pipeline-definition';
import type { DateRange } from './affected-dates';

export type Granularity = AggregateDefinition['granularities'][number];

// timestamp and date hold local wall time already; timestamptz holds instants.
export type TimeColumnKind = 'timestamp' | 'timestamptz' | 'date';

export interface RollupBucket {
  granularity: Granularity;
  // `2026-11-21T18` (hour) or `2026-11-21` (date), in the aggregate's time zone.
  bucket: string;
  date: string;
  hour?: number;
  dims: Record<string, string | null>;
  count: number;
  sums: Record<string, number>;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const KINDS: Record<string, TimeColumnKind> = {
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  date: 'date',
};

export async function timeColumnKind(client: PoolClient, schema: string, table: string, column: string): Promise<TimeColumnKind> {
  const result = await client.query<{ data_type: string }>(
    'select data_type from information_schema.columns where table_schema = $1 and table_name = $2 and column_name = $3',
    [schema, table, column],
  );
  const type = result.rows[0]?.data_type;
  if (type === undefined) throw new PermanentError(`time column ${schema}.${table}.${column} does not exist`);
  const kind = KINDS[type];
  if (!kind) throw new PermanentError(`time column ${schema}.${table}.${column} is ${type}; an aggregate needs date, timestamp or timestamptz`);
  return kind;
}

export interface RollupQuery {
  text: string;
  values: string[];
}

export function rollupQuery(aggregate: AggregateDefinition, schema: string, kind: TimeColumnKind, granularity: Granularity, range: DateRange): RollupQuery {
  const time = `t.${quoteIdent(aggregate.time)}`;
  const values: string[] = [];
  const param = (value: string) => {
    values.push(value);
    return `$${values.length}`;
  };
  let local: string;
  let where: string;
  if (kind === 'timestamptz') {
    const zone = param(aggregate.timeZone);
    local = `(${time} AT TIME ZONE ${zone})`;
    // Bounds converted to instants, so the filter is on the column itself and can use an index.
    where = `${time} >= (${param(range.from)}::date::timestamp AT TIME ZONE ${zone}) AND ${time} < ((${param(range.to)}::date + 1)::timestamp AT TIME ZONE ${zone})`;
  } else {
    local = kind === 'date' ? `${time}::timestamp` : time;
    where = `${time} >= ${param(range.from)}::date AND ${time} < (${param(range.to)}::date + 1)`;
  }
  // Hour buckets are wall-clock hours: the repeated hour when DST ends falls into one bucket.
  const bucket = granularity === 'hour' ? `to_char(date_trunc('hour', ${local}), 'YYYY-MM-DD"T"HH24')` : `to_char(${local}, 'YYYY-MM-DD')`;
  const dims = aggregate.by.map((column, i) => `t.${quoteIdent(column)}::text AS d${i}`);
  // ::numeric accepts integer, numeric and numeric-looking text columns alike; float8 comes back as a JS number.
  const sums = aggregate.sum.map((column, i) => `coalesce(sum(t.${quoteIdent(column)}::numeric), 0)::float8 AS s${i}`);
  const groupBy = [1, 2, ...aggregate.by.map((_, i) => i + 3)].join(', ');
  const text = [
    `SELECT ${[`${bucket} AS bucket`, `to_char(${local}, 'YYYY-MM-DD') AS date`, ...dims, 'count(*)::float8 AS n', ...sums].join(', ')}`,
    `FROM ${quoteIdent(schema)}.${quoteIdent(aggregate.table)} t`,
    `WHERE ${where}`,
    `GROUP BY ${groupBy}`,
  ].join('\n');
  return { text, values };
}

export async function computeBuckets(client: PoolClient, aggregate: AggregateDefinition, schema: string, kind: TimeColumnKind, granularity: Granularity, range: DateRange): Promise<RollupBucket[]> {
  const query = rollupQuery(aggregate, schema, kind, granularity, range);
  const result = await client.query<Record<string, unknown>>(query.text, query.values);
  return result.rows.map((row) => {
    const bucket = String(row.bucket);
    const dims: Record<string, string | null> = {};
    aggregate.by.forEach((column, i) => {
      const value = row[`d${i}`];
      dims[column] = value === null || value === undefined ? null : String(value);
    });
    const sums: Record<string, number> = {};
    aggregate.sum.forEach((column, i) => {
      sums[column] = Number(row[`s${i}`] ?? 0);
    });
    return {
      granularity,
      bucket,
      date: String(row.date),
      ...(granularity === 'hour' ? { hour: Number(bucket.slice(11, 13)) } : {}),
      dims,
      count: Number(row.n),
      sums,
    };
  });
}
