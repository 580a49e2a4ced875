// The first bytes of a stream, to tell its format, without losing them: `bytes` yields them again,
// then the rest of the stream.
function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('expected a byte stream');
}

export interface PeekedStream {
  head: Buffer;
  bytes: AsyncIterable<Buffer>;
  // Stops the source (when the file is not read after all).
  close(): Promise<void>;
}

export async function peekHead(source: AsyncIterable<unknown>, length: number): Promise<PeekedStream> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < length) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = toBuffer(next.value);
    seen.push(chunk);
    size += chunk.length;
  }
  const all = seen.length === 1 ? (seen[0] as Buffer) : Buffer.concat(seen);
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      if (all.length > 0) yield all;
      while (!ended) {
        const next = await iterator.next();
        if (next.done) break;
        yield toBuffer(next.value);
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { head: all.subarray(0, length), bytes: bytes(), close: async () => { await iterator.return?.(); } };
}
