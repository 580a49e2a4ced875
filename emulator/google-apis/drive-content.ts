// Drive file bytes on disk, in a temp directory of the double's own: uploads stream through a
// ContentSink (hashing as they go, with backpressure), so a 200 MB upload never sits in memory.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface ContentFacts {
  size: number;
  md5Checksum: string;
  sha256Checksum: string;
}

/** One upload being written: bytes in order, possibly across several requests (resumable). */
export class ContentSink {
  private readonly stream: fs.WriteStream;
  private readonly md5 = crypto.createHash('md5');
  private readonly sha256 = crypto.createHash('sha256');
  private failed: Error | undefined;
  size = 0;

  constructor(readonly path: string) {
    this.stream = fs.createWriteStream(path, { flags: 'w' });
    this.stream.on('error', (error) => (this.failed = error));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    this.md5.update(chunk);
    this.sha256.update(chunk);
    this.size += chunk.length;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async finish(): Promise<ContentFacts> {
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    if (this.failed) throw this.failed;
    return { size: this.size, md5Checksum: this.md5.digest('hex'), sha256Checksum: this.sha256.digest('hex') };
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await rm(this.path, { force: true });
  }
}

export class DriveContent {
  private seq = 0;
  private constructor(readonly dir: string) {}

  static async open(): Promise<DriveContent> {
    return new DriveContent(await mkdtemp(path.join(os.tmpdir(), 'sluice-drive-double-')));
  }

  sink(): ContentSink {
    return new ContentSink(path.join(this.dir, `upload-${++this.seq}.partial`));
  }

  /** Makes an upload's bytes the content of a file version. */
  async commit(sink: ContentSink, fileId: string, version: number): Promise<void> {
    await rename(sink.path, this.pathOf(fileId, version));
  }

  pathOf(fileId: string, version: number): string {
    return path.join(this.dir, `${fileId}.v${version}`);
  }

  read(fileId: string, version: number, range?: { start: number; end: number }): fs.ReadStream {
    return fs.createReadStream(this.pathOf(fileId, version), range);
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
