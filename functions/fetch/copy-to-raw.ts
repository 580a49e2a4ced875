// Streams one source item into the raw area, create-only. The object is written with
// ifGenerationMatch=0, so whatever number of deliveries copy the same file into the same name, one
// object generation exists and the bucket notification (which starts transform) fires once.
//
// Bytes are counted and hashed on their way through and the upload is aborted BEFORE it is finalized
// when the count differs from the size the listing gave (a file still being written, a short read) or
// the hash from the one the metadata declares: a wrong object can therefore not be created by us, and
// transform never sees a torn file. The hex SHA-256 is stored as the object's sluiceSourceSha256.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, FileMetadata } from '@google-cloud/storage';
import { TransientError, errorMessage, isPermanent } from '../../shared/errors';
import type { ObjectRef } from '../../shared/messages';
import { asStageError, isForbidden, isNotFound, isPreconditionFailed } from '../../shared/storage-errors';
import { IMPORT_RULES_METADATA_KEY } from '../transform/match-import-rule';
import { ExactSize, hashSource, measureSource, readSource } from './exact-content';

export { ExactSize } from './exact-content';

// Above this, a resumable upload (chunked, survives a dropped connection); below it one request is cheaper.
export const RESUMABLE_THRESHOLD_BYTES = 8 * 1024 * 1024;

export interface SourceStamp {
  runId: string;
  // The item's key: what load takes as the source's identity (sluiceSourcePath).
  sourcePath: string;
  // Bytes the source said it has; unknown: the item is read once first to count (and hash) it.
  size?: number;
  // The source's modification time when it has one (sluiceSourceMtime; orders versions at load).
  mtimeMs?: number;
  // Hex SHA-256 of the content when already known (content change detection hashed it to claim it):
  // the copy must hash to it, and an existing object is the same version when its hash is.
  sha256?: string;
  // The connector's own metadata (SourceItem.stamp), each key prefixed with SOURCE_STAMP_PREFIX.
  extra?: Readonly<Record<string, string>>;
  // The import rules the file may feed (SourceItem.imports): stamped as IMPORT_RULES_METADATA_KEY,
  // which transform honours (functions/transform/match-import-rule.ts).
  imports?: readonly string[];
}

// A connector's stamp keys land under this prefix, so they can never overwrite fetch's own.
export const SOURCE_STAMP_PREFIX = 'sluice-src-';

export interface CopyInput {
  bucket: Bucket;
  objectName: string;
  stamp: SourceStamp;
  // Printable origin for messages (defaults to stamp.sourcePath).
  source?: string;
  // Opened only when the object does not exist yet: a resumed delivery reads nothing it already copied.
  open(): Readable | Promise<Readable>;
}

export type CopyResult =
  | { outcome: 'created'; ref: ObjectRef; sha256: string }
  // An earlier delivery (or a racing one) already wrote this exact source version.
  | { outcome: 'present'; ref: ObjectRef }
  // The name holds a different version of the file (it changed at the source between two deliveries).
  | { outcome: 'other-version'; ref: ObjectRef; existing: { size: number; sourceMtime?: string } };

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  json: 'application/json',
  xml: 'application/xml',
  gz: 'application/gzip',
  zip: 'application/zip',
};

export function contentTypeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return (name.includes('.') && CONTENT_TYPES[ext]) || 'application/octet-stream';
}

// sluiceSourceSha256 (hex) is what load and later readers trust as the source content's identity.
function stampMetadata(stamp: SourceStamp, size: number, sha256: string): Record<string, string> {
  const extra = Object.fromEntries(Object.entries(stamp.extra ?? {}).map(([key, value]) => [`${SOURCE_STAMP_PREFIX}${key}`, value]));
  return {
    ...extra,
    sluiceRunId: stamp.runId,
    sluiceSourcePath: stamp.sourcePath,
    sluiceSourceSize: String(size),
    ...(stamp.mtimeMs !== undefined ? { sluiceSourceMtime: new Date(stamp.mtimeMs).toISOString() } : {}),
    sluiceSourceSha256: sha256,
    ...(stamp.imports !== undefined && stamp.imports.length > 0 ? { [IMPORT_RULES_METADATA_KEY]: stamp.imports.join(',') } : {}),
  };
}

function refOf(bucket: Bucket, name: string, metadata: FileMetadata): ObjectRef {
  return { bucket: bucket.name, object: name, generation: String(metadata.generation) };
}

async function existingMetadata(bucket: Bucket, name: string): Promise<FileMetadata | null> {
  try {
    const [metadata] = await bucket.file(name).getMetadata();
    return metadata;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw asStageError(error, `reading gs://${bucket.name}/${name}`);
  }
}

function classifyExisting(bucket: Bucket, name: string, metadata: FileMetadata, stamp: SourceStamp): CopyResult {
  const ref = refOf(bucket, name, metadata);
  const size = Number(metadata.size);
  const sourceMtime = metadata.metadata?.sluiceSourceMtime;
  const sourceSha256 = metadata.metadata?.sluiceSourceSha256;
  // With the content hash known, content decides (a touched file with the same bytes is the same
  // version); otherwise size and modification time, as the listing gives them. A source that gives
  // neither a time nor a size up front names items that never change (an e-mail's attachment): the
  // run's copy of it is that item.
  const sameSize = stamp.size === undefined || size === stamp.size;
  const sameVersion = stamp.sha256 !== undefined && typeof sourceSha256 === 'string'
    ? sameSize && sourceSha256 === stamp.sha256
    : sameSize && (stamp.mtimeMs === undefined || sourceMtime === new Date(stamp.mtimeMs).toISOString());
  if (sameVersion) return { outcome: 'present', ref };
  return { outcome: 'other-version', ref, existing: { size, ...(typeof sourceMtime === 'string' ? { sourceMtime } : {}) } };
}

export async function copyToRaw(input: CopyInput): Promise<CopyResult> {
  const { bucket, objectName, stamp } = input;
  const before = await existingMetadata(bucket, objectName);
  if (before) return classifyExisting(bucket, objectName, before, stamp);

  // Custom metadata is fixed when an upload starts, so the hash must be known before the first byte
  // is sent: a small file is read once into memory (at most the resumable threshold) and hashed; a
  // larger one is read twice, once to hash and once to upload, with the hash checked again on the
  // way. An item of unknown size is read once to count it, then the same way.
  const what = input.source ?? stamp.sourcePath;
  let size = stamp.size;
  let sha256 = stamp.sha256;
  let body: () => Readable | Promise<Readable> = input.open;
  try {
    if (size === undefined) {
      const measured = await measureSource(await input.open(), RESUMABLE_THRESHOLD_BYTES);
      size = measured.size;
      // A hash the connector gave is checked on the upload below, against the bytes sent.
      sha256 ??= measured.sha256;
      const bytes = measured.bytes;
      if (bytes !== undefined && sha256 === measured.sha256) body = () => Readable.from([bytes]);
    } else if (sha256 === undefined && size <= RESUMABLE_THRESHOLD_BYTES) {
      const read = await readSource(await input.open(), size, what);
      sha256 = read.sha256;
      body = () => Readable.from([read.bytes]);
    } else if (sha256 === undefined) {
      sha256 = await hashSource(await input.open(), size, what);
    }
  } catch (error) {
    if (error instanceof TransientError || isPermanent(error)) throw error;
    throw new TransientError(`reading ${what} failed: ${errorMessage(error)}`, { cause: error });
  }

  const file = bucket.file(objectName);
  const contentType = contentTypeOf(objectName);
  const upload = file.createWriteStream({
    resumable: size > RESUMABLE_THRESHOLD_BYTES,
    // Create-only: fails with 412 when any generation of the name exists.
    preconditionOpts: { ifGenerationMatch: 0 },
    contentType,
    metadata: { contentType, metadata: stampMetadata(stamp, size, sha256) },
  });
  try {
    await pipeline(await body(), new ExactSize(size, what, sha256), upload);
  } catch (error) {
    // Lost a race with another delivery of the same run: its object stands. Fetch may only create in
    // raw/, and Cloud Storage may refuse a create-only write onto an existing object with 403 rather
    // than 412; either way, what is there now decides.
    if (isPreconditionFailed(error) || isForbidden(error)) {
      const after = await existingMetadata(bucket, objectName);
      if (after) return classifyExisting(bucket, objectName, after, stamp);
    }
    // A 400 (a name or metadata Cloud Storage refuses) is permanent; 5xx, 408, 429, socket errors and
    // anything unknown are transient (shared/storage-errors.ts says why for each status).
    throw asStageError(error, `copying ${what} to gs://${bucket.name}/${objectName}`);
  }
  // The counter already guaranteed the byte count we sent; this checks what the bucket kept. A
  // mismatch here cannot be undone safely (transform may already be reading the object), so it is
  // reported as transient: the next delivery finds the object, classifies it as another version and
  // gives the claim back, so a later run fetches the file again.
  const kept = Number(file.metadata.size);
  if (kept !== size) {
    throw new TransientError(`gs://${bucket.name}/${objectName} holds ${kept} bytes, the source file ${size}`);
  }
  return { outcome: 'created', ref: refOf(bucket, objectName, file.metadata), sha256 };
}
