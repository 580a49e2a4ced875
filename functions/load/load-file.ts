// One staged file into its table, in ONE transaction: table lock, ledger claim of the source version,
// supersede (earlier versions' rows deleted by lineage, or this file refused as older), the ordering
// guard of its mode, DDL, the mode's write (modes/), ledger outcome, commit. Either all of it happened
// or none of it did; a second delivery of the same source version — under any raw name — finds the
// ledger row and loads nothing. Every mode is wrapped the same way: what differs is data on the mode
// (its ordering guard, whether it needs a unique key) and its `write`.
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { TransientError, isPermanent } from '../../shared/errors';
import type { StagedMessage } from '../../shared/messages';
import type { ImportRule } from '../../shared/pipeline-definition';
import { rawObjectIdentity } from '../../shared/source-identity';
import type { StagedSidecar } from '../../shared/staged-sidecar';
import { isNotFound } from '../../shared/storage-errors';
import { lockForTransaction } from '../runtime/advisory-lock';
import { classifyPgError, toStageError } from '../runtime/postgres/classify-pg-error';
import type { DatabaseBounds } from '../runtime/postgres/database-bounds';
import { withTransaction } from '../runtime/postgres/with-transaction';
import { copyStagedFile, type RejectPolicy } from './copy-into-table';
import { ensureTable, noTableChanges, tableColumns, type TableChanges } from './ensure-table';
import { FileDataError, StagedObjectGoneError } from './file-data-error';
import {
  claimLoad, ensureLedger, findLoad, loadedVersions, markReplaced, markSuperseded, newerLoadsOfTable, publishedRanges, recordOutcome, type LedgerRow, type TimeRanges,
} from './load-ledger';
import { noCounts, type LoadModeImplementation, type ModeCounts, type ModeOutcome } from './modes/load-mode';
import { loadModeImplementations } from './modes/load-modes';
import { tableTimeColumns } from './modes/old-value-ranges';
import { deleteRejectsOfLoads } from './rejects/rejects-table';
import { deleteRowsOfLoads, setLoadId } from './row-lineage';
import { unionTimeRanges } from './time-ranges';

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
  // This delivery loaded the file; `replaced` are the earlier versions of the same source whose rows it
  // removed; `timeRanges` covers the file, those versions, and the old values of the rows the mode
  // deleted or rewrote, so aggregate recomputes those dates too.
  | { kind: 'loaded'; rows: number; rejected: number; counts: ModeCounts; changes: TableChanges; loadId: string; replaced: LedgerRow[]; removedRows: number; timeRanges: TimeRanges }
  // An earlier delivery (under this raw name or another) already loaded or refused this source version.
  | { kind: 'already-loaded'; ledger: LedgerRow; timeRanges: TimeRanges }
  // Recorded, not applied: a newer version of the same source was loaded before this one arrived
  // ('source'), or the mode's ordering guard found a newer file already in the table ('table').
  | { kind: 'superseded'; by: LedgerRow; scope: 'source' | 'table' };

export async function loadFile(input: LoadFileInput): Promise<LoadFileResult> {
  const { pool, schema, rule, message, sidecar } = input;
  const table = rule.table;
  const mode = loadModeImplementations[rule.mode];
  const source = message.source ?? rawObjectIdentity(message.raw);
  try {
    return await withTransaction(pool, { bounds: input.bounds, what: `load into ${schema}.${table}` }, async (client): Promise<LoadFileResult> => {
      await lockForTransaction(client, `sluice:table:${schema}.${table}`);
      await ensureLedger(client, schema);
      const loadId = await claimLoad(client, schema, {
        raw: message.raw, source, runId: message.runId, fileKey: message.fileKey, table, rule: rule.name, timeRanges: sidecar.timeRanges,
        mode: rule.mode, fullSnapshot: mode.fullSnapshot(rule),
      });
      if (loadId === null) {
        const ledger = await findLoad(client, schema, source, message.raw);
        if (!ledger) throw new Error(`ledger row for ${source.id} (${source.version}) vanished`);
        return { kind: 'already-loaded', ledger, timeRanges: publishedRanges(ledger) };
      }

      // Earlier versions of this source file in this table: a newer one among them wins (this file is
      // recorded as superseded); otherwise this file replaces all of them.
      const earlier = await loadedVersions(client, schema, source, table, loadId, message.raw.bucket);
      const newer = earlier.filter((e) => isNewer(e.source.time, source.time)).at(-1);
      if (newer) {
        await markSuperseded(client, schema, loadId, newer.loadId);
        return { kind: 'superseded', by: newer, scope: 'source' };
      }
      // Other files of this table with a later source time: the mode's ordering guard.
      const guard = await orderingGuard(mode, await newerLoadsOfTable(client, schema, table, loadId, source.time, message.raw.bucket));
      if (guard.supersededBy) {
        await markSuperseded(client, schema, loadId, guard.supersededBy.loadId);
        return { kind: 'superseded', by: guard.supersededBy, scope: 'table' };
      }
      const replacedIds = earlier.map((e) => e.loadId);
      await markReplaced(client, schema, replacedIds, loadId);

      let changes: TableChanges = noTableChanges();
      const existing = await tableColumns(client, schema, table);
      const removedRows = await deleteRowsOfLoads(client, schema, table, existing, replacedIds);
      await deleteRejectsOfLoads(client, schema, table, replacedIds);
      // Nothing to load and no values to type new columns by: no DDL (the mode still runs on an
      // existing table: a replace or a full snapshot with no rows empties it).
      if (sidecar.rows > 0) {
        changes = await ensureTable(client, {
          schema, table, columns: sidecar.columns, uniqueKey: mode.requiresUniqueKey ? rule.key : [], policy: rule.schema,
          timeZone: rule.timeZone, origin: { raw: message.raw, runId: message.runId },
        });
      }
      // Only now: a lineage column ensureTable just added to an existing table takes its DEFAULT's
      // value at that moment for the rows already there, which must stay NULL (no load's rows).
      await setLoadId(client, loadId);
      const rejects: RejectPolicy = { maxRejectPercent: rule.maxRejectPercent, fileRows: sidecar.rows, schema, table, origin: { raw: message.raw, runId: message.runId, loadId } };
      const outcome: ModeOutcome = sidecar.rows > 0 || existing.length > 0
        ? await mode.write({
          client, schema, table, columns: sidecar.columns.map((c) => c.name), rows: sidecar.rows, rule, newerLoadIds: guard.protect,
          timeColumns: () => tableTimeColumns(client, schema, table),
          copy: (into) => copyStagedFile(client, into, sidecar.columns.map((c) => c.name), input.openStaged, rejects),
        })
        : { counts: noCounts(), removedRanges: {} };
      const rows = outcome.counts.written;
      await recordOutcome(client, schema, loadId, { rows, counts: { ...outcome.counts }, removedRanges: outcome.removedRanges });
      const timeRanges = unionTimeRanges([sidecar.timeRanges, outcome.removedRanges, ...earlier.map((e) => e.timeRanges)]);
      return { kind: 'loaded', rows, rejected: outcome.counts.rejected, counts: outcome.counts, changes, loadId, replaced: earlier, removedRows, timeRanges };
    });
  } catch (error) {
    throw translate(error, schema, table);
  }
}

// What the newer files already in the table mean for this one, by the mode's guard: superseded
// whole (replace: any newer file; merge: a newer full snapshot, which decided every key), or applied
// with the rows those newer files wrote protected (merge).
function orderingGuard(mode: LoadModeImplementation, newer: readonly LedgerRow[]): { supersededBy?: LedgerRow; protect: string[] } {
  if (mode.ordering === 'none' || newer.length === 0) return { protect: [] };
  const supersededBy = mode.ordering === 'table' ? newer[0] : newer.find((n) => n.fullSnapshot);
  return supersededBy ? { supersededBy, protect: [] } : { protect: newer.map((n) => n.loadId) };
}

// Whether a loaded version's source time is later than the arriving one's. Without both times the
// arrival order decides: the arriving file is the newer.
function isNewer(loaded: string | undefined, arriving: string | undefined): boolean {
  if (!loaded || !arriving) return false;
  return Date.parse(loaded) > Date.parse(arriving);
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
