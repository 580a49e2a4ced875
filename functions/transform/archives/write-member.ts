// Uploads one member as a raw object of its own, create-only (ifGenerationMatch 0): a redelivered
// archive event finds the member written and leaves it (its bucket notification fired once).
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '@google-cloud/storage';
import { asStageError, isForbidden, isPreconditionFailed } from '../../../shared/storage-errors';
import { contentTypeOf, RESUMABLE_THRESHOLD_BYTES } from '../../fetch/copy-to-raw';

export type MemberWrite = 'created' | 'present';

export interface MemberUpload {
  bucket: Bucket;
  objectName: string;
  bytes: number;
  metadata: Record<string, string>;
  // Opened only when the object is not there yet.
  open(): Promise<Readable>;
  meter: Transform;
}

export async function writeMember(upload: MemberUpload): Promise<MemberWrite> {
  const file = upload.bucket.file(upload.objectName);
  const exists = async () => (await file.exists())[0];
  if (await exists()) return 'present';
  const contentType = contentTypeOf(upload.objectName);
  try {
    await pipeline(
      await upload.open(),
      upload.meter,
      file.createWriteStream({
        resumable: upload.bytes > RESUMABLE_THRESHOLD_BYTES,
        preconditionOpts: { ifGenerationMatch: 0 },
        contentType,
        metadata: { contentType, metadata: upload.metadata },
      }),
    );
    return 'created';
  } catch (error) {
    // A racing delivery wrote it first (412, or 403 for a create-only write onto an existing object).
    if ((isPreconditionFailed(error) || isForbidden(error)) && (await exists())) return 'present';
    throw asStageError(error, `writing archive member gs://${upload.bucket.name}/${upload.objectName}`);
  }
}
