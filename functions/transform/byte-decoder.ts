// Bytes → text for one encoding, with invalid bytes found AT THE DECODER: a valid U+FFFD in a UTF-8
// file is data, so the decoded text is never searched for replacement characters. Each kind of
// encoding gets the cheapest exact check:
// - UTF-8, UTF-16: TextDecoder with fatal: true, fed whole characters only (see cutUtf8 / cutUtf16);
// - single-byte encodings (windows-1252, latin1, iso-8859-x…): iconv-lite, plus a table of the bytes
//   its codec does not define (windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined);
// - other ASCII-compatible multi-byte encodings (shift_jis, gbk, big5, euc-kr, gb18030…): TextDecoder
//   with fatal: true, fed pieces cut after a byte below 0x30, which none of them uses inside a character.
// Each piece is decoded on its own, so when one is refused the first bad byte is found by a binary
// search over it (a streaming prefix decode only fails once it contains a bad byte).
import iconv from 'iconv-lite';

export class InvalidBytesError extends Error {
  override name = 'InvalidBytesError';
}

export interface ByteDecoder {
  // Text of the complete characters in `bytes` (the rest is kept for the next call); throws
  // InvalidBytesError after handing the valid text before the bad byte to `valid`.
  write(bytes: Buffer, valid: (text: string) => void): string;
  // The end of input: held bytes that never completed a character are invalid.
  end(valid: (text: string) => void): string;
}

// A piece longer than this without a safe cut point is decoded in streaming mode anyway (an absurd
// file: megabytes of multi-byte text without a single space, digit or line break).
const MAX_CARRY = 4 * 1024 * 1024;

type Cut = (bytes: Buffer) => number;

// Where the last complete UTF-8 character of `bytes` ends (a trailing partial one is carried).
export const cutUtf8: Cut = (bytes) => {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const byte = bytes[n - back] as number;
    if (byte < 0x80) return n;
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return length > back ? n - back : n;
    }
  }
  return n; // only continuation bytes: invalid, let the decoder say so
};

// UTF-16: whole code units, and a high surrogate waits for its low half.
function cutUtf16(bigEndian: boolean): Cut {
  return (bytes) => {
    let n = bytes.length - (bytes.length % 2);
    if (n >= 2) {
      const unit = bigEndian ? bytes.readUInt16BE(n - 2) : bytes.readUInt16LE(n - 2);
      if (unit >= 0xd800 && unit <= 0xdbff) n -= 2;
    }
    return n;
  };
}

// After the last byte below 0x30 (controls, space, punctuation, line breaks): a character boundary in
// every ASCII-compatible multi-byte encoding TextDecoder knows (GB18030 uses digits inside characters).
const cutAfterAsciiPunctuation: Cut = (bytes) => {
  for (let i = bytes.length - 1; i >= 0; i--) if ((bytes[i] as number) < 0x30) return i + 1;
  return 0;
};

export function firstInvalidOffset(label: string, bytes: Buffer): number {
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    try {
      new TextDecoder(label, { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      good = mid;
    } catch {
      bad = mid;
    }
  }
  return good;
}

function textDecoderOf(label: string, cut: Cut, invalid: () => InvalidBytesError): ByteDecoder {
  const decoder = new TextDecoder(label, { fatal: true });
  let carry: Buffer = Buffer.alloc(0);
  const decodeWhole = (bytes: Buffer, valid: (text: string) => void): string => {
    try {
      return decoder.decode(bytes);
    } catch {
      const at = firstInvalidOffset(label, bytes);
      const text = new TextDecoder(label).decode(bytes.subarray(0, at), { stream: true });
      if (text) valid(text);
      throw invalid();
    }
  };
  return {
    write(chunk, valid) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let at = cut(bytes);
      if (at === 0 && bytes.length > MAX_CARRY) at = bytes.length;
      carry = at < bytes.length ? Buffer.from(bytes.subarray(at)) : Buffer.alloc(0);
      return at > 0 ? decodeWhole(bytes.subarray(0, at), valid) : '';
    },
    end(valid) {
      const rest = carry;
      carry = Buffer.alloc(0);
      return rest.length > 0 ? decodeWhole(rest, valid) : '';
    },
  };
}

interface SingleByteCodec {
  decodeBuf: Buffer;
}

function isSingleByte(codec: unknown): codec is SingleByteCodec {
  return typeof codec === 'object' && codec !== null && Buffer.isBuffer((codec as { decodeBuf?: unknown }).decodeBuf);
}

// The bytes a single-byte codec maps to U+FFFD: its own table says they are not characters.
function undefinedBytes(encoding: string): Uint8Array | null {
  const text = iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), encoding);
  const table = new Uint8Array(256);
  let any = false;
  for (let i = 0; i < 256; i++) {
    if (text.charCodeAt(i) === 0xfffd) {
      table[i] = 1;
      any = true;
    }
  }
  return any ? table : null;
}

function singleByteDecoderOf(encoding: string, invalid: () => InvalidBytesError): ByteDecoder {
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  const table = undefinedBytes(encoding);
  return {
    write(chunk, valid) {
      if (table) {
        for (let i = 0; i < chunk.length; i++) {
          if (table[chunk[i] as number] === 1) {
            const text = decoder.write(chunk.subarray(0, i));
            if (text) valid(text);
            throw invalid();
          }
        }
      }
      return decoder.write(chunk);
    },
    end() {
      return decoder.end() ?? '';
    },
  };
}

const UNICODE = new Map<string, Cut>([['utf-8', cutUtf8], ['utf-16le', cutUtf16(false)], ['utf-16be', cutUtf16(true)]]);

export class UnsupportedEncodingError extends Error {
  override name = 'UnsupportedEncodingError';
}

// `encoding` must be one iconv-lite knows (the caller checks, with its own message).
export function byteDecoderFor(encoding: string): ByteDecoder {
  let label: string | null = null;
  try {
    label = new TextDecoder(encoding, { fatal: true }).encoding;
  } catch {
    label = null;
  }
  const invalid = () => new InvalidBytesError(`bytes that are not valid ${encoding}`);
  const unicode = label === null ? undefined : UNICODE.get(label);
  if (label !== null && unicode) return textDecoderOf(label, unicode, invalid);
  // iconv-lite's own single-byte tables (true ISO-8859-1 for latin1, where TextDecoder would read
  // windows-1252), checked byte by byte.
  if (iconv.encodingExists(encoding) && isSingleByte(iconv.getCodec(encoding))) return singleByteDecoderOf(encoding, invalid);
  // ISO-2022-JP keeps an escape state across bytes, so pieces cannot be decoded on their own.
  if (label !== null && label !== 'iso-2022-jp') return textDecoderOf(label, cutAfterAsciiPunctuation, invalid);
  throw new UnsupportedEncodingError(`encoding "${encoding}" is not supported: its invalid bytes cannot be told apart from data (use utf-8, utf-16, a single-byte encoding such as windows-1252, or one of the WHATWG multi-byte encodings)`);
}
