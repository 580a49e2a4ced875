// An archive opened for expansion, whatever its format: its members, each opened as a stream of its
// inflated bytes. Both passes of an expansion (inspect, then write) read members through this.
import type { Readable } from 'node:stream';
import type { ArchiveKind } from './detect-archive';

export interface ArchiveMember {
  // The member's path inside the archive ('/'-separated, already checked by archiveMemberPathProblem).
  path: string;
  compressedBytes: number;
  // The inflated size its header claims (a zip entry's), when there is one; the stream is held to it.
  declaredBytes?: number;
  open(): Promise<Readable>;
}

export interface OpenedArchive {
  kind: ArchiveKind;
  members: ArchiveMember[];
  // The first Cloud Storage error a read of the archive met: a stream error after one is a storage
  // failure to retry, not a broken archive.
  storageError(): unknown;
  close(): Promise<void>;
}
