// One COPY … FROM STDIN of a staged CSV (header, ',' and '"') into an already quoted table name.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { columnList } from './quote-identifier';

// `options`: extra COPY options, constant text (never from input), starting with ", ".
export async function copyStream(client: PoolClient, target: string, columns: readonly string[], source: Readable, options = ''): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${target} (${columnList(columns)}) FROM STDIN WITH (FORMAT csv, HEADER true${options})`));
  await pipeline(source, copy);
  return copy.rowCount;
}
