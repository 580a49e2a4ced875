// Streams a staged CSV into a table with COPY FROM STDIN: the only way file values reach the database,
// so nothing from the file is ever part of SQL text.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { columnList } from './quote-identifier';

// `target` is an already quoted (schema-qualified or temp) table name.
export async function copyIntoTable(client: PoolClient, target: string, columns: readonly string[], source: Readable): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${target} (${columnList(columns)}) FROM STDIN WITH (FORMAT csv, HEADER true)`));
  await pipeline(source, copy);
  return copy.rowCount;
}
