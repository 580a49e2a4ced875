import { createHash, randomUUID } from 'node:crypto';
import { CRC32C, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logger';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';
import { apiError } from '../support/api-error';

// Buckets, objects, metadata, ranges, listing, copy/move and error bodies — all through the real
// @google-cloud/storage client against the in-memory emulator.

let emulator: GcsEmulator;
let storage: Storage;

const uniqueBucket = (tag: string) => `gcs-${tag}-${randomUUID().slice(0, 8)}`;
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');
const crc32c = (data: Buffer | string) => {
  const c = new CRC32C();
  c.update(Buffer.from(data));
  return c.toString();
};

async function newBucket(tag: string) {
  const [bucket] = await storage.createBucket(uniqueBucket(tag));
  return bucket;
}

beforeAll(async () => {
  emulator = await startGcsEmulator({ logger: silentLogger });
  storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test-project' });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('buckets', () => {
  it('creates, gets, lists and deletes buckets with GCS errors', async () => {
    const name = uniqueBucket('b');
    const [bucket, created] = await storage.createBucket(name, { location: 'europe-west1' });
    expect(created).toMatchObject({ kind: 'storage#bucket', id: name, name, metageneration: '1', location: 'EUROPE-WEST1', storageClass: 'STANDARD' });

    const [meta] = await bucket.getMetadata();
    expect(meta.name).toBe(name);
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name)).toContain(name);
    expect((await bucket.exists())[0]).toBe(true);

    const dup = await apiError(storage.createBucket(name));
    expect(dup.code).toBe(409);
    expect(dup.message).toBe('Your previous request to create the named bucket succeeded and you already own it.');

    await bucket.file('x').save('x', { resumable: false });
    const notEmpty = await apiError(bucket.delete());
    expect(notEmpty.code).toBe(409);
    await bucket.file('x').delete();
    await bucket.delete();
    expect((await bucket.exists())[0]).toBe(false);

    const missing = await apiError(storage.bucket(uniqueBucket('missing')).getMetadata());
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('The specified bucket does not exist.');
    expect((await apiError(storage.createBucket('Bad_Name!'))).code).toBe(400);
  });
});

describe('objects', () => {
  it('uploads (multipart and resumable) and returns the object resource GCS returns', async () => {
    const bucket = await newBucket('res');
    const body = 'hello, sluice';
    const file = bucket.file('dir/hello world.txt');
    await file.save(body, { resumable: false, contentType: 'text/plain', metadata: { metadata: { run: '42' } } });
    const [m] = await file.getMetadata();
    expect(m).toMatchObject({
      kind: 'storage#object',
      name: 'dir/hello world.txt',
      bucket: bucket.name,
      contentType: 'text/plain',
      size: String(body.length),
      md5Hash: md5(body),
      crc32c: crc32c(body),
      metageneration: '1',
      storageClass: 'STANDARD',
      metadata: { run: '42' },
    });
    expect(m.generation).toMatch(/^\d{16}$/);
    expect(m.id).toBe(`${bucket.name}/dir/hello world.txt/${m.generation}`);
    expect(m.selfLink).toBe(`${emulator.url}/storage/v1/b/${bucket.name}/o/dir%2Fhello%20world.txt`);
    expect(m.mediaLink).toContain(`/download/storage/v1/b/${bucket.name}/o/dir%2Fhello%20world.txt?generation=${m.generation}&alt=media`);
    expect(typeof m.etag).toBe('string');
    expect(new Date(m.timeCreated!).toISOString()).toBe(m.timeCreated);

    const resumable = bucket.file('resumable.bin');
    const data = Buffer.from(randomUUID().repeat(1000));
    await resumable.save(data, { resumable: true, contentType: 'application/x-test' });
    const [rm] = await resumable.getMetadata();
    expect(rm).toMatchObject({ size: String(data.length), md5Hash: md5(data), crc32c: crc32c(data), contentType: 'application/x-test' });
    const [downloaded] = await resumable.download();
    expect(downloaded.equals(data)).toBe(true);

    // The mediaLink is downloadable as is.
    const res = await fetch(rm.mediaLink!);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it('accepts uploadType=media and reports hashes on download', async () => {
    const bucket = await newBucket('media');
    const res = await fetch(`${emulator.url}/upload/storage/v1/b/${bucket.name}/o?uploadType=media&name=m.csv`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: 'a,b\n1,2\n',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'm.csv', contentType: 'text/csv', size: '8' });
    const dl = await fetch(`${emulator.url}/storage/v1/b/${bucket.name}/o/m.csv?alt=media`);
    expect(dl.headers.get('x-goog-hash')).toBe(`crc32c=${crc32c('a,b\n1,2\n')},md5=${md5('a,b\n1,2\n')}`);
    expect(dl.headers.get('x-goog-stored-content-encoding')).toBe('identity');
    expect(await dl.text()).toBe('a,b\n1,2\n');
  });

  it('gives every write a new, increasing generation and every patch a new metageneration', async () => {
    const bucket = await newBucket('gen');
    const file = bucket.file('g.txt');
    await file.save('one', { resumable: false });
    const g1 = BigInt(file.metadata.generation!);
    await file.save('two', { resumable: false });
    const g2 = BigInt(file.metadata.generation!);
    expect(g2 > g1).toBe(true);

    const [patched] = await file.setMetadata({ contentType: 'application/json', metadata: { a: '1', b: '2' } });
    expect(patched).toMatchObject({ metageneration: '2', contentType: 'application/json', metadata: { a: '1', b: '2' }, generation: String(g2) });
    const [again] = await file.setMetadata({ metadata: { a: null, c: '3' } });
    expect(again.metageneration).toBe('3');
    expect(again.metadata).toEqual({ b: '2', c: '3' });
    expect(BigInt(again.generation!)).toBe(g2);
  });

  it('serves ranged and streamed reads', async () => {
    const bucket = await newBucket('range');
    const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    const file = bucket.file('r.bin');
    await file.save(data, { resumable: false });

    const [middle] = await file.download({ start: 10, end: 19 });
    expect(middle.equals(data.subarray(10, 20))).toBe(true);
    const [tail] = await file.download({ start: 99_990 });
    expect(tail.equals(data.subarray(99_990))).toBe(true);

    const chunks: Buffer[] = [];
    for await (const c of file.createReadStream({ start: 5_000, end: 60_000 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(data.subarray(5_000, 60_001))).toBe(true);

    const raw = await fetch(`${emulator.url}/storage/v1/b/${bucket.name}/o/r.bin?alt=media`, { headers: { Range: 'bytes=-4' } });
    expect(raw.status).toBe(206);
    expect(raw.headers.get('content-range')).toBe('bytes 99996-99999/100000');
    expect(Buffer.from(await raw.arrayBuffer()).equals(data.subarray(99_996))).toBe(true);

    const beyond = await fetch(`${emulator.url}/storage/v1/b/${bucket.name}/o/r.bin?alt=media`, { headers: { Range: 'bytes=200000-' } });
    expect(beyond.status).toBe(416);

    // Ranges of one generation, as transform's zip reader asks them (a replaced generation is gone).
    const generation = Number(file.metadata.generation);
    const [pinned] = await bucket.file('r.bin', { generation }).download({ start: 99_000, end: 99_099, validation: false });
    expect(pinned.equals(data.subarray(99_000, 99_100))).toBe(true);
    await file.save(Buffer.from('replaced'), { resumable: false });
    expect((await apiError(bucket.file('r.bin', { generation }).download({ start: 0, end: 9, validation: false }))).code).toBe(404);
  });

  it('answers 404 with the GCS messages', async () => {
    const bucket = await newBucket('nf');
    const err = await apiError(bucket.file('nope.txt').getMetadata());
    expect(err.code).toBe(404);
    expect(err.message).toBe(`No such object: ${bucket.name}/nope.txt`);
    expect((await bucket.file('nope.txt').exists())[0]).toBe(false);
    expect((await apiError(bucket.file('nope.txt').download())).code).toBe(404);
    expect((await apiError(bucket.file('nope.txt').delete())).code).toBe(404);
    const upload = await apiError(storage.bucket(uniqueBucket('gone')).file('a').save('a', { resumable: false }));
    expect(upload.code).toBe(404);
  });

  it('deletes objects', async () => {
    const bucket = await newBucket('del');
    const file = bucket.file('d.txt');
    await file.save('bye', { resumable: false });
    await file.delete();
    expect((await file.exists())[0]).toBe(false);
  });
});

describe('preconditions', () => {
  const PRECONDITION_BODY = {
    error: {
      code: 412,
      message: 'At least one of the pre-conditions you specified did not hold.',
      errors: [{ domain: 'global', reason: 'conditionNotMet', locationType: 'header', location: 'If-Match' }],
    },
  };

  it('enforces ifGenerationMatch / ifGenerationNotMatch / ifMetagenerationMatch / ifMetagenerationNotMatch', async () => {
    const bucket = await newBucket('pre');
    const file = bucket.file('p.txt');
    await file.save('v1', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const gen = Number(file.metadata.generation);

    // uploads: multipart and resumable
    expect((await apiError(file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }))).code).toBe(412);
    expect((await apiError(file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: gen + 1 } }))).code).toBe(412);
    expect((await apiError(file.save('v2', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }))).code).toBe(412);
    expect((await apiError(file.save('v2', { resumable: false, preconditionOpts: { ifGenerationNotMatch: gen } }))).code).toBe(412);
    expect((await apiError(file.save('v2', { resumable: false, preconditionOpts: { ifMetagenerationMatch: 7 } }))).code).toBe(412);
    expect((await apiError(file.save('v2', { resumable: false, preconditionOpts: { ifMetagenerationNotMatch: 1 } }))).code).toBe(412);
    expect((await file.download())[0].toString()).toBe('v1');

    // get: a failed *Match is 412, a failed *NotMatch is 304 Not Modified (as GCS answers reads)
    expect((await apiError(file.getMetadata({ ifGenerationMatch: gen + 1 }))).code).toBe(412);
    expect((await apiError(file.getMetadata({ ifMetagenerationMatch: 2 }))).code).toBe(412);
    expect((await apiError(file.getMetadata({ ifGenerationNotMatch: gen }))).code).toBe(304);
    expect((await apiError(file.getMetadata({ ifMetagenerationNotMatch: 1 }))).code).toBe(304);
    expect((await file.getMetadata({ ifGenerationMatch: gen }))[0].generation).toBe(String(gen));

    // patch
    expect((await apiError(file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 5 }))).code).toBe(412);
    expect((await apiError(file.setMetadata({ metadata: { a: '1' } }, { ifGenerationMatch: gen + 1 }))).code).toBe(412);
    expect((await apiError(file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationNotMatch: 1 }))).code).toBe(412);
    await file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 1 });

    // copy (destination precondition) and rewrite source preconditions
    const dest = bucket.file('dest.txt');
    await dest.save('d', { resumable: false });
    expect((await apiError(file.copy(dest, { preconditionOpts: { ifGenerationMatch: 0 } }))).code).toBe(412);
    const rewrite = (q: string) =>
      fetch(`${emulator.url}/storage/v1/b/${bucket.name}/o/p.txt/rewriteTo/b/${bucket.name}/o/other.txt?${q}`, { method: 'POST' });
    const failed = await rewrite(`ifSourceGenerationMatch=${gen + 1}`);
    expect(failed.status).toBe(412);
    expect(await failed.json()).toMatchObject(PRECONDITION_BODY);
    expect((await rewrite('ifSourceMetagenerationMatch=1')).status).toBe(412);
    expect((await rewrite(`ifSourceGenerationNotMatch=${gen}`)).status).toBe(412);
    expect((await rewrite(`ifSourceGenerationMatch=${gen}&ifSourceMetagenerationMatch=2`)).status).toBe(200);

    // delete
    expect((await apiError(file.delete({ ifGenerationMatch: gen + 1 }))).code).toBe(412);
    expect((await apiError(file.delete({ ifMetagenerationMatch: 1 }))).code).toBe(412);
    expect((await apiError(file.delete({ ifGenerationNotMatch: gen }))).code).toBe(412);
    await file.delete({ ifGenerationMatch: gen, ifMetagenerationMatch: 2 });

    // the exact error body
    const res = await fetch(`${emulator.url}/upload/storage/v1/b/${bucket.name}/o?uploadType=media&name=dest.txt&ifGenerationMatch=0`, {
      method: 'POST',
      body: 'x',
    });
    expect(res.status).toBe(412);
    const body = (await res.json()) as typeof PRECONDITION_BODY;
    expect(body).toMatchObject(PRECONDITION_BODY);
    expect(body.error.errors[0]).toHaveProperty('message');
  });
});

describe('listing', () => {
  it('lists with prefix, delimiter and page tokens', async () => {
    const bucket = await newBucket('list');
    const names = ['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'c.txt', 'd/4.txt', 'e.txt', 'z/9.txt'];
    await Promise.all(names.map((n) => bucket.file(n).save(n, { resumable: false })));

    const [all] = await bucket.getFiles();
    expect(all.map((f) => f.name)).toEqual(names);
    const [underB] = await bucket.getFiles({ prefix: 'b/' });
    expect(underB.map((f) => f.name)).toEqual(['b/1.txt', 'b/2.txt', 'b/c/3.txt']);

    // Page through with a delimiter: items and prefixes both count towards maxResults.
    const items: string[] = [];
    const prefixes: string[] = [];
    let query: Record<string, unknown> | null = { delimiter: '/', maxResults: 2, autoPaginate: false };
    let pages = 0;
    while (query) {
      const [files, next, resp] = (await bucket.getFiles(query)) as unknown as [
        { name: string }[],
        Record<string, unknown> | null,
        { prefixes?: string[] },
      ];
      items.push(...files.map((f) => f.name));
      prefixes.push(...(resp.prefixes ?? []));
      expect(files.length + (resp.prefixes?.length ?? 0)).toBeLessThanOrEqual(2);
      query = next;
      pages++;
    }
    expect(items).toEqual(['a.txt', 'c.txt', 'e.txt']);
    expect(prefixes).toEqual(['b/', 'd/', 'z/']);
    expect(pages).toBe(3);

    const [nested, , nestedResp] = (await bucket.getFiles({ prefix: 'b/', delimiter: '/', autoPaginate: false })) as unknown as [
      { name: string }[],
      unknown,
      { prefixes?: string[] },
    ];
    expect(nested.map((f) => f.name)).toEqual(['b/1.txt', 'b/2.txt']);
    expect(nestedResp.prefixes).toEqual(['b/c/']);
  });
});

describe('copy and move', () => {
  it('copies (rewriteTo), moves (copy + delete) and moves atomically (moveTo)', async () => {
    const bucket = await newBucket('copy');
    const other = await newBucket('copy2');
    const src = bucket.file('src.txt');
    await src.save('payload', { resumable: false, contentType: 'text/plain', metadata: { metadata: { k: 'v' } } });

    const [copied] = await src.copy(other.file('copied.txt'));
    const [cm] = await copied.getMetadata();
    expect(cm).toMatchObject({ bucket: other.name, name: 'copied.txt', contentType: 'text/plain', metadata: { k: 'v' }, md5Hash: md5('payload') });
    expect(cm.generation).not.toBe(src.metadata.generation);

    const [withMeta] = await src.copy(bucket.file('meta.txt'), { contentType: 'application/json', metadata: { extra: 'x' } });
    const [wm] = await withMeta.getMetadata();
    expect(wm.contentType).toBe('application/json');
    expect(wm.metadata).toEqual({ extra: 'x' });

    await copied.move(other.file('moved.txt'));
    expect((await copied.exists())[0]).toBe(false);
    expect((await other.file('moved.txt').download())[0].toString()).toBe('payload');

    await src.moveFileAtomic('atomic.txt');
    expect((await src.exists())[0]).toBe(false);
    expect((await bucket.file('atomic.txt').download())[0].toString()).toBe('payload');
  });
});

describe('compose', () => {
  it('combines objects into a composite object', async () => {
    const bucket = await newBucket('compose');
    await bucket.file('part-1').save('hello, ', { resumable: false, contentType: 'text/plain' });
    await bucket.file('part-2').save('world', { resumable: false });
    const [combined] = await bucket.combine(['part-1', 'part-2'], 'whole.txt');
    const [meta] = await combined.getMetadata();
    expect(meta).toMatchObject({ size: '12', componentCount: 2, crc32c: crc32c('hello, world'), contentType: 'text/plain' });
    expect((await combined.download())[0].toString()).toBe('hello, world');
    expect((await apiError(bucket.combine(['part-1', 'missing'], 'x.txt'))).code).toBe(404);
  });
});

describe('STORAGE_EMULATOR_HOST', () => {
  it('works when the client is pointed at the emulator through the environment', async () => {
    const previous = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = emulator.url;
    try {
      const viaEnv = new Storage({ projectId: 'test-project' });
      const [bucket] = await viaEnv.createBucket(uniqueBucket('env'));
      await bucket.file('e.txt').save('env', { resumable: false });
      await bucket.file('r.txt').save('resumable', { resumable: true });
      expect((await bucket.file('e.txt').download())[0].toString()).toBe('env');
      expect((await bucket.file('r.txt').download())[0].toString()).toBe('resumable');
      expect((await bucket.getFiles())[0].map((f) => f.name)).toEqual(['e.txt', 'r.txt']);
    } finally {
      if (previous === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previous;
    }
  });
});
