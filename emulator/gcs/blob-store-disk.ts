import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync } from 'node:fs';
import { Readable } from 'node:stream';
import { copyFile, link, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, StagingBlob } from './blob-store';

// Layout under dataDir: blobs/<id> (immutable, committed), staging/<id> (uploads in progress).
// Commit is a rename within one file system, so an object's bytes appear all at once.

export async function createDiskBlobStore(dataDir: string): Promise<BlobStore> {
  const blobDir = join(dataDir, 'blobs');
  const stagingDir = join(dataDir, 'staging');
  await mkdir(blobDir, { recursive: true });
  await mkdir(stagingDir, { recursive: true });
  const blobPath = (id: string) => join(blobDir, id);

  const store: BlobStore = {
    async staging(id) {
      const path = join(stagingDir, id);
      let size = await stat(path).then((s) => s.size, () => 0);
      let handle: FileHandle | undefined;
      const blob: StagingBlob = {
        id,
        get size() {
          return size;
        },
        async append(chunk) {
          handle ??= await open(path, 'a');
          let written = 0;
          while (written < chunk.length) {
            const r = await handle.write(chunk, written, chunk.length - written);
            written += r.bytesWritten;
          }
          size += chunk.length;
        },
        async close() {
          const h = handle;
          handle = undefined;
          await h?.close();
        },
        async commit() {
          await blob.close();
          // An empty upload never appended: make sure the file exists before the rename.
          if (size === 0) await (await open(path, 'a')).close();
          const blobId = randomUUID();
          await rename(path, blobPath(blobId));
          return blobId;
        },
        async discard() {
          await blob.close();
          await rm(path, { force: true });
        },
        read() {
          return createReadStream(path);
        },
      };
      return blob;
    },
    read(blobId, start, end) {
      const fd = openSync(blobPath(blobId), 'r');
      if (end < start) {
        // Empty range (empty object): an empty stream.
        closeSync(fd);
        return Readable.from([]);
      }
      return createReadStream('', { fd, start, end, autoClose: true });
    },
    async duplicate(blobId) {
      const id = randomUUID();
      // A hard link shares the bytes; removing either name later leaves the other intact.
      await link(blobPath(blobId), blobPath(id)).catch(() => copyFile(blobPath(blobId), blobPath(id)));
      return id;
    },
    async concat(blobIds) {
      const id = randomUUID();
      const tmp = join(stagingDir, `compose-${id}`);
      const out = createWriteStream(tmp);
      for (const b of blobIds) await pipeline(createReadStream(blobPath(b)), out, { end: false });
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await rename(tmp, blobPath(id));
      return id;
    },
    async remove(blobId) {
      // Readers opened the file before this; on POSIX their descriptors stay valid.
      await rm(blobPath(blobId), { force: true });
    },
    async list() {
      return readdir(blobDir);
    },
  };
  return store;
}

export async function clearStaging(dataDir: string, keep: Set<string>): Promise<void> {
  const dir = join(dataDir, 'staging');
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!keep.has(f)) await rm(join(dir, f), { force: true });
  }
}
