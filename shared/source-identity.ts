// Which source file (and which version of it) a raw object holds, from the custom metadata fetch
// stamps on it (functions/fetch/copy-to-raw.ts). The load ledger keys on this, so one version of a
// source file is loaded once whatever raw name it arrived under, and a new version supersedes the old.
//  - id: the source file's stable identity, its remote path;
//  - version: `sha256:<hex>` of the content when fetch knew it, else `size:<n>,mtime:<iso>`;
//  - time: the source's modification time, which orders versions (an older one arriving late is
//    recorded as superseded, not applied).
// A member of an archive carries its own: id `<archive id>/<member path>`, the archive's version
// (sluiceSourceVersion) and time, so "member X of archive Y at version V" is loaded once and an older
// archive's member arriving late is superseded like any file (memberSourceMetadata below).
import type { Bucket } from '@google-cloud/storage';
import type { ObjectRef, SourceIdentity } from './messages';
import { isNotFound } from './storage-errors';

export function sourceIdentityOf(metadata: Record<string, unknown> | undefined | null): SourceIdentity | undefined {
  const text = (key: string): string | undefined => {
    const value = metadata?.[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const id = text('sluiceSourcePath');
  if (!id) return undefined;
  const sha256 = text('sluiceSourceSha256');
  const size = text('sluiceSourceSize');
  const time = text('sluiceSourceMtime');
  const declared = text('sluiceSourceVersion');
  let version: string;
  if (declared) version = declared;
  else if (sha256 && /^[0-9a-f]{64}$/i.test(sha256)) version = `sha256:${sha256.toLowerCase()}`;
  else if (size !== undefined && time !== undefined) version = `size:${size},mtime:${time}`;
  else return undefined;
  return { id, version, ...(time !== undefined && !Number.isNaN(Date.parse(time)) ? { time } : {}) };
}

// The raw object's identity, read from its metadata at that generation; undefined when it carries none
// (uploaded by hand) or is gone — load then falls back to the raw object and generation.
export async function readSourceIdentity(bucket: Bucket, raw: ObjectRef): Promise<SourceIdentity | undefined> {
  try {
    const [metadata] = await bucket.file(raw.object, { generation: raw.generation }).getMetadata();
    return sourceIdentityOf(metadata.metadata as Record<string, unknown> | undefined);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

// What identifies a staged file's source when the message carries none (older transforms).
export function rawObjectIdentity(raw: ObjectRef): SourceIdentity {
  return { id: raw.object, version: `generation:${raw.generation}` };
}

// The custom metadata of an archive member's raw object: its source identity derived from the
// archive's (or from the archive object itself when it carries none, as one uploaded by hand), and
// where it came from.
export function memberSourceMetadata(archive: SourceIdentity, archiveRef: ObjectRef, memberPath: string, runId: string): Record<string, string> {
  return {
    sluiceRunId: runId,
    sluiceSourcePath: `${archive.id}/${memberPath}`,
    sluiceSourceVersion: archive.version,
    ...(archive.time !== undefined ? { sluiceSourceMtime: archive.time } : {}),
    sluiceArchiveObject: archiveRef.object,
    sluiceArchiveGeneration: archiveRef.generation,
    sluiceArchiveMember: memberPath,
  };
}

// Whether a raw object is a member an archive's expansion wrote (a member that is an archive itself
// is refused: no nesting).
export function isArchiveMember(metadata: Record<string, unknown> | undefined | null): boolean {
  return typeof metadata?.sluiceArchiveObject === 'string';
}
