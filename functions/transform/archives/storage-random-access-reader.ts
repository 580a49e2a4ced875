// yauzl's random access to a zip, over ranged reads of one object generation in Cloud Storage. A zip
// is read from its end (the central directory) and then entry by entry, so yauzl asks for many small
// ranges (22 to 65,557 bytes for the end record, 46 bytes and a name per entry, 30 per local header):
// those come from blocks of 64 KiB fetched once and kept (1 MiB at most), so listing a zip costs a
// few requests rather than one per entry, and a member's local header costs at most one small block.
// A member's data is one ranged stream of its own.
import { PassThrough, type Readable } from 'node:stream';
import type { File } from '@google-cloud/storage';
import yauzl from 'yauzl';

const BLOCK_BYTES = 64 * 1024;
// Reads up to this size (the end record search reads 65,557 bytes) are served from blocks; larger
// ones (member data) stream.
const SMALL_READ_BYTES = 80 * 1024;
const CACHED_BLOCKS = 16;

export class StorageRandomAccessReader extends yauzl.RandomAccessReader {
  // The first error a read from Cloud Storage met (see OpenedArchive.storageError).
  storageError: unknown;
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(private readonly file: File, private readonly size: number) {
    super();
  }

  // yauzl's `end` is exclusive; Cloud Storage's is inclusive.
  override _readStreamForRange(start: number, end: number): Readable {
    if (end - start > SMALL_READ_BYTES) {
      const stream = this.file.createReadStream({ start, end: end - 1, validation: false, decompress: false });
      stream.on('error', (error) => this.noteError(error));
      return stream;
    }
    const out = new PassThrough();
    this.bytes(start, end).then((bytes) => out.end(bytes), (error: unknown) => out.destroy(error as Error));
    return out;
  }

  private async bytes(start: number, end: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let index = Math.floor(start / BLOCK_BYTES); index * BLOCK_BYTES < end; index++) {
      const block = await this.block(index);
      const blockStart = index * BLOCK_BYTES;
      parts.push(block.subarray(Math.max(start - blockStart, 0), Math.min(end - blockStart, block.length)));
    }
    return Buffer.concat(parts);
  }

  private block(index: number): Promise<Buffer> {
    let block = this.blocks.get(index);
    if (!block) {
      const start = index * BLOCK_BYTES;
      const end = Math.min(start + BLOCK_BYTES, this.size) - 1;
      block = this.file.download({ start, end, validation: false, decompress: false }).then(([bytes]) => bytes);
      block.catch((error: unknown) => {
        this.noteError(error);
        this.blocks.delete(index);
      });
      this.blocks.set(index, block);
      // Oldest first out: the end record and central directory are read first, then local headers in order.
      if (this.blocks.size > CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    }
    return block;
  }

  private noteError(error: unknown): void {
    this.storageError ??= error;
  }
}
