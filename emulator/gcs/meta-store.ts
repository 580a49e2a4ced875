import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedQueue, removeFile, writeJsonAtomic } from './fs-util';
import type { BucketRecord, ObjectRecord } from './types';

// Where bucket and object records survive a restart. In-memory mode persists nothing.
// Disk layout: meta/<bucket>/bucket.json, meta/<bucket>/objects/<sha1(name)>.json for live
// objects and meta/<bucket>/versions/<sha1(name)>.<generation>.json for the noncurrent
// generations a versioned bucket keeps (object names may hold any character, so they are hashed
// into file names). A noncurrent record carries timeDeleted; load() returns both kinds.

export interface MetaStore {
  load(): Promise<{ buckets: BucketRecord[]; objects: ObjectRecord[] }>;
  saveBucket(b: BucketRecord): Promise<void>;
  removeBucket(name: string): Promise<void>;
  saveObject(o: ObjectRecord): Promise<void>;
  removeObject(bucket: string, name: string): Promise<void>;
  saveNoncurrent(o: ObjectRecord): Promise<void>;
  removeNoncurrent(o: ObjectRecord): Promise<void>;
  drain(): Promise<void>;
}

export const memoryMetaStore: MetaStore = {
  load: async () => ({ buckets: [], objects: [] }),
  saveBucket: async () => {},
  removeBucket: async () => {},
  saveObject: async () => {},
  removeObject: async () => {},
  saveNoncurrent: async () => {},
  removeNoncurrent: async () => {},
  drain: async () => {},
};

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function createDiskMetaStore(dataDir: string): MetaStore {
  const root = join(dataDir, 'meta');
  const queue = new KeyedQueue();
  const bucketFile = (b: string) => join(root, b, 'bucket.json');
  const objectFile = (b: string, name: string) =>
    join(root, b, 'objects', `${createHash('sha1').update(name).digest('hex')}.json`);
  const versionFile = (o: ObjectRecord) =>
    join(root, o.bucket, 'versions', `${createHash('sha1').update(o.name).digest('hex')}.${o.generation}.json`);

  return {
    async load() {
      const buckets: BucketRecord[] = [];
      const objects: ObjectRecord[] = [];
      for (const dir of await readdir(root).catch(() => [] as string[])) {
        const bucket = await readJson<BucketRecord>(bucketFile(dir));
        if (!bucket) continue;
        buckets.push(bucket);
        const objDir = join(root, dir, 'objects');
        for (const f of await readdir(objDir).catch(() => [] as string[])) {
          if (!f.endsWith('.json')) continue; // leftovers of an interrupted write
          const o = await readJson<ObjectRecord>(join(objDir, f));
          if (o) objects.push(o);
        }
        const versionDir = join(root, dir, 'versions');
        for (const f of await readdir(versionDir).catch(() => [] as string[])) {
          if (!f.endsWith('.json')) continue;
          const o = await readJson<ObjectRecord>(join(versionDir, f));
          if (o?.timeDeleted) objects.push(o);
        }
      }
      return { buckets, objects };
    },
    saveBucket: (b) => queue.run(bucketFile(b.name), () => writeJsonAtomic(bucketFile(b.name), b)),
    removeBucket: (name) => queue.run(bucketFile(name), () => rm(join(root, name), { recursive: true, force: true })),
    saveObject: (o) => {
      const path = objectFile(o.bucket, o.name);
      return queue.run(path, () => writeJsonAtomic(path, o));
    },
    removeObject: (bucket, name) => {
      const path = objectFile(bucket, name);
      return queue.run(path, () => removeFile(path));
    },
    saveNoncurrent: (o) => {
      const path = versionFile(o);
      return queue.run(path, () => writeJsonAtomic(path, o));
    },
    removeNoncurrent: (o) => {
      const path = versionFile(o);
      return queue.run(path, () => removeFile(path));
    },
    drain: () => queue.drain(),
  };
}
