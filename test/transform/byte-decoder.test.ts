// The decoders find invalid bytes themselves, at any chunk cut; valid text (U+FFFD included) is data.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { byteDecoderFor, InvalidBytesError, UnsupportedEncodingError } from '../../functions/transform/byte-decoder';

// Decodes `bytes` cut every `size` bytes: the text, and the text before the error when there is one.
function decodeAll(encoding: string, bytes: Buffer, size: number): { text: string; error?: InvalidBytesError } {
  const decoder = byteDecoderFor(encoding);
  let text = '';
  const valid = (t: string) => { text += t; };
  try {
    for (let i = 0; i < bytes.length; i += size) text += decoder.write(bytes.subarray(i, i + size), valid);
    text += decoder.end(valid);
    return { text };
  } catch (error) {
    if (error instanceof InvalidBytesError) return { text, error };
    throw error;
  }
}

const sample = 'id,name\n1,Zoë 😀 寿司 \uFFFD\n2,Ærø\n';

describe('byteDecoderFor', () => {
  for (const encoding of ['utf-8', 'utf-16le', 'utf-16be', 'shift_jis', 'gb18030', 'euc-kr']) {
    it(`decodes ${encoding} at every chunk cut`, () => {
      const text = encoding === 'utf-8' || encoding.startsWith('utf-16') ? sample : encoding === 'shift_jis' ? 'id,品名\n1,寿司・ラーメン\n' : encoding === 'gb18030' ? 'id,名\n1,寿司😀\n' : 'id,이름\n1,김치\n';
      const bytes = iconv.encode(text, encoding);
      for (const size of [1, 2, 3, 5, 7, 4096]) expect(decodeAll(encoding, bytes, size)).toEqual({ text });
    });
  }

  it('stops at the first invalid UTF-8 byte, handing over the text before it', () => {
    const bytes = Buffer.concat([Buffer.from('ok 😀 '), Buffer.from([0xf0, 0x9f, 0x41]), Buffer.from('never')]);
    for (const size of [1, 2, 3, 64]) {
      const result = decodeAll('utf-8', bytes, size);
      expect(result.text).toBe('ok 😀 ');
      expect(result.error?.message).toBe('bytes that are not valid utf-8');
    }
  });

  it('refuses a character cut off at the end of the file', () => {
    expect(decodeAll('utf-8', Buffer.from([0x61, 0xe2, 0x82]), 1)).toMatchObject({ text: 'a', error: expect.any(InvalidBytesError) });
    expect(decodeAll('utf-16le', Buffer.from([0x61, 0x00, 0x62]), 1)).toMatchObject({ text: 'a', error: expect.any(InvalidBytesError) });
  });

  it('finds a Shift_JIS sequence the encoding does not define', () => {
    const bytes = Buffer.concat([iconv.encode('寿司,', 'shift_jis'), Buffer.from([0x85, 0x40]), Buffer.from(',x')]);
    expect(decodeAll('shift_jis', bytes, 3)).toMatchObject({ text: '寿司,', error: expect.any(InvalidBytesError) });
  });

  it('reads every byte of latin1 as a character, and refuses the five windows-1252 leaves undefined', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(decodeAll('latin1', all, 7).text).toBe(iconv.decode(all, 'latin1'));
    const result = decodeAll('windows-1252', Buffer.from([0x41, 0x80, 0x8d, 0x42]), 1);
    expect(result).toMatchObject({ text: 'A€', error: expect.any(InvalidBytesError) });
  });

  it('refuses encodings whose invalid bytes it cannot tell from data', () => {
    expect(() => byteDecoderFor('utf-32le')).toThrow(UnsupportedEncodingError);
    expect(() => byteDecoderFor('utf-7')).toThrow(/not supported: its invalid bytes cannot be told apart/);
  });
});
