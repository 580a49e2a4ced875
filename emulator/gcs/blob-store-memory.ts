import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, StagingBlob } from './blob-store';

// Blobs as arrays of buffers: an upload keeps its chunks as they arrived, never one big copy.
type Chunks = Buffer[];

function sliceChunks(chunks: Chunks, start: number, end: number): Readable {
  // Yield views into the stored buffers: no copying, and the array reference keeps them alive
  // even if the object is overwritten mid-download.
  function* gen(): Generator<Buffer> {
    let offset = 0;
    for (const c of chunks) {
      const cStart = offset;
      const cEnd = offset + c.length - 1;
      offset += c.length;
      if (cEnd < start) continue;
      if (cStart > end) break;
      yield c.subarray(Math.max(0, start - cStart), Math.min(c.length, end - cStart + 1));
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Chunks>();
  const staged = new Map<string, Chunks>();

  const store: BlobStore = {
    async staging(id) {
      let chunks = staged.get(id);
      if (!chunks) staged.set(id, (chunks = []));
      const own = chunks;
      let size = own.reduce((n, c) => n + c.length, 0);
      const blob: StagingBlob = {
        id,
        get size() {
          return size;
        },
        async append(chunk) {
          own.push(Buffer.from(chunk)); // copy: the request may reuse its buffer
          size += chunk.length;
        },
        async close() {},
        async commit() {
          staged.delete(id);
          const blobId = randomUUID();
          blobs.set(blobId, own);
          return blobId;
        },
        async discard() {
          staged.delete(id);
        },
        read() {
          return sliceChunks(own, 0, Math.max(0, size - 1));
        },
      };
      return blob;
    },
    read(blobId, start, end) {
      const chunks = blobs.get(blobId);
      if (!chunks) throw new Error(`blob ${blobId} missing`);
      return sliceChunks(chunks, start, end);
    },
    async duplicate(blobId) {
      const chunks = blobs.get(blobId);
      if (!chunks) throw new Error(`blob ${blobId} missing`);
      const id = randomUUID();
      blobs.set(id, chunks); // buffers are never mutated, so sharing them is safe
      return id;
    },
    async concat(blobIds) {
      const all: Chunks = [];
      for (const b of blobIds) {
        const chunks = blobs.get(b);
        if (!chunks) throw new Error(`blob ${b} missing`);
        all.push(...chunks);
      }
      const id = randomUUID();
      blobs.set(id, all);
      return id;
    },
    async remove(blobId) {
      blobs.delete(blobId);
    },
    async list() {
      return [...blobs.keys()];
    },
  };
  return store;
}
