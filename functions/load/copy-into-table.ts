// Streams a staged CSV into a table with COPY FROM STDIN: the only way file values reach the database,
// so nothing from the file is ever part of SQL text. Every load mode writes through here, into the
// table itself (append), a new or emptied one (replace) or a temporary one (merge).
import type { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { copyStream } from './copy-stream';
import { copyWithRejects, type RejectPolicy } from './rejects/copy-with-rejects';

export type { RejectPolicy } from './rejects/copy-with-rejects';

export interface CopyResult {
  // Rows written to `target`.
  rows: number;
  // Rows that failed their column's type and went to `<table>__rejects` instead (rejects policy only).
  rejected: number;
}

// `target` is an already quoted (schema-qualified or temp) table name. The plain COPY: any bad value
// fails the statement with PostgreSQL's own message, line and column.
export async function copyIntoTable(client: PoolClient, target: string, columns: readonly string[], source: Readable): Promise<number> {
  return copyStream(client, target, columns, source);
}

// The staged file into `target` under the rule's reject policy: without one (maxRejectPercent 0) the
// plain COPY above; with one, rows failing their type are set aside (rejects/copy-with-rejects.ts).
// `openStaged` may be called twice: the second pass reads the rejected rows' raw values.
export async function copyStagedFile(client: PoolClient, target: string, columns: readonly string[], openStaged: () => Readable, rejects?: RejectPolicy): Promise<CopyResult> {
  if (!rejects || rejects.maxRejectPercent <= 0) return { rows: await copyStream(client, target, columns, openStaged()), rejected: 0 };
  return copyWithRejects(client, target, columns, openStaged, rejects);
}
