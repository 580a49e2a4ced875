// The hand-written resumable protocol against a small scripted server (a fake, so that the cases the
// real Drive shows only under load can be forced): a chunk answered 500 is resumed from what the
// server says it has, a server that kept less than was sent gets the rest again, a stored session is
// resumed without starting over, and one that completed before a crash is recognised as done.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { GoogleApiAccess } from '../../../functions/runtime/google-auth/google-api-access';
import { CHUNK_GRANULE, resumableUpload } from '../../../functions/notify/destinations/drive/resumable-upload';

interface Fake {
  root: string;
  received: Buffer;
  puts: string[];
  initiations: number;
  // Per PUT (1-based): what to do instead of accepting the chunk whole.
  script: Map<number, 'fail' | 'keep-half'>;
  server: Server;
}

let fake: Fake | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (fake?.server ? fake.server.close(() => resolve()) : resolve()));
  fake = undefined;
});

async function startFake(total: number): Promise<Fake> {
  const state: Fake = { root: '', received: Buffer.alloc(0), puts: [], initiations: 0, script: new Map(), server: undefined as never };
  state.server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (req.headers.authorization !== 'Bearer test-token') return void res.writeHead(401).end();
      if (req.method === 'POST') {
        state.initiations += 1;
        expect(req.url).toContain('uploadType=resumable');
        expect(req.url).toContain('supportsAllDrives=true');
        expect(req.headers['x-upload-content-length']).toBe(String(total));
        return void res.writeHead(200, { location: `${state.root}session/1` }).end();
      }
      const range = String(req.headers['content-range']);
      state.puts.push(range);
      const rangeHeader = () => (state.received.length > 0 ? { range: `bytes=0-${state.received.length - 1}` } : {});
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range);
      if (m) {
        const step = state.script.get(state.puts.length);
        const start = Number(m[1]);
        expect(start).toBe(state.received.length);
        if (step === 'fail') return void res.writeHead(500).end('{"error":{"code":500,"message":"backend"}}');
        const kept = step === 'keep-half' ? body.subarray(0, CHUNK_GRANULE) : body;
        state.received = Buffer.concat([state.received, kept]);
      }
      if (state.received.length === total) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'file-1', name: 'big.bin', size: String(total) }));
      res.writeHead(308, rangeHeader()).end();
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.root = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/`;
  return (fake = state);
}

const access = (root: string): GoogleApiAccess => ({
  auth: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer test-token' }) } as never,
  rootUrl: root,
  describe: 'test',
});

const content = (total: number) => Buffer.from(Array.from({ length: total }, (_, i) => i % 251));

function upload(f: Fake, data: Buffer, stored: { uri?: string }) {
  return resumableUpload({
    access: access(f.root),
    metadata: { name: 'big.bin', parents: ['folder'], appProperties: { sha256: 'x' } },
    mimeType: 'application/octet-stream',
    total: data.length,
    open: (start) => Readable.from([data.subarray(start, start + 100_000), data.subarray(start + 100_000)].filter((b) => b.length > 0)),
    session: { load: async () => stored.uri, save: async (uri) => { stored.uri = uri; } },
    chunkBytes: 2 * CHUNK_GRANULE,
    fields: 'id,name,size',
  });
}

describe('resumableUpload', () => {
  it('sends 256 KiB-multiple chunks and resumes after a 500 from what the server has', async () => {
    const data = content(5 * CHUNK_GRANULE + 123);
    const f = await startFake(data.length);
    f.script.set(2, 'fail');
    const stored: { uri?: string } = {};
    const { file } = await upload(f, data, stored);
    expect(file.id).toBe('file-1');
    expect(f.received.equals(data)).toBe(true);
    expect(f.initiations).toBe(1);
    expect(stored.uri).toBe(`${f.root}session/1`);
    // chunk 2 failed, a status query, chunk 2 again, then the rest.
    expect(f.puts).toEqual([
      `bytes 0-524287/${data.length}`, `bytes 524288-1048575/${data.length}`, `bytes */${data.length}`,
      `bytes 524288-1048575/${data.length}`, `bytes 1048576-1310842/${data.length}`,
    ]);
  });

  it('sends again what the server did not keep', async () => {
    const data = content(4 * CHUNK_GRANULE);
    const f = await startFake(data.length);
    f.script.set(1, 'keep-half');
    await upload(f, data, {});
    expect(f.received.equals(data)).toBe(true);
    expect(f.puts[1]).toBe(`bytes 262144-786431/${data.length}`);
  });

  it('resumes a stored session, and recognises one that completed before a crash', async () => {
    const data = content(4 * CHUNK_GRANULE);
    const f = await startFake(data.length);
    f.received = data.subarray(0, 2 * CHUNK_GRANULE);
    const stored = { uri: `${f.root}session/1` };
    const { resumedAt } = await upload(f, data, stored);
    expect(resumedAt).toBe(2 * CHUNK_GRANULE);
    expect(f.initiations).toBe(0);
    expect(f.received.equals(data)).toBe(true);
    const again = await upload(f, data, stored);
    expect(again.file.id).toBe('file-1');
    expect(f.initiations).toBe(0);
  });
});
