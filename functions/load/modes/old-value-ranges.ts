// Time ranges of rows as they are in the table (before a mode deletes or overwrites them), in the
// shape transform reports a file's: per column, ISO text of min and max. Computed in SQL by aggregates
// over the affected rows, so no row travels to the client; formatted by to_char so node-postgres's
// Date conversion (and the host's zone) plays no part. Whole seconds: only the dates matter.
import type { PoolClient } from 'pg';
import type { TimeRanges } from '../load-ledger';
import { quoteIdentifier } from '../quote-identifier';

export interface TimeColumn {
  name: string;
  type: 'date' | 'timestamp' | 'timestamptz';
}

const TYPES: Record<string, TimeColumn['type']> = {
  date: 'date',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
};

export async function tableTimeColumns(client: PoolClient, schema: string, table: string): Promise<TimeColumn[]> {
  const result = await client.query<{ name: string; type: string }>(
    `select a.attname as name, format_type(a.atttypid, null) as type from pg_attribute a
     join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
       and a.atttypid in ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
     order by a.attnum`,
    [schema, table],
  );
  return result.rows.flatMap((r) => {
    const type = TYPES[r.type];
    return type ? [{ name: r.name, type }] : [];
  });
}

function formatted(expression: string, type: TimeColumn['type']): string {
  if (type === 'date') return `to_char(${expression}, 'YYYY-MM-DD')`;
  if (type === 'timestamp') return `to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS')`;
  return `to_char((${expression}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
}

// Select-list items `r<i>_min`, `r<i>_max` over `alias`'s time columns, counting only rows matching
// `filter` (SQL built from identifiers, never from values). `prefix` in place of `r<i>_` names the
// items of a one-column list, so several lists with their own filters fit in one select.
export function rangeAggregates(alias: string, columns: readonly TimeColumn[], filter?: string, prefix?: string): string[] {
  const where = filter ? ` filter (where ${filter})` : '';
  return columns.flatMap((c, i) => {
    const column = `${alias}.${quoteIdentifier(c.name)}`;
    const name = prefix ?? `r${i}_`;
    return [`${formatted(`min(${column})${where}`, c.type)} as ${name}min`, `${formatted(`max(${column})${where}`, c.type)} as ${name}max`];
  });
}

export function rangesFromRow(columns: readonly TimeColumn[], row: Record<string, unknown> | undefined, prefix?: string): TimeRanges {
  const ranges: TimeRanges = {};
  columns.forEach((c, i) => {
    const name = prefix ?? `r${i}_`;
    const min = row?.[`${name}min`];
    const max = row?.[`${name}max`];
    if (typeof min === 'string' && typeof max === 'string' && min !== '' && max !== '') ranges[c.name] = { min, max };
  });
  return ranges;
}
