// The first bytes of a stream, to tell its format, without losing them: `bytes` yields them again,
// then the rest of the stream.
// A stream's chunk as a Buffer (Uint8Array views and strings as well).
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('expected a byte stream');
}

// Chunks read into `into` until they add at least `bytes` bytes; false when the stream ended first.
export async function readAtLeast(iterator: AsyncIterator<unknown>, into: Buffer[], bytes: number): Promise<boolean> {
  let added = 0;
  while (added < bytes) {
    const next = await iterator.next();
    if (next.done) return false;
    const chunk = toBuffer(next.value);
    into.push(chunk);
    added += chunk.length;
  }
  return true;
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
  const ended = !(await readAtLeast(iterator, seen, length));
  const all = seen.length === 1 ? (seen[0] as Buffer) : Buffer.concat(seen);
  return { head: all.subarray(0, length), bytes: replay(all.length > 0 ? [all] : [], iterator, ended), close: async () => { await iterator.return?.(); } };
}

// The chunks already read from `iterator`, then the rest of it (none when it had `ended`); stops the
// source when the reader stops early.
export async function* replay(read: readonly Buffer[], iterator: AsyncIterator<unknown>, ended: boolean): AsyncGenerator<Buffer> {
  try {
    yield* read;
    while (!ended) {
      const next = await iterator.next();
      if (next.done) break;
      yield toBuffer(next.value);
    }
  } finally {
    await iterator.return?.();
  }
}
