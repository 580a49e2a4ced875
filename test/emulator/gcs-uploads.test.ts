import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IdempotencyStrategy, Storage, type ApiError } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logger';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';

// The upload protocols through the real client: large chunked resumable uploads, resuming after
// a connection broken mid-chunk, the status query (308 + Range), and create-only races.

let emulator: GcsEmulator;
let storage: Storage;

const uniqueBucket = (tag: string) => `gcs-${tag}-${randomUUID().slice(0, 8)}`;
const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');
const MiB = 1024 * 1024;

async function newBucket(tag: string) {
  const [bucket] = await storage.createBucket(uniqueBucket(tag));
  return bucket;
}

/** Feeds a buffer in 1 MiB pieces, as a file read would, so uploads really stream. */
function streamOf(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += MiB) yield data.subarray(i, i + MiB);
    })(),
  );
}

/**
 * An HTTP proxy in front of the emulator that cuts exactly one request mid-body: the first one
 * `shouldBreak` picks, after `afterBytes` bytes of its body. Everything else passes through.
 */
async function startBreakingProxy(target: string, shouldBreak: (req: IncomingMessage) => boolean, afterBytes: number) {
  const upstream = new URL(target);
  let broken = 0;
  const server: Server = createServer((req, res) => {
    const cut = broken === 0 && shouldBreak(req);
    if (cut) broken++;
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    if (!cut) {
      req.pipe(out);
      return;
    }
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      if (seen >= afterBytes) return;
      const room = afterBytes - seen;
      out.write(chunk.subarray(0, room));
      seen += Math.min(room, chunk.length);
      if (seen >= afterBytes) {
        // Both sides of the connection drop, as when a network path fails mid-upload.
        out.destroy();
        req.socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    broken: () => broken,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function statusOf(sessionUri: string): Promise<{ status: number; range: string | null }> {
  const res = await fetch(sessionUri, { method: 'PUT', headers: { 'Content-Range': 'bytes */*' } });
  await res.arrayBuffer();
  return { status: res.status, range: res.headers.get('range') };
}

beforeAll(async () => {
  emulator = await startGcsEmulator({ logger: silentLogger });
  storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test-project' });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('resumable uploads', () => {
  it('uploads 50 MB in 8 MiB chunks and the md5 matches', async () => {
    const bucket = await newBucket('big');
    const data = randomBytes(50 * MiB);
    const file = bucket.file('big.bin');
    const started = Date.now();
    await pipeline(streamOf(data), file.createWriteStream({ resumable: true, chunkSize: 8 * MiB, validation: 'md5' }));
    const uploadMs = Date.now() - started;
    const [meta] = await file.getMetadata();
    expect(meta.size).toBe(String(data.length));
    expect(meta.md5Hash).toBe(md5(data));

    // Hashed here (the client's own crc32c check runs in pure JS and would triple the time).
    const hash = createHash('md5');
    for await (const chunk of file.createReadStream({ validation: false })) hash.update(chunk as Buffer);
    expect(hash.digest('base64')).toBe(md5(data));
    console.log(`50 MB chunked resumable upload: ${uploadMs} ms; round trip ${Date.now() - started} ms`);
  });

  it('streams a large multipart (single-request) upload', async () => {
    const bucket = await newBucket('multi');
    const data = randomBytes(12 * MiB + 123);
    const file = bucket.file('multi.bin');
    await pipeline(streamOf(data), file.createWriteStream({ resumable: false }));
    const [meta] = await file.getMetadata();
    expect(meta).toMatchObject({ size: String(data.length), md5Hash: md5(data) });
  });

  it('answers status queries with 308 and the persisted Range, and honours cancellation', async () => {
    const bucket = await newBucket('status');
    const [uri] = await bucket.file('s.bin').createResumableUpload();
    expect(uri).toContain('upload_id=');
    expect(await statusOf(uri)).toEqual({ status: 308, range: null });

    const part = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-262143/*' }, body: randomBytes(256 * 1024) });
    expect(part.status).toBe(308);
    expect(part.headers.get('range')).toBe('bytes=0-262143');
    expect(await statusOf(uri)).toEqual({ status: 308, range: 'bytes=0-262143' });

    const last = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes 262144-262147/262148' }, body: 'tail' });
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({ kind: 'storage#object', name: 's.bin', size: '262148' });
    // A finished session keeps answering with the object.
    expect((await statusOf(uri)).status).toBe(200);

    const [cancelUri] = await bucket.file('c.bin').createResumableUpload();
    expect((await fetch(cancelUri, { method: 'DELETE' })).status).toBe(499);
    expect((await statusOf(cancelUri)).status).toBe(404);
  });

  it('resumes after a chunk whose connection broke, by asking the session for its status', async () => {
    const bucket = await newBucket('broken');
    const data = randomBytes(20 * MiB);
    // Break the second chunk (starting at 8 MiB) after 3 MiB of its body got through.
    const proxy = await startBreakingProxy(
      emulator.url,
      (req) => req.method === 'PUT' && /^bytes 8388608-/.test(String(req.headers['content-range'] ?? '')),
      3 * MiB,
    );
    try {
      const viaProxy = new Storage({
        apiEndpoint: proxy.url,
        projectId: 'test-project',
        // Fast retries; RetryAlways so the client retries an upload without a precondition.
        retryOptions: { idempotencyStrategy: IdempotencyStrategy.RetryAlways, maxRetryDelay: 1, retryDelayMultiplier: 1, totalTimeout: 60 },
      });
      const file = viaProxy.bucket(bucket.name).file('resumed.bin');
      await pipeline(streamOf(data), file.createWriteStream({ resumable: true, chunkSize: 8 * MiB }));
      expect(proxy.broken()).toBe(1);
      const [meta] = await storage.bucket(bucket.name).file('resumed.bin').getMetadata();
      expect(meta.size).toBe(String(data.length));
      expect(meta.md5Hash).toBe(md5(data));
    } finally {
      await proxy.stop();
    }
  });

  it('resumes a session by URI: status query, then the client skips what the server has', async () => {
    const bucket = await newBucket('byuri');
    const data = randomBytes(6 * MiB);
    const file = bucket.file('by-uri.bin');
    const [uri] = await file.createResumableUpload({ metadata: { contentType: 'application/x-resumed' } });

    // First attempt: a single-request upload whose connection dies after ~2 MiB.
    await new Promise<void>((resolve) => {
      const url = new URL(uri);
      const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: url.pathname + url.search, headers: { 'Content-Range': `bytes 0-*/${data.length}` } });
      req.on('error', () => resolve());
      req.write(data.subarray(0, 2 * MiB), () => setImmediate(() => req.destroy()));
    });
    // The server keeps what reached it; wait until it has settled the broken request.
    let persisted = 0;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { status, range } = await statusOf(uri);
      expect(status).toBe(308);
      persisted = range ? Number(range.split('-')[1]) + 1 : 0;
      if (persisted > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(persisted).toBeGreaterThan(0);
    expect(persisted).toBeLessThanOrEqual(2 * MiB);

    // Second attempt with the whole stream: the client asks for the status and skips ahead.
    await pipeline(streamOf(data), file.createWriteStream({ uri, resumable: true }));
    const [meta] = await file.getMetadata();
    expect(meta).toMatchObject({ size: String(data.length), md5Hash: md5(data), contentType: 'application/x-resumed' });

    // Resuming with an explicit offset works too (the stream then starts at that offset).
    const other = bucket.file('offset.bin');
    const [uri2] = await other.createResumableUpload();
    await fetch(uri2, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-1048575/*' }, body: data.subarray(0, MiB) });
    await pipeline(streamOf(data.subarray(MiB)), other.createWriteStream({ uri: uri2, offset: MiB, resumable: true, validation: false }));
    expect((await other.getMetadata())[0].md5Hash).toBe(md5(data));
  });
});

describe('create-only writes', () => {
  it('lets exactly one of several concurrent ifGenerationMatch=0 writers win', async () => {
    const bucket = await newBucket('race');
    for (const resumable of [false, true]) {
      const name = `race-${resumable ? 'resumable' : 'multipart'}.txt`;
      const writers = Array.from({ length: 6 }, (_, i) =>
        bucket.file(name).save(`writer-${i}-${'x'.repeat(50_000)}`, { resumable, preconditionOpts: { ifGenerationMatch: 0 } }),
      );
      const results = await Promise.allSettled(writers);
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ApiError] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(5);
      for (const err of lost) expect(err.code).toBe(412);
      const [content] = await bucket.file(name).download();
      expect(content.toString().startsWith(`writer-${won[0]}-`)).toBe(true);
    }
  });
});
