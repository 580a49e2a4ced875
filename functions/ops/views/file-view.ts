// A file's row in a run's files grid: where it is or ended (the last stage it entered), its rows,
// its attempts per stage and why it ended as it did.
import type { FileRecord } from '../../runtime/run-record';
import type { FileView } from '../api-schemas';
import { isoOf } from './run-summary';

export const STAGE_ORDER = ['fetch', 'transform', 'load', 'aggregate', 'notify'] as const;

// The stage a file is in or ended in: the error's when it names one, else the last it entered.
export function stageOfFile(file: FileRecord): string | undefined {
  if (file.error?.stage) return file.error.stage;
  let last: string | undefined;
  for (const stage of STAGE_ORDER) if (file.stages?.[stage]) last = stage;
  return last;
}

export function toFileView(file: FileRecord): FileView {
  const attempts: Record<string, number> = {};
  for (const stage of STAGE_ORDER) {
    const n = file.stages?.[stage]?.attempts;
    if (typeof n === 'number') attempts[stage] = n;
  }
  const stage = stageOfFile(file);
  // A retry's error stays on its stage until the stage succeeds: show it while the file is pending.
  const pendingError = file.status === 'pending' && stage ? file.stages?.[stage as (typeof STAGE_ORDER)[number]]?.error : undefined;
  const reason = file.error?.message ?? file.skippedReason ?? pendingError;
  const endedAt = isoOf(file.endedAt);
  return {
    fileKey: file.fileKey,
    name: file.name ?? file.fileKey,
    status: file.status ?? 'pending',
    ...(stage ? { stage } : {}),
    ...(file.rule ? { rule: file.rule } : {}),
    ...(file.table ? { table: file.table } : {}),
    ...(file.rows !== undefined ? { rows: file.rows } : {}),
    attempts,
    ...(reason ? { reason } : {}),
    ...(file.error?.row !== undefined ? { row: file.error.row } : {}),
    ...(file.quarantinedAs ? { quarantinedAs: file.quarantinedAs } : {}),
    ...(endedAt ? { endedAt } : {}),
  };
}
