// Which column types a file may widen a table's column to, and the SQL conversion of the values already
// there. Types widen along two chains, each topped by text:
//   smallint → integer → bigint → numeric → text
//   date → timestamp → timestamptz → text
//   boolean → text
// Two types on different chains meet at text. A file type at or below the table's needs nothing (COPY
// reads an integer into a bigint or numeric column, a date into a timestamptz one).
import type { ColumnType } from '../../shared/pipeline-definition';
import { quoteIdentifier } from './quote-identifier';

// The table column types this module knows, by pg_type.typname. Anything else (varchar, real, jsonb, a
// user's domain) was chosen by someone on purpose: it is never widened, and COPY says whether the
// file's values fit it.
export type KnownColumnType = ColumnType | 'smallint';
const BY_TYPNAME: Record<string, KnownColumnType> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  numeric: 'numeric',
  text: 'text',
  bool: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
};

const CHAINS: ReadonlyArray<readonly KnownColumnType[]> = [
  ['smallint', 'integer', 'bigint', 'numeric'],
  ['date', 'timestamp', 'timestamptz'],
  ['boolean'],
];

export function knownColumnType(typname: string): KnownColumnType | undefined {
  return BY_TYPNAME[typname];
}

// The type the table's column must become to take the file's values, or undefined when it takes them
// as it is.
export function widenedType(table: KnownColumnType, file: ColumnType): ColumnType | undefined {
  if (table === file || table === 'text') return undefined;
  if (file === 'text') return 'text';
  const chain = CHAINS.find((c) => c.includes(table));
  if (chain && chain.includes(file)) return chain.indexOf(file) > chain.indexOf(table) ? file : undefined;
  return 'text';
}

// PostgreSQL accepts IANA names (and offsets like +05:30); the definition's zone was validated by Intl,
// this only keeps anything else out of the literal.
const ZONE = /^[A-Za-z0-9_+\-/]{1,64}$/;

// The USING expression that turns the column's current values into `to`. Every conversion is explicit
// and independent of the session: DateStyle and TimeZone never decide a value.
//  - a date becomes midnight, a timestamp the same wall-clock time, in `timeZone` (the rule's zone,
//    default UTC) when the column becomes timestamptz;
//  - date/time values become ISO-8601 text (timestamptz in UTC with a Z), numbers and booleans their
//    canonical text.
export function conversion(column: string, from: KnownColumnType, to: ColumnType, timeZone: string): string {
  const value = quoteIdentifier(column);
  if (to === 'text') {
    switch (from) {
      case 'date': return `to_char(${value}, 'YYYY-MM-DD')`;
      case 'timestamp': return `regexp_replace(to_char(${value}, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.?0+$', '')`;
      case 'timestamptz': return `regexp_replace(to_char(${value} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.?0+$', '') || 'Z'`;
      default: return `${value}::text`;
    }
  }
  if (to === 'timestamptz') {
    if (!ZONE.test(timeZone)) throw new Error(`time zone ${JSON.stringify(timeZone)} cannot be used in a conversion`);
    const zone = `'${timeZone}'`;
    return from === 'date' ? `(${value}::timestamp at time zone ${zone})` : `(${value} at time zone ${zone})`;
  }
  return `${value}::${to === 'timestamp' ? 'timestamp' : to}`;
}
