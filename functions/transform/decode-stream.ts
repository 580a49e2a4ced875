// Bytes of a CSV file → text. A byte-order mark says what the file really is and wins over the
// declared encoding (exporters add one precisely because the declared one is often wrong); it is
// stripped so it never becomes part of the first header name.
import iconv from 'iconv-lite';
import { byteDecoderFor, InvalidBytesError, UnsupportedEncodingError, type ByteDecoder } from './byte-decoder';
import { notTextReason } from './detect-not-text';
import { toBuffer } from './peek-head';

export type DetectedBom = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  // The encoding actually used: the BOM's, else the declared one.
  encoding: string;
  bom: DetectedBom | null;
  chunks: AsyncGenerator<string>;
  // Set once a decoded chunk held a NUL character. PostgreSQL text cannot hold one, so the row reader
  // then looks for it in each value (and only then: a per-value scan of every file would cost).
  readonly sawNul: boolean;
}

export class UnknownEncodingError extends Error {
  override name = 'UnknownEncodingError';
}

// The file is not text (compressed, an archive, a workbook, UTF-16 without a BOM): see detect-not-text.ts.
export class NotTextError extends Error {
  override name = 'NotTextError';
}

// Enough of the file to tell a binary format by its signature and UTF-16 by its NUL bytes.
export const HEAD_BYTES = 512;

const BOMS: Array<{ bytes: number[]; encoding: DetectedBom }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

export function detectBom(head: Buffer): { encoding: DetectedBom; length: number } | null {
  for (const bom of BOMS) {
    if (head.length >= bom.bytes.length && bom.bytes.every((b, i) => head[i] === b)) {
      return { encoding: bom.encoding, length: bom.bytes.length };
    }
  }
  return null;
}

// Reads just enough of the stream to see a BOM and a binary signature (HEAD_BYTES), then decodes
// chunk by chunk. Bytes that are not valid in the encoding are found by the decoder (byte-decoder.ts):
// the text before them is yielded, then `chunks` throws InvalidBytesError, so the row reader knows
// the row being read.
export async function decodeStream(source: AsyncIterable<unknown>, declaredEncoding: string): Promise<DecodedText> {
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < HEAD_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, toBuffer(next.value)]);
  }
  const bom = detectBom(head);
  const encoding = bom?.encoding ?? declaredEncoding;
  if (!iconv.encodingExists(encoding)) {
    await iterator.return?.();
    throw new UnknownEncodingError(`unknown encoding "${declaredEncoding}" (iconv-lite does not know it)`);
  }
  const notText = bom ? null : notTextReason(head, encoding);
  if (notText) {
    await iterator.return?.();
    throw new NotTextError(notText);
  }
  let decoder: ByteDecoder;
  try {
    decoder = byteDecoderFor(encoding);
  } catch (error) {
    await iterator.return?.();
    if (error instanceof UnsupportedEncodingError) throw new UnknownEncodingError(error.message);
    throw error;
  }
  const rest = decodeRest(iterator, bom ? head.subarray(bom.length) : head, ended, decoder);
  return { encoding, bom: bom?.encoding ?? null, chunks: rest.chunks, get sawNul() { return rest.sawNul; } };
}

// The text of `first` and then of the rest of the iterator, decoded by `decoder` (no BOM handling:
// the caller has looked at the head). Also the CSV byte path's way back to text when it hands the
// rest of a file, from a record's start, to the papaparse path (csv-bytes/stage-csv-bytes.ts).
export function decodeRest(iterator: AsyncIterator<unknown>, first: Buffer, ended: boolean, decoder: ByteDecoder): { chunks: AsyncGenerator<string>; readonly sawNul: boolean } {
  const flags = { sawNul: false };

  // Chunks are decoded before the parser sees them, so the flag is set before any record holding a NUL.
  const seen = (text: string): string => {
    if (!flags.sawNul && text.indexOf('\u0000') >= 0) flags.sawNul = true;
    return text;
  };

  async function* chunks(): AsyncGenerator<string> {
    // The valid text before an invalid byte, yielded before the error is thrown.
    let before = '';
    const valid = (text: string) => { before = text; };
    try {
      try {
        if (first.length > 0) {
          const text = decoder.write(first, valid);
          if (text) yield seen(text);
        }
        while (!ended) {
          const next = await iterator.next();
          if (next.done) break;
          const text = decoder.write(toBuffer(next.value), valid);
          if (text) yield seen(text);
        }
        const rest = decoder.end(valid);
        if (rest) yield seen(rest);
      } catch (error) {
        if (!(error instanceof InvalidBytesError)) throw error;
        if (before) yield seen(before);
        throw error;
      }
    } finally {
      // Stops the underlying download when the reader gives up early (malformed file).
      await iterator.return?.();
    }
  }

  return { chunks: chunks(), get sawNul() { return flags.sawNul; } };
}
