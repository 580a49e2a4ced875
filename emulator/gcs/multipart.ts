import { gcsErrors } from './errors';

// A streaming reader for the `multipart/related` body of uploadType=multipart: part one is the
// object's JSON metadata (small, buffered), part two its bytes (streamed to `onMedia` without
// ever holding the whole object; only a delimiter's length is held back at a time).

export function boundaryOf(contentType: string | undefined): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const b = m?.[1] ?? m?.[2];
  if (!/^multipart\/related/i.test(contentType ?? '') || !b) {
    throw gcsErrors.invalid('Invalid multipart request: expected Content-Type multipart/related with a boundary.');
  }
  return b;
}

export interface MultipartResult {
  metadata: unknown;
  mediaContentType?: string;
}

const MAX_METADATA = 8 * 1024 * 1024;

export async function readMultipartRelated(
  body: AsyncIterable<Buffer>,
  boundary: string,
  onMedia: (chunk: Buffer) => Promise<void>,
): Promise<MultipartResult> {
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const headerEnd = Buffer.from('\r\n\r\n');
  type Phase = 'preamble' | 'headers' | 'body' | 'afterDelimiter' | 'done';
  let buf: Buffer = Buffer.alloc(0);
  let phase = 'preamble' as Phase;
  let part = 0;
  let partContentType: string | undefined;
  const metadataChunks: Buffer[] = [];
  let metadataSize = 0;
  let mediaContentType: string | undefined;

  const emit = async (data: Buffer) => {
    if (data.length === 0) return;
    if (part === 1) {
      metadataSize += data.length;
      if (metadataSize > MAX_METADATA) throw gcsErrors.invalid('Multipart metadata part too large.');
      metadataChunks.push(Buffer.from(data));
    } else if (part === 2) await onMedia(data);
    else throw gcsErrors.invalid('Invalid multipart request: more than two parts.');
  };

  const step = async (): Promise<boolean> => {
    switch (phase) {
      case 'preamble': {
        const i = buf.indexOf(opening);
        if (i < 0 || buf.length < i + opening.length + 2) return false;
        buf = buf.subarray(i + opening.length);
        phase = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (buf.length < 2) return false;
        const two = buf.subarray(0, 2).toString('latin1');
        if (two === '--') {
          phase = 'done';
          return false;
        }
        if (two !== '\r\n') throw gcsErrors.invalid('Invalid multipart request: malformed delimiter.');
        buf = buf.subarray(2);
        part += 1;
        phase = 'headers';
        return true;
      }
      case 'headers': {
        const i = buf.indexOf(headerEnd);
        if (i < 0) {
          if (buf.length > 64 * 1024) throw gcsErrors.invalid('Invalid multipart request: part headers too long.');
          return false;
        }
        const headers = buf.subarray(0, i).toString('latin1').split('\r\n');
        partContentType = headers
          .map((h) => /^content-type:\s*(.*)$/i.exec(h)?.[1]?.trim())
          .find((v): v is string => v !== undefined);
        if (part === 2) mediaContentType = partContentType;
        buf = buf.subarray(i + headerEnd.length);
        phase = 'body';
        return true;
      }
      case 'body': {
        const i = buf.indexOf(delimiter);
        if (i >= 0) {
          await emit(buf.subarray(0, i));
          buf = buf.subarray(i + delimiter.length);
          phase = 'afterDelimiter';
          return true;
        }
        // Keep back what could be the start of a delimiter split across chunks.
        const safe = buf.length - (delimiter.length - 1);
        if (safe > 0) {
          await emit(buf.subarray(0, safe));
          buf = buf.subarray(safe);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of body) {
    if (phase === 'done') continue; // epilogue
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (await step());
  }
  if (phase !== 'done') throw gcsErrors.invalid('Invalid multipart request: body ended before the closing delimiter.');
  if (part < 2) throw gcsErrors.invalid('Invalid multipart request: expected a metadata part and a media part.');

  const text = Buffer.concat(metadataChunks).toString('utf8').trim();
  let metadata: unknown = undefined;
  if (text) {
    try {
      metadata = JSON.parse(text);
    } catch {
      throw gcsErrors.parseError();
    }
  }
  return { metadata, mediaContentType };
}
