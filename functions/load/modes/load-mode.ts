// The load-mode seam: what one mode (append, replace, merge) does to its table inside the load's
// transaction. load-file.ts wraps every mode the same way (table lock, ledger claim, supersede by
// lineage, ordering guard, DDL via ensureTable, commit); a mode only writes the staged rows and says
// what changed, including the time ranges of the OLD values it removed or overwrote, so aggregate
// recomputes the dates those rows left as well as the dates in the file.
import type { PoolClient } from 'pg';
import type { ImportRule } from '../../../shared/pipeline-definition';
import type { TimeRanges } from '../load-ledger';
import type { TimeColumn } from './old-value-ranges';

export interface ModeCounts {
  // Rows read from the staged file (COPY's count).
  written: number;
  inserted: number;
  // Rows whose values changed (merge): rewritten, lineage moved to this load.
  updated: number;
  // Keys in the file whose row already had these values: not rewritten, lineage kept.
  unchanged: number;
  // Rows removed by the mode (replace: the old content; merge deleteMissing: keys not in the file).
  deleted: number;
  // Keys in the file whose row a NEWER file wrote (merge's per-key ordering guard): left as they are.
  supersededKeys: number;
  // Rows set aside in `<table>__rejects` (the rule's maxRejectPercent), not written.
  rejected: number;
}

export interface ModeOutcome {
  counts: ModeCounts;
  // Per date/time column, min/max of the old values of the rows deleted or updated.
  removedRanges: TimeRanges;
}

export interface ModeTarget {
  client: PoolClient;
  schema: string;
  table: string;
  // The staged file's columns, in file order. When `rows` > 0 the table has every one of them.
  columns: readonly string[];
  rows: number;
  rule: Pick<ImportRule, 'key' | 'deleteMissing'>;
  // Loads of this table whose source is newer than this file's (the per-key ordering guard): rows
  // whose lineage is one of them are neither overwritten nor deleted. Empty: no newer load.
  newerLoadIds: readonly string[];
  // The table's date and time columns, as they are now (after ensureTable).
  timeColumns(): Promise<TimeColumn[]>;
  // COPYs the staged CSV into `into` (an already quoted table name: the target, or a mode's temporary
  // table) under the rule's reject policy: rows failing their type go to `<table>__rejects` (see
  // copy-into-table.ts). Returns the rows written and the rows set aside.
  copy(into: string): Promise<{ rows: number; rejected: number }>;
}

// How a file older than what the table already holds is treated:
//   none   every file adds its own rows (append); no guard;
//   table  the file sets the whole table (replace): superseded when any newer file was loaded into it;
//   key    per key (merge): superseded when a newer full snapshot was loaded; otherwise only the rows
//          a newer file wrote are protected (`newerLoadIds`).
export type OrderingGuard = 'none' | 'table' | 'key';

export interface LoadModeImplementation {
  // ensureTable gives the table a unique index on the rule's key (ON CONFLICT needs one).
  readonly requiresUniqueKey: boolean;
  readonly ordering: OrderingGuard;
  // Whether a file under this rule decides every row of the table, so an older file arriving after
  // it can change nothing (recorded in the ledger; see `ordering`).
  fullSnapshot(rule: Pick<ImportRule, 'deleteMissing'>): boolean;
  write(target: ModeTarget): Promise<ModeOutcome>;
}

export const noCounts = (): ModeCounts => ({ written: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, supersededKeys: 0, rejected: 0 });
