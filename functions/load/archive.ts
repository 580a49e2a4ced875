// After the commit: the raw file moves to the archive area and the staged objects go away. Every step
// is conditional on generations, so repeating it after a crash or a redelivery is harmless.
import type { Bucket } from '@google-cloud/storage';
import type { Logger } from '../../shared/logger';
import type { ObjectRef } from '../../shared/messages';
import { isNotFound, isPreconditionFailed } from '../../shared/storage-errors';

export type ArchiveOutcome = 'archived' | 'already-archived' | 'raw-missing';

// Load may read and create in the archive, not overwrite; Cloud Storage may refuse a create-only copy
// onto an existing object with 403 rather than 412, so an existing copy is looked for first, and a
// refused copy is accepted once the copy is seen to exist.
export async function archiveRaw(bucket: Bucket, raw: ObjectRef, archiveName: string, logger: Logger): Promise<ArchiveOutcome> {
  let outcome: ArchiveOutcome = 'archived';
  const archived = bucket.file(archiveName);
  try {
    if ((await archived.exists())[0]) {
      outcome = 'already-archived';
    } else {
      // ifGenerationMatch 0: only if the archive copy does not exist yet.
      await bucket.file(raw.object, { generation: raw.generation }).copy(archived, { preconditionOpts: { ifGenerationMatch: 0 } });
    }
  } catch (error) {
    if (isPreconditionFailed(error)) {
      outcome = 'already-archived';
    } else if (Number((error as { code?: unknown }).code) === 403 && (await archived.exists())[0]) {
      outcome = 'already-archived';
    } else if (isNotFound(error)) {
      const [exists] = await bucket.file(archiveName).exists();
      outcome = exists ? 'already-archived' : 'raw-missing';
      if (!exists) logger.warn('raw object gone and not in the archive; nothing to archive', { raw: raw.object, generation: raw.generation, archive: archiveName });
    } else {
      throw error;
    }
  }
  await deleteObject(bucket, raw.object, raw.generation);
  return outcome;
}

// Deletes that object, only at that generation when given (a newer upload under the same name stays);
// already gone (404) or replaced (412) is fine.
export async function deleteObject(bucket: Bucket, name: string, generation?: string): Promise<void> {
  try {
    await bucket.file(name).delete(generation === undefined ? {} : { ifGenerationMatch: Number(generation) });
  } catch (error) {
    if (isNotFound(error) || isPreconditionFailed(error)) return;
    throw error;
  }
}
