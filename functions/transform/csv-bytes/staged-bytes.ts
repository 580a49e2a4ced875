// The staged CSV as bytes, built in buffers of about PIECE bytes that go to the upload as they fill:
// byte ranges copied from the source, and lines as text (the shared row reader's, encoded in place).
import type { StagedLines } from '../staged-rows';

// One upload write per piece: big enough for few writes, small enough to stay out of the way.
const PIECE = 64 * 1024;

export class StagedBytes implements StagedLines {
  private buffer = Buffer.allocUnsafe(PIECE);
  private at = 0;
  private readonly filled: Buffer[] = [];

  // Room for `bytes` more bytes in the current buffer.
  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    if (this.at > 0) this.filled.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(Math.max(PIECE, bytes));
    this.at = 0;
  }

  text(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.room(line.length * 3);
    this.at += this.buffer.write(line, this.at, 'utf8');
  }

  // source[start..end) then, when `separator` is not 0, that byte (',' or LF).
  copy(source: Buffer, start: number, end: number, separator: number): void {
    const length = end - start;
    this.room(length + 1);
    const buffer = this.buffer;
    let at = this.at;
    // A short range is copied faster by hand than through a native call.
    if (length < 24) for (let i = start; i < end; i++) buffer[at++] = source[i] as number;
    else {
      source.copy(buffer, at, start, end);
      at += length;
    }
    if (separator !== 0) buffer[at++] = separator;
    this.at = at;
  }

  byte(value: number): void {
    this.room(1);
    this.buffer[this.at++] = value;
  }

  // The buffers filled so far (and, with `all`, the one being filled), handed over.
  take(all: boolean): Buffer[] {
    if (all && this.at > 0) {
      this.filled.push(this.buffer.subarray(0, this.at));
      this.buffer = Buffer.allocUnsafe(PIECE);
      this.at = 0;
    }
    return this.filled.splice(0, this.filled.length);
  }

  get pending(): number {
    return this.filled.length;
  }
}
