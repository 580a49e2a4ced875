// One staged file into its table, in ONE transaction: table lock, ledger claim, DDL, COPY (or merge),
// ledger row count, commit. Either all of it happened or none of it did; a second delivery finds the
// ledger row and loads nothing.
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { TransientError, isPermanent } from '../../shared/errors';
import type { StagedMessage } from '../../shared/messages';
import type { ImportRule } from '../../shared/pipeline-definition';
import type { StagedSidecar } from '../../shared/staged-sidecar';
import { isNotFound } from '../../shared/storage-errors';
import { lockForTransaction } from '../runtime/advisory-lock';
import { classifyPgError, toStageError } from '../runtime/postgres/classify-pg-error';
import type { DatabaseBounds } from '../runtime/postgres/database-bounds';
import { withTransaction } from '../runtime/postgres/with-transaction';
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
  // Every database wait of the load stays below these (derived from the stage's timeout).
  bounds: DatabaseBounds;
  // Opens the staged CSV (at the message's generation) for reading.
  openStaged(): Readable;
}

export type LoadFileResult =
  | { kind: 'loaded'; rows: number; changes: TableChanges }
  | { kind: 'already-loaded'; ledger: LedgerRow };

export async function loadFile(input: LoadFileInput): Promise<LoadFileResult> {
  const { pool, schema, rule, message, sidecar } = input;
  const table = rule.table;
  try {
    return await withTransaction(pool, { bounds: input.bounds, what: `load into ${schema}.${table}` }, async (client) => {
      await lockForTransaction(client, `sluice:table:${schema}.${table}`);
      await ensureLedger(client, schema);
      const claimed = await claimLoad(client, schema, {
        raw: message.raw, runId: message.runId, fileKey: message.fileKey, table, rule: rule.name, timeRanges: sidecar.timeRanges,
      });
      if (!claimed) {
        const ledger = await findLoad(client, schema, message.raw);
        if (!ledger) throw new Error(`ledger row for ${message.raw.object}#${message.raw.generation} vanished`);
        return { kind: 'already-loaded', ledger } as const;
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
      return { kind: 'loaded', rows, changes } as const;
    });
  } catch (error) {
    throw translate(error, schema, table);
  }
}

// What a failure means for the file: its data or definition is wrong (quarantine, with the row and
// column COPY named), the staged object vanished (not an error of the file), or retry.
function translate(error: unknown, schema: string, table: string): unknown {
  if (isPermanent(error) || error instanceof StagedObjectGoneError || error instanceof TransientError) return error;
  if (isNotFound(error)) return new StagedObjectGoneError('the staged object at that generation no longer exists', { cause: error });
  const info = classifyPgError(error);
  if (info.kind === 'permanent') {
    const message = (error as Error)?.message ?? String(error);
    // COPY counts the header as line 1, so data row = line - 1.
    const row = info.line !== undefined ? info.line - 1 : undefined;
    const where = [row !== undefined ? `row ${row}` : null, info.column ? `column ${info.column}` : null].filter(Boolean).join(', ');
    return new FileDataError(`load into ${schema}.${table} failed${where ? ` at ${where}` : ''}: ${message} (SQLSTATE ${info.code})`, row, info.column, { cause: error });
  }
  return toStageError(error, `load into ${schema}.${table}`);
}
