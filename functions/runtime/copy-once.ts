// Copies an object to a name only if nothing is there yet, for a stage that may create in the target
// area but not overwrite (objectCreator): a redelivery finds the earlier copy and goes on. Cloud
// Storage may refuse a create-only copy onto an existing object with 403 rather than 412, so an
// existing copy is looked for first, and a refused copy counts once the copy is seen to exist.
// Errors about the source (404: it is gone) are the caller's to judge.
import type { CopyOptions, File } from '@google-cloud/storage';
import { isForbidden, isPreconditionFailed } from '../../shared/storage-errors';

export type CopyOnceOutcome = 'copied' | 'present';

export async function copyOnce(source: File, destination: File, options: Omit<CopyOptions, 'preconditionOpts'> = {}): Promise<CopyOnceOutcome> {
  if ((await destination.exists())[0]) return 'present';
  try {
    // ifGenerationMatch 0: only if no generation of the name exists; a concurrent delivery that
    // copied first wins.
    await source.copy(destination, { ...options, preconditionOpts: { ifGenerationMatch: 0 } });
    return 'copied';
  } catch (error) {
    if (isPreconditionFailed(error)) return 'present';
    if (isForbidden(error) && (await destination.exists())[0]) return 'present';
    throw error;
  }
}
