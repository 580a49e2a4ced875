// What a copy of a source file must see go by: exactly the listed number of bytes and, when it is
// known in advance, exactly the content hash. A stream that fails either check fails BEFORE the
// upload it feeds is finalized, so no object of the wrong bytes is ever created.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransientError } from '../../shared/errors';

// Passes bytes through, counting and hashing them (SHA-256); fails the stream unless exactly
// `expected` bytes went by and, when `expectedSha256` is given, they hash to it.
export class ExactSize extends Transform {
  private seen = 0;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  constructor(private readonly expected: number, private readonly what: string, private readonly expectedSha256?: string) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected) {
      callback(new TransientError(`${this.what} grew while being copied (listed ${this.expected} bytes); it will be fetched again`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.seen !== this.expected) {
      callback(new TransientError(`${this.what} gave ${this.seen} bytes, the listing said ${this.expected}; not finalizing the object`));
      return;
    }
    this.digest = this.hash.digest('hex');
    if (this.expectedSha256 !== undefined && this.digest !== this.expectedSha256) {
      callback(new TransientError(`${this.what} changed while being copied (its content no longer hashes to what was read before); not finalizing the object`));
      return;
    }
    callback();
  }
  // Hex SHA-256 of what went by, once the stream has ended.
  get sha256(): string {
    if (this.digest === undefined) throw new Error('the stream has not ended yet');
    return this.digest;
  }
}

// Hex SHA-256 of a source file read once, with memory bounded by the stream's buffers.
export async function hashSource(source: Readable, size: number, what: string): Promise<string> {
  const exact = new ExactSize(size, what);
  await pipeline(source, exact, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return exact.sha256;
}

// A small source file read whole (the caller bounds `size`), with its hash: one read for both the
// hash the object's metadata needs up front and the upload.
export async function readSource(source: Readable, size: number, what: string): Promise<{ bytes: Buffer; sha256: string }> {
  const exact = new ExactSize(size, what);
  const chunks: Buffer[] = [];
  await pipeline(source, exact, new Writable({ write: (chunk: Buffer, _encoding, done) => { chunks.push(chunk); done(); } }));
  return { bytes: Buffer.concat(chunks), sha256: exact.sha256 };
}

// A source item of unknown size read once to learn its size and hash; its bytes are kept only while
// they fit in `keepUpTo` (then the caller uploads them from memory; else it reads the item again).
export async function measureSource(source: Readable, keepUpTo: number): Promise<{ size: number; sha256: string; bytes?: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  let chunks: Buffer[] | undefined = [];
  await pipeline(source, new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      size += chunk.length;
      hash.update(chunk);
      if (chunks && size <= keepUpTo) chunks.push(chunk);
      else chunks = undefined;
      done();
    },
  }));
  return { size, sha256: hash.digest('hex'), ...(chunks ? { bytes: Buffer.concat(chunks) } : {}) };
}
