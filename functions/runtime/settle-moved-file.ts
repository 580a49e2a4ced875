// A redelivered message for a file whose object an earlier delivery already moved out of the way. That
// delivery may have died after the move and before ending the file on the run, or after ending it and
// before publishing run-complete; either way the redelivery must finish the job, or the run never
// completes and nobody is told. Ending a file is idempotent and says "you ended the run" again to the
// delivery that did, so repeating it republishes completion at most once more (notify dedupes).
import type { FileLocation } from '../../shared/object-names';
import { objectName } from '../../shared/object-names';
import { isNotFound } from '../../shared/storage-errors';
import type { StageContext } from './context';

export type MovedFileOutcome = 'quarantine-settled' | 'not-quarantined';

// Finishes a file found in the quarantine area (with the reason its metadata keeps); says so when the
// file is not there, which leaves the caller's own judgement (archived, or a newer generation) to stand.
export async function settleQuarantinedFile(ctx: StageContext, runId: string, fileKey: string, location: FileLocation): Promise<MovedFileOutcome> {
  const quarantinedAs = objectName('quarantine', location);
  let metadata: Record<string, unknown>;
  try {
    [metadata] = await ctx.storage.bucket(ctx.bucket).file(quarantinedAs).getMetadata();
  } catch (error) {
    if (isNotFound(error)) return 'not-quarantined';
    throw error;
  }
  const custom = (metadata.metadata ?? {}) as Record<string, string | undefined>;
  const row = custom.sluiceRow !== undefined ? Number(custom.sluiceRow) : undefined;
  const stage = custom.sluiceStage === 'load' ? 'load' : 'transform';
  await ctx.finishFile(runId, fileKey, 'quarantined', {
    stage,
    error: custom.sluiceReason ?? 'quarantined',
    quarantinedAs,
    ...(row !== undefined && Number.isFinite(row) ? { row } : {}),
  });
  return 'quarantine-settled';
}
