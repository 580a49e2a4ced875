// Helpers for reading a parser's input: errors of the source itself (a storage read that failed)
// must reach the caller as they are, to be retried, while a reader's complaint about the bytes is a
// MalformedFileError; and formats read whole are collected under a byte cap.
import { MalformedFileError } from '../malformed-file-error';

export class TrackedSource implements AsyncIterable<Buffer> {
  // The error the source threw, if it did.
  error: unknown = undefined;
  bytesRead = 0;
  // Reads of a reader fed from this source, waiting: a reader fed through stream.pipe() never hears
  // of the source's error (pipe does not forward errors) and would wait forever, so they are
  // rejected with it. (One Promise.race against a long-lived "failed" promise per read would leak:
  // each race leaves a reaction on it that holds the chunk it resolved with.)
  private readonly waiting = new Set<(error: unknown) => void>();

  constructor(private readonly bytes: AsyncIterable<Buffer>) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of this.bytes) {
        this.bytesRead += chunk.length;
        yield chunk;
      }
    } catch (error) {
      this.error = error;
      for (const reject of this.waiting) reject(error);
      this.waiting.clear();
      throw error;
    }
  }

  // The items of `iterable`, ending with the source's error as soon as the source fails.
  async *racing<T>(iterable: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = iterable[Symbol.asyncIterator]();
    for (;;) {
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        if (this.error !== undefined) return reject(this.error);
        this.waiting.add(reject);
        iterator.next().then(resolve, reject).finally(() => this.waiting.delete(reject));
      });
      if (next.done) return;
      yield next.value;
    }
  }
}

// An error from the file system or the network (ENOSPC on a temp file, ECONNRESET) says nothing
// about the file: it is the caller's to classify, never "malformed".
export function isSystemError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { syscall?: unknown }).syscall === 'string';
}

// Reads the whole input, refusing it (before reading when its size is known) past maxBytes.
export async function collectCapped(bytes: AsyncIterable<Buffer>, size: number | undefined, maxBytes: number, what: string): Promise<Buffer> {
  const tooBig = (n: string) =>
    new MalformedFileError(`the file is ${n} bytes, over limits.maxFileBytes (${maxBytes}): ${what} is read whole, so larger files are refused`);
  if (size !== undefined && size > maxBytes) throw tooBig(String(size));
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of bytes) {
    total += chunk.length;
    if (total > maxBytes) throw tooBig(`more than ${maxBytes}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

export const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
export const EMPTY_ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
// OLE2 compound file: legacy .xls, and also what Excel wraps a password-protected .xlsx/.xlsb in.
export const CFB_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function startsWith(head: Buffer, signature: Buffer): boolean {
  return head.length >= signature.length && head.subarray(0, signature.length).equals(signature);
}
