// One staged file into its table, in ONE transaction: table lock, ledger claim, DDL, COPY (or merge),
// ledger row count, commit. Either all of it happened or none of it did; a second delivery finds the
// ledger row and loads nothing.
import type { Readable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { PermanentError, TransientError } from '../../shared/errors';
import type { StagedMessage } from '../../shared/messages';
import type { ImportRule } from '../../shared/pipeline-definition';
import type { StagedSidecar } from '../../shared/staged-sidecar';
import { isNotFound } from '../../shared/storage-errors';
import { lockForTransaction } from '../runtime/advisory-lock';
import { classifyPgError } from './classify-pg-error';
import { copyIntoTable } from './copy-into-table';
import { ensureTable, tableColumns, type TableChanges } from './ensure-table';
import { FileDataError, StagedObjectGoneError } from './file-data-error';
import { claimLoad, ensureLedger, findLoad, recordRows, type LedgerRow } from './load-ledger';
import { mergeFromFile } from './merge-from-temp';
import { qualifiedName } from './quote-identifier';

export interface LoadFileInput {
  pool: Pool;
  schema: string;
  rule: ImportRule;
  message: StagedMessage;
  sidecar: StagedSidecar;
  // Opens the staged CSV (at the message's generation) for reading.
  openStaged(): Readable;
}

export type LoadFileResult =
  | { kind: 'loaded'; rows: number; changes: TableChanges }
  | { kind: 'already-loaded'; ledger: LedgerRow };

export async function loadFile(input: LoadFileInput): Promise<LoadFileResult> {
  const { pool, schema, rule, message, sidecar } = input;
  const table = rule.table;
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new TransientError(`cannot connect to the database: ${(error as Error).message}`, { cause: error });
  }
  let broken = false;
  try {
    await client.query('begin');
    await lockForTransaction(client, `sluice:table:${schema}.${table}`);
    await ensureLedger(client, schema);
    const claimed = await claimLoad(client, schema, {
      raw: message.raw, runId: message.runId, fileKey: message.fileKey, table, rule: rule.name, timeRanges: sidecar.timeRanges,
    });
    if (!claimed) {
      await client.query('rollback');
      const ledger = await findLoad(client, schema, message.raw);
      if (!ledger) throw new Error(`ledger row for ${message.raw.object}#${message.raw.generation} vanished`);
      return { kind: 'already-loaded', ledger };
    }

    let rows = 0;
    let changes: TableChanges = { created: false, added: [] };
    const columns = sidecar.columns.map((c) => c.name);
    if (sidecar.rows === 0) {
      // Nothing to load and no values to type new columns by: no DDL. Replace still means "the table
      // is now this file", i.e. empty.
      if (rule.mode === 'replace' && (await tableColumns(client, schema, table)).length > 0) {
        await client.query(`delete from ${qualifiedName(schema, table)}`);
      }
    } else {
      changes = await ensureTable(client, { schema, table, columns: sidecar.columns, mode: rule.mode, key: rule.key, policy: rule.schema });
      // delete, not truncate: readers keep seeing the old rows until commit, and nothing else is locked out.
      if (rule.mode === 'replace') await client.query(`delete from ${qualifiedName(schema, table)}`);
      rows = rule.mode === 'merge'
        ? await mergeFromFile(client, { schema, table, columns, key: rule.key }, input.openStaged())
        : await copyIntoTable(client, qualifiedName(schema, table), columns, input.openStaged());
    }
    await recordRows(client, schema, message.raw, rows);
    await client.query('commit');
    return { kind: 'loaded', rows, changes };
  } catch (error) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw translate(error, schema, table, () => {
      broken = true;
    });
  } finally {
    client.release(broken);
  }
}

function translate(error: unknown, schema: string, table: string, markBroken: () => void): unknown {
  if (error instanceof PermanentError || error instanceof StagedObjectGoneError) return error;
  if (isNotFound(error)) return new StagedObjectGoneError('the staged object at that generation no longer exists', { cause: error });
  const info = classifyPgError(error);
  const message = (error as Error)?.message ?? String(error);
  if (info.kind === 'data') {
    // COPY counts the header as line 1, so data row = line - 1.
    const row = info.line !== undefined ? info.line - 1 : undefined;
    const where = [row !== undefined ? `row ${row}` : null, info.column ? `column ${info.column}` : null].filter(Boolean).join(', ');
    return new FileDataError(`load into ${schema}.${table} failed${where ? ` at ${where}` : ''}: ${message} (SQLSTATE ${info.code})`, row, info.column, { cause: error });
  }
  markBroken();
  if (info.kind === 'transient') return new TransientError(`database unavailable: ${message}`, { cause: error });
  return error;
}
