import type { GcsContext } from './context';
import { gcsErrors } from './errors';
import type { ContentHashes } from './hashes';
import type { StagingBlob } from './blob-store';
import type { Preconditions } from './preconditions';
import type { ObjectFields, ObjectRecord } from './types';

// The last step of every upload: check the hashes the client sent, turn the staged bytes into a
// blob, and make it the live generation if the preconditions still hold.

export interface ClientHashes {
  md5Hash?: string;
  crc32c?: string;
}

/** `X-Goog-Hash: crc32c=...,md5=...` (sent by the client on the final request). */
export function hashesFromHeader(header: string | string[] | undefined): ClientHashes {
  const out: ClientHashes = {};
  for (const part of [header ?? []].flat().join(',').split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 'md5') out.md5Hash = value;
    if (key === 'crc32c') out.crc32c = value;
  }
  return out;
}

export function verifyHashes(actual: ContentHashes, expected: ClientHashes): void {
  if (expected.md5Hash && expected.md5Hash !== actual.md5Hash) {
    throw gcsErrors.invalid(`Provided MD5 hash "${expected.md5Hash}" doesn't match calculated MD5 hash "${actual.md5Hash}".`);
  }
  if (expected.crc32c && expected.crc32c !== actual.crc32c) {
    throw gcsErrors.invalid(`Provided CRC32C "${expected.crc32c}" doesn't match calculated CRC32C "${actual.crc32c}".`);
  }
}

export async function finalizeUpload(
  ctx: GcsContext,
  staging: StagingBlob,
  hashes: ContentHashes,
  target: {
    bucket: string;
    name: string;
    fields: ObjectFields;
    preconditions: Preconditions;
    expected?: ClientHashes;
    /** Access.write of the uploader: may it create, or replace, the object? */
    authorize?: (previous: ObjectRecord | undefined) => void;
  },
): Promise<ObjectRecord> {
  try {
    verifyHashes(hashes, target.expected ?? {});
  } catch (err) {
    await staging.discard();
    throw err;
  }
  const blobId = await staging.commit();
  return ctx.state.putObject(
    { bucket: target.bucket, name: target.name, blobId, fields: target.fields, ...hashes },
    target.preconditions,
    target.authorize,
  );
}
