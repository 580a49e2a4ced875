import type { Readable } from 'node:stream';

// Object bytes live in immutable blobs; an object record points at one. A write stages its
// bytes first and only a committed blob can be referenced, so a half-written object is never
// visible. Two implementations: on disk (blob-store-disk.ts) and in memory (blob-store-memory.ts).

/** Bytes being received; invisible to readers until committed. */
export interface StagingBlob {
  readonly id: string;
  /** Bytes appended so far (for a resumable upload: what the server has persisted). */
  readonly size: number;
  append(chunk: Buffer): Promise<void>;
  /** Releases any open handle; the staged bytes stay (a resumable upload may continue later). */
  close(): Promise<void>;
  /** Turns the staged bytes into an immutable blob; returns its id. */
  commit(): Promise<string>;
  discard(): Promise<void>;
  /** Reads the staged bytes back (used to re-hash a staged upload after a restart). */
  read(): Readable;
}

export interface BlobStore {
  /** Opens (creating if absent) the staging area with this id. */
  staging(id: string): Promise<StagingBlob>;
  /**
   * Opens a committed blob for reading `start..end` inclusive. Synchronous on purpose: the
   * caller looks up the object record and opens its blob with no await in between, so a
   * concurrent overwrite cannot remove the blob before it is opened.
   */
  read(blobId: string, start: number, end: number): Readable;
  /** A new blob with the same bytes (rewrite/copy). */
  duplicate(blobId: string): Promise<string>;
  /** A new blob holding the concatenation of blobs (compose). */
  concat(blobIds: string[]): Promise<string>;
  remove(blobId: string): Promise<void>;
  /** Ids of all committed blobs (for removing orphans at start-up). */
  list(): Promise<string[]>;
}
