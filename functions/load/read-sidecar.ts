// The staged file's sidecar JSON, validated; null when it is not there (cleaned up or never written).
import type { Bucket } from '@google-cloud/storage';
import { PermanentError } from '../../shared/errors';
import type { ObjectRef } from '../../shared/messages';
import { readableSidecarSchema, type StagedSidecar } from '../../shared/staged-sidecar';
import { isNotFound } from '../../shared/storage-errors';

export interface SidecarObject {
  ref: ObjectRef;
  sidecar: StagedSidecar;
}

export async function readSidecar(bucket: Bucket, name: string): Promise<SidecarObject | null> {
  let contents: Buffer;
  let generation: string;
  try {
    const [metadata] = await bucket.file(name).getMetadata();
    generation = String(metadata.generation);
    [contents] = await bucket.file(name, { generation }).download();
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(contents.toString('utf8'));
  } catch (error) {
    throw new PermanentError(`sidecar ${name} is not JSON`, { cause: error });
  }
  const parsed = readableSidecarSchema.safeParse(json);
  if (!parsed.success) {
    throw new PermanentError(`sidecar ${name} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { ref: { bucket: bucket.name, object: name, generation }, sidecar: parsed.data };
}
