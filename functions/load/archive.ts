// After the commit: the raw file moves to the archive area and the staged objects go away. Every step
// is conditional on generations, so repeating it after a crash or a redelivery is harmless.
import type { Bucket } from '@google-cloud/storage';
import type { Logger } from '../../shared/logger';
import type { ObjectRef } from '../../shared/messages';
import { isNotFound, isPreconditionFailed } from '../../shared/storage-errors';
import { copyOnce } from '../runtime/copy-once';

export type ArchiveOutcome = 'archived' | 'already-archived' | 'raw-missing';

// Load may read and create in the archive, not overwrite (copyOnce).
export async function archiveRaw(bucket: Bucket, raw: ObjectRef, archiveName: string, logger: Logger): Promise<ArchiveOutcome> {
  let outcome: ArchiveOutcome;
  try {
    const copied = await copyOnce(bucket.file(raw.object, { generation: raw.generation }), bucket.file(archiveName));
    outcome = copied === 'present' ? 'already-archived' : 'archived';
  } catch (error) {
    if (isNotFound(error)) {
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
