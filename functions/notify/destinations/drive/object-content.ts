// A file's bytes in Cloud Storage, for the Drive upload: its size, its SHA-256 and a stream from any
// offset. The hash comes, cheapest first, from fetch's record of the file, from the stamp copy-to-raw
// put on the raw object (custom metadata `sluiceSourceSha256`, which archiving and quarantine copy
// along), or from reading the object once; it is needed before the first byte goes to Drive, where it
// is the dedupe key (appProperties.sha256).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileMetadata, Storage } from '@google-cloud/storage';
import { PermanentError, TransientError } from '../../../../shared/errors';
import { isNotFound } from '../../../../shared/storage-errors';

export interface ObjectContent {
  size: number;
  sha256: string;
  contentType: string;
  open(start?: number): Readable;
}

export async function objectContent(storage: Storage, bucket: string, object: string, known: { sha256?: string }): Promise<ObjectContent> {
  const file = storage.bucket(bucket).file(object);
  let metadata: FileMetadata;
  try {
    [metadata] = await file.getMetadata();
  } catch (error) {
    if (isNotFound(error)) throw new PermanentError(`gs://${bucket}/${object} no longer exists, so it cannot be copied to Drive`);
    throw new TransientError(`reading gs://${bucket}/${object}: ${(error as Error).message}`);
  }
  const generation = metadata.generation;
  // Pinned to the generation read: what is hashed is what is uploaded.
  const pinned = storage.bucket(bucket).file(object, generation !== undefined ? { generation: Number(generation) } : {});
  const open = (start = 0) => pinned.createReadStream({ validation: false, ...(start > 0 ? { start } : {}) });
  const stamped = metadata.metadata?.sluiceSourceSha256;
  const sha256 = known.sha256 ?? (typeof stamped === 'string' && /^[0-9a-f]{64}$/.test(stamped) ? stamped : await hashOf(open()));
  return { size: Number(metadata.size), sha256, contentType: metadata.contentType ?? 'application/octet-stream', open };
}

async function hashOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) hash.update(chunk);
  });
  return hash.digest('hex');
}
