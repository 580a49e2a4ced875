// What a run's deliveries left behind in the staged area: a transform killed mid-write, or racing a
// redelivery, leaves a staged CSV and sidecar no load will ever read. Transform records each
// attempt's token on the file before writing (stageStarted), so the run's end can delete exactly those
// objects without listing the bucket (which the functions' object-prefix grants do not allow). Only
// files that ended are cleaned: a file still in flight when its run failed may yet be loaded. The
// staged area's lifecycle rule stays the backstop for what an attempt wrote after the cleanup.
// A file that ended failed in load keeps the staged objects of the message transform published for
// it (functions/runtime/staged-for-rerun.ts): a rerun from load reuses them; the lifecycle rule on
// staged/ (sluice:stagedRetentionDays, 7 days by default) removes them after that.
import { stagedDataName, stagedSchemaName } from '../../shared/object-names';
import { isNotFound } from '../../shared/storage-errors';
import type { StageContext } from '../runtime/context';
import type { FileRecord } from '../runtime/run-record';
import { stagedObjectsKept } from '../runtime/staged-for-rerun';

export async function removeStagedLeftovers(ctx: StageContext, runId: string, files: FileRecord[]): Promise<number> {
  const bucket = ctx.storage.bucket(ctx.bucket);
  const names = files
    .filter((f) => f.status && f.status !== 'pending' && f.name)
    .flatMap((f) => {
      const kept = new Set(stagedObjectsKept(f));
      return (f.stagedTokens ?? []).flatMap((token) => {
        const location = { pipeline: ctx.pipeline.name, runId, path: f.name };
        return [stagedDataName(location, token), stagedSchemaName(location, token)];
      }).filter((name) => !kept.has(name));
    });
  let removed = 0;
  for (const name of names) {
    try {
      await bucket.file(name).delete();
      removed += 1;
    } catch (error) {
      if (!isNotFound(error)) throw error; // loaded (load deletes its own) or never written
    }
  }
  if (removed > 0) ctx.logger.info('staged leftovers removed', { runId, removed });
  return removed;
}
