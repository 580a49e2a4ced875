// Moves a file that can never load to the quarantine area, keeping it byte for byte with its reason in
// the object's metadata. Each step tolerates having been done already, so a redelivery finishes the job.
// A stage may only create in quarantine, not overwrite: the copy is made once (copyOnce).
import type { Storage } from '@google-cloud/storage';
import { baseName, objectName, parseObjectName } from '../../shared/object-names';
import { redact } from '../../shared/redact';
import type { StageName } from '../../shared/stage-declaration';
import type { QuarantineInput } from './context';
import { copyOnce } from './copy-once';
import { isNotFound, isPreconditionFailed } from '../../shared/storage-errors';

// The object (at that generation) is no longer there: 404, or 412 for a generation precondition.
const gone = (error: unknown) => isNotFound(error) || isPreconditionFailed(error);

// Where a file goes: beside its own name in the layout; a name outside the layout (dropped by hand
// under raw/<pipeline>/) under the pipeline's own `unsorted/` folder, which its grants still cover.
export function quarantineTarget(input: QuarantineInput, pipeline: string): string {
  const location = parseObjectName(input.object.object);
  return location
    ? objectName('quarantine', location)
    : `quarantine/${pipeline}/${input.runId}/unsorted/${baseName(input.object.object)}`;
}

export async function quarantineObject(storage: Storage, input: QuarantineInput, stage: StageName, pipeline: string): Promise<string> {
  const bucket = storage.bucket(input.object.bucket);
  const target = quarantineTarget(input, pipeline);
  const source = bucket.file(input.object.object, { generation: Number(input.object.generation) });
  try {
    // The copy's body is the destination resource, so `metadata` here is its custom metadata.
    await copyOnce(source, bucket.file(target), {
      metadata: {
        sluiceRunId: input.runId,
        sluiceStage: stage,
        // Scrubbed before cut: a cut could halve a secret so that it no longer matches.
        sluiceReason: redact(input.reason).slice(0, 1024),
        ...(input.row !== undefined ? { sluiceRow: String(input.row) } : {}),
      },
    });
  } catch (error) {
    // The source already gone: an earlier delivery moved it.
    if (!gone(error)) throw error;
  }
  for (const ref of [input.object, ...(input.alsoDelete ?? [])]) {
    try {
      await bucket.file(ref.object).delete({ ifGenerationMatch: Number(ref.generation) });
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  return target;
}
