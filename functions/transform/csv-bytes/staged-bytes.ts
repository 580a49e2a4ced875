// The staged CSV as bytes, built in buffers of about PIECE bytes that go to the upload as they fill:
// byte ranges copied from the source, lines as text (the shared row reader's, encoded in place), and
// runs of source records that are already staged lines, copied in one piece each.
import type { StagedLines } from '../staged-rows';

// One upload write per piece. Each write costs the upload stream and the socket a fixed amount
// (measured on the transform bench, 1M rows: 64 KiB pieces spent 0.2 s in writev, 1 MiB pieces 0.02 s);
// copying the bytes into pieces this big costs less than writing the source's own chunks as they lie.
const PIECE = 1024 * 1024;

export class StagedBytes implements StagedLines {
  private buffer = Buffer.allocUnsafe(PIECE);
  private at = 0;
  private readonly filled: Buffer[] = [];
  // The run of source bytes not yet placed: runSource[runStart..runEnd).
  private runSource: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;

  // source[start..end), bytes that are staged as they are, right after what was written before.
  // Contiguous runs of the same source grow into one copy; the source must not change until the
  // next write or take().
  run(source: Buffer, start: number, end: number): void {
    if (this.runSource === source && this.runEnd === start) {
      this.runEnd = end;
      return;
    }
    this.placeRun();
    this.runSource = source;
    this.runStart = start;
    this.runEnd = end;
  }

  private placeRun(): void {
    const source = this.runSource;
    if (source === null) return;
    this.runSource = null;
    const length = this.runEnd - this.runStart;
    this.room(length);
    source.copy(this.buffer, this.at, this.runStart, this.runEnd);
    this.at += length;
  }

  // Room for `bytes` more bytes in the current buffer.
  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    if (this.at > 0) this.filled.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(Math.max(PIECE, bytes));
    this.at = 0;
  }

  text(line: string): void {
    this.placeRun();
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.room(line.length * 3);
    this.at += this.buffer.write(line, this.at, 'utf8');
  }

  // source[start..end) then, when `separator` is not 0, that byte (',' or LF).
  copy(source: Buffer, start: number, end: number, separator: number): void {
    this.placeRun();
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
    this.placeRun();
    this.room(1);
    this.buffer[this.at++] = value;
  }

  // The buffers filled so far (and, with `all`, the one being filled), handed over.
  take(all: boolean): Buffer[] {
    if (all) this.placeRun();
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
