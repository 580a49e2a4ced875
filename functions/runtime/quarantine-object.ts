// Moves a file that can never load to the quarantine area, keeping it byte for byte with its reason in
// the object's metadata. Each step tolerates having been done already, so a redelivery finishes the job.
// A stage may only create in quarantine (objectCreator): it cannot overwrite, and Cloud Storage may
// refuse a create-only copy onto an existing object with 403 rather than 412. So the copy is skipped
// when the object is already there (the stage may read quarantine), and a refused copy is accepted
// once the object is seen to exist; otherwise the error stands and the message is retried.
import type { Storage } from '@google-cloud/storage';
import { baseName, objectName, parseObjectName } from '../../shared/object-names';
import type { StageName } from '../../shared/stage-declaration';
import type { QuarantineInput } from './context';

const gone = (error: unknown) => [404, 412].includes(Number((error as { code?: number }).code));

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
  const destination = bucket.file(target);
  const source = bucket.file(input.object.object, { generation: Number(input.object.generation) });
  if (!(await destination.exists())[0]) {
    try {
      // Create-only: a concurrent delivery that copied first wins; ours is refused.
      // The copy's body is the destination resource, so `metadata` here is its custom metadata.
      await source.copy(destination, {
        preconditionOpts: { ifGenerationMatch: 0 },
        metadata: {
          sluiceRunId: input.runId,
          sluiceStage: stage,
          sluiceReason: input.reason.slice(0, 1024),
          ...(input.row !== undefined ? { sluiceRow: String(input.row) } : {}),
        },
      });
    } catch (error) {
      if (!gone(error) && !(await destination.exists())[0]) throw error;
    }
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
