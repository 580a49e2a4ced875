import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore, StagingBlob } from './blob-store';
import { ContentHasher } from './hashes';
import { KeyedQueue, removeFile, writeJsonAtomic } from './fs-util';
import type { Preconditions } from './preconditions';
import type { ObjectFields, ObjectRecord } from './types';

// Resumable upload sessions: what was asked for at initiation, how far the bytes got, and how
// the session ended. With a data directory a session (and its staged bytes) survives a restart,
// as a GCS session survives a dropped connection.

export interface SessionInfo {
  id: string;
  bucket: string;
  name: string;
  fields: ObjectFields;
  preconditions: Preconditions;
  /** Total object size, once the client has told us (X-Upload-Content-Length or Content-Range). */
  total?: number;
  createdAt: string;
  /** Simulated IAM: the identity that opened the session (absent: the operator). */
  identity?: string;
  /** Set once finalized: the object it created. */
  result?: ObjectRecord;
  /** Set when finalizing failed (412, bad hash): every later request gets the same answer. */
  failure?: { status: number; body: unknown };
}

export interface Session {
  info: SessionInfo;
  staging: StagingBlob;
  /** Hash of the staged bytes so far (rebuilt from the staged file after a restart). */
  hasher: ContentHasher;
}

export class UploadSessions {
  private sessions = new Map<string, Session>();
  private locks = new KeyedQueue();
  private files = new KeyedQueue();

  private constructor(private readonly blobs: BlobStore, private readonly dir: string | undefined) {}

  static async open(blobs: BlobStore, dataDir: string | undefined): Promise<UploadSessions> {
    const dir = dataDir ? join(dataDir, 'uploads') : undefined;
    const sessions = new UploadSessions(blobs, dir);
    if (dir) {
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (!f.endsWith('.json')) continue;
        try {
          const info = JSON.parse(await readFile(join(dir, f), 'utf8')) as SessionInfo;
          const staging = await blobs.staging(info.id);
          const hasher = new ContentHasher();
          if (!info.result && !info.failure) for await (const chunk of staging.read()) hasher.update(chunk as Buffer);
          sessions.sessions.set(info.id, { info, staging, hasher });
        } catch {
          // An unreadable session is as good as expired.
        }
      }
    }
    return sessions;
  }

  /** Ids whose staged bytes must be kept at start-up. */
  liveIds(): Set<string> {
    return new Set([...this.sessions.values()].filter((s) => !s.info.result && !s.info.failure).map((s) => s.info.id));
  }

  async create(info: SessionInfo): Promise<Session> {
    const session: Session = { info, staging: await this.blobs.staging(info.id), hasher: new ContentHasher() };
    this.sessions.set(info.id, session);
    await this.save(info);
    return session;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** One request at a time per session: a status query waits for an aborted chunk to settle. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    let result!: T;
    return this.locks.run(id, async () => {
      result = await fn();
    }).then(() => result);
  }

  save(info: SessionInfo): Promise<void> {
    const dir = this.dir;
    if (!dir) return Promise.resolve();
    const path = join(dir, `${info.id}.json`);
    return this.files.run(path, () => writeJsonAtomic(path, info));
  }

  async remove(id: string): Promise<void> {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    await s?.staging.discard();
    const dir = this.dir;
    if (dir) {
      const path = join(dir, `${id}.json`);
      await this.files.run(path, () => removeFile(path));
    }
  }

  async drain(): Promise<void> {
    await this.locks.drain();
    await this.files.drain();
    for (const s of this.sessions.values()) await s.staging.close();
  }
}
