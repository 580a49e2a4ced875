// Moves a file that can never load to the quarantine area, keeping it byte for byte with its reason in
// the object's metadata. Each step tolerates having been done already, so a redelivery finishes the job.
import type { Storage } from '@google-cloud/storage';
import { baseName, objectName, parseObjectName } from '../../shared/object-names';
import type { StageName } from '../../shared/stage-declaration';
import type { QuarantineInput } from './context';

const gone = (error: unknown) => [404, 412].includes(Number((error as { code?: number }).code));

export async function quarantineObject(storage: Storage, input: QuarantineInput, stage: StageName): Promise<string> {
  const bucket = storage.bucket(input.object.bucket);
  const location = parseObjectName(input.object.object);
  const target = location
    ? objectName('quarantine', location)
    : `quarantine/unknown/${input.runId}/${baseName(input.object.object)}`;
  const source = bucket.file(input.object.object, { generation: Number(input.object.generation) });
  try {
    // Create-only: a second delivery finds the copy there (412) and moves on.
    // The copy's body is the destination resource, so `metadata` here is its custom metadata.
    await source.copy(bucket.file(target), {
      preconditionOpts: { ifGenerationMatch: 0 },
      metadata: {
        sluiceRunId: input.runId,
        sluiceStage: stage,
        sluiceReason: input.reason.slice(0, 1024),
        ...(input.row !== undefined ? { sluiceRow: String(input.row) } : {}),
      },
    });
  } catch (error) {
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
