import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logger';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';
import { apiError } from '../support/api-error';

// What passes on the emulator must pass on Cloud Storage: it rejects what GCS rejects, applies
// what GCS applies, and refuses (501, naming it) what it does not implement — all through the
// real @google-cloud/storage client.

let emulator: GcsEmulator;
let storage: Storage;

/**
 * Status and reason of a refused call. The client reports a refused resumable-session start as a
 * GaxiosError (status, response.data) rather than an ApiError (code, errors) — against Google too.
 */
function refusal(err: unknown): { status: unknown; reason: unknown; message: string } {
  const e = err as { code?: unknown; status?: unknown; errors?: { reason?: string }[]; message: string; response?: { data?: unknown } };
  const body = e.response?.data as { error?: { message?: string; errors?: { reason?: string }[] } } | undefined;
  return {
    status: typeof e.code === 'number' ? e.code : e.status,
    reason: e.errors?.[0]?.reason ?? body?.error?.errors?.[0]?.reason,
    message: body?.error?.message ?? e.message,
  };
}

async function newBucket(tag: string, options: Record<string, unknown> = {}) {
  const [bucket] = await storage.createBucket(`fid-${tag}-${randomUUID().slice(0, 8)}`, options);
  return bucket;
}

beforeAll(async () => {
  emulator = await startGcsEmulator({ logger: silentLogger });
  storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test-project', retryOptions: { autoRetry: false } });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('object names', () => {
  const bad: [string, string][] = [
    ['a\nb.csv', 'line feed'],
    ['a\rb.csv', 'carriage return'],
    ['x'.repeat(1025), 'over 1,024 bytes'],
    ['é'.repeat(513), 'over 1,024 bytes of UTF-8 (513 two-byte characters)'],
    ['.', 'exactly "."'],
    ['..', 'exactly ".."'],
    ['.well-known/acme-challenge/token', 'the ACME challenge prefix'],
  ];

  it('refuses every upload kind with 400 invalid, as Cloud Storage does', async () => {
    const bucket = await newBucket('names');
    for (const [name, why] of bad) {
      for (const resumable of [false, true]) {
        const err = refusal(await apiError(bucket.file(name).save('x', { resumable })));
        expect(err.status, `${why}, resumable=${resumable}`).toBe(400);
        expect(err.reason, why).toBe('invalid');
      }
    }
    // uploadType=media (bytes only, name in the query)
    const media = await fetch(`${emulator.url}/upload/storage/v1/b/${bucket.name}/o?uploadType=media&name=${encodeURIComponent('a\nb')}`, { method: 'POST', body: 'x' });
    expect(media.status).toBe(400);
    expect(((await media.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]!.reason).toBe('invalid');
    const [files] = await bucket.getFiles();
    expect(files).toHaveLength(0);
  });

  it('accepts names at the limits: 1,024 bytes, dots inside, the challenge path without its slash', async () => {
    const bucket = await newBucket('names-ok');
    for (const name of ['x'.repeat(1024), '...', 'a/./b', '.well-known/acme-challenge', 'ünïcode/ok']) {
      await bucket.file(name).save('x', { resumable: false });
    }
    const [files] = await bucket.getFiles();
    expect(files).toHaveLength(5);
  });

  it('refuses such names as copy, move and compose destinations', async () => {
    const bucket = await newBucket('names-dest');
    const source = bucket.file('ok.csv');
    await source.save('x', { resumable: false });
    // "." and ".." cannot reach the server in a path segment (URL resolution removes them).
    for (const [name, why] of bad.filter(([n]) => n !== '.' && n !== '..')) {
      expect((await apiError(source.copy(bucket.file(name)))).code, `copy: ${why}`).toBe(400);
      expect((await apiError(source.moveFileAtomic(bucket.file(name)))).code, `moveTo: ${why}`).toBe(400);
      expect((await apiError(bucket.combine([source], bucket.file(name)))).code, `compose: ${why}`).toBe(400);
    }
    expect((await source.exists())[0]).toBe(true);
  });
});

describe('copy and rewrite with a body', () => {
  it('carries the source fields over without a body, and only the body with one', async () => {
    const bucket = await newBucket('copybody');
    const source = bucket.file('src.csv');
    await source.save('a,b\n', { resumable: false, metadata: { contentType: 'text/csv', cacheControl: 'no-store', metadata: { original: 'yes' } } });

    const [plain] = await source.copy('plain.csv');
    const [plainMeta] = await plain.getMetadata();
    expect(plainMeta).toMatchObject({ contentType: 'text/csv', cacheControl: 'no-store', metadata: { original: 'yes' } });

    const [custom] = await source.copy('custom.csv', { metadata: { newProperty: 'true' } });
    const [customMeta] = await custom.getMetadata();
    expect(customMeta.metadata).toEqual({ newProperty: 'true' });
    expect(customMeta.contentType).toBe('application/octet-stream');
    expect(customMeta.cacheControl).toBeUndefined();

    const [typed] = await source.copy('typed.csv', { contentType: 'text/plain' });
    const [typedMeta] = await typed.getMetadata();
    expect(typedMeta.contentType).toBe('text/plain');
    expect(typedMeta.metadata).toBeUndefined();
    const [bytes] = await typed.download();
    expect(bytes.toString()).toBe('a,b\n');
  });
});

describe('resumable chunks', () => {
  it('keeps a non-final chunk only up to its last 256 KiB boundary and answers 308 with that Range', async () => {
    const bucket = await newBucket('chunks');
    const data = randomBytes(700_000);
    const [uri] = await bucket.file('c.bin').createResumableUpload();
    const first = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-299999/*' }, body: data.subarray(0, 300_000) });
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe('bytes=0-262143');
    // The client goes on from what the server kept.
    const second = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': 'bytes 262144-599999/*' }, body: data.subarray(262_144, 600_000) });
    expect(second.headers.get('range')).toBe('bytes=0-524287');
    const last = await fetch(uri, { method: 'PUT', headers: { 'Content-Range': `bytes 524288-699999/700000` }, body: data.subarray(524_288) });
    expect(last.status).toBe(200);
    const [downloaded] = await bucket.file('c.bin').download();
    expect(downloaded.equals(data)).toBe(true);
  });

  it('the real client with an aligned chunkSize uploads unchanged', async () => {
    const bucket = await newBucket('chunks-client');
    const data = randomBytes(1_000_000);
    await bucket.file('k.bin').save(data, { resumable: true, chunkSize: 256 * 1024 });
    const [downloaded] = await bucket.file('k.bin').download();
    expect(downloaded.equals(data)).toBe(true);
  });
});

describe('custom metadata size', () => {
  it('refuses more than 8 KiB of keys and values with 400, on upload, patch and copy', async () => {
    const bucket = await newBucket('meta');
    const big = { metadata: { k: 'v'.repeat(8 * 1024) } }; // 8,193 bytes with the key
    for (const resumable of [false, true]) {
      const err = refusal(await apiError(bucket.file(`big-${resumable}`).save('x', { resumable, metadata: big })));
      expect(err.status).toBe(400);
      expect(err.reason).toBe('invalid');
      expect(err.message).toMatch(/8 KiB/);
    }
    // Exactly 8 KiB is allowed.
    const file = bucket.file('ok');
    await file.save('x', { resumable: false, metadata: { metadata: { k: 'v'.repeat(8 * 1024 - 1) } } });
    expect((await apiError(file.setMetadata({ metadata: { more: 'x' } }))).code).toBe(400);
    expect((await apiError(file.copy('copy', { metadata: { k: 'v'.repeat(9000) } }))).code).toBe(400);
    const [meta] = await file.getMetadata();
    expect(Object.keys(meta.metadata ?? {})).toEqual(['k']);
  });
});

describe('object versioning', () => {
  it('keeps noncurrent generations on overwrite and delete, lists them with versions=true, reads and deletes by generation', async () => {
    const bucket = await newBucket('versions', { versioning: { enabled: true } });
    const file = bucket.file('v.txt');
    await file.save('a', { resumable: false });
    const [first] = await file.getMetadata();
    await file.save('b', { resumable: false });
    const [second] = await file.getMetadata();

    const [old] = await bucket.file('v.txt', { generation: first.generation }).download();
    expect(old.toString()).toBe('a');
    const [live] = await file.download();
    expect(live.toString()).toBe('b');

    const [all] = await bucket.getFiles({ versions: true });
    expect(all.map((f) => [f.name, f.metadata.generation])).toEqual([
      ['v.txt', first.generation],
      ['v.txt', second.generation],
    ]);
    expect(all[0]!.metadata.timeDeleted).toBeDefined();
    expect(all[1]!.metadata.timeDeleted).toBeUndefined();
    const [liveOnly] = await bucket.getFiles();
    expect(liveOnly).toHaveLength(1);

    // Deleting the live object keeps it as noncurrent; the name is then absent.
    await file.delete();
    expect((await file.exists())[0]).toBe(false);
    const [afterDelete] = await bucket.getFiles({ versions: true });
    expect(afterDelete).toHaveLength(2);
    expect(afterDelete.every((f) => f.metadata.timeDeleted)).toBe(true);
    expect((await apiError(bucket.delete())).code).toBe(409);

    // Deleting by generation removes that generation for good.
    await bucket.file('v.txt', { generation: first.generation }).delete();
    const [left] = await bucket.getFiles({ versions: true });
    expect(left.map((f) => f.metadata.generation)).toEqual([second.generation]);
    await bucket.deleteFiles({ versions: true });
    await bucket.delete();
  });

  it('pages through generations of one name', async () => {
    const bucket = await newBucket('versions-page', { versioning: { enabled: true } });
    for (const body of ['1', '2', '3']) await bucket.file('p').save(body, { resumable: false });
    const [page1, next] = await bucket.getFiles({ versions: true, maxResults: 2, autoPaginate: false });
    expect(page1).toHaveLength(2);
    const [page2] = await bucket.getFiles({ ...(next as object), autoPaginate: false });
    expect(page2).toHaveLength(1);
    const generations = [...page1, ...page2].map((f) => f.metadata.generation);
    expect(new Set(generations).size).toBe(3);
  });

  it('discards the old generation when versioning is off', async () => {
    const bucket = await newBucket('unversioned');
    await bucket.file('u').save('a', { resumable: false });
    const [first] = await bucket.file('u').getMetadata();
    await bucket.file('u').save('b', { resumable: false });
    expect((await apiError(bucket.file('u', { generation: first.generation }).download())).code).toBe(404);
    const [all] = await bucket.getFiles({ versions: true });
    expect(all).toHaveLength(1);
  });

  it('keeps noncurrent generations across a restart of an on-disk emulator', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gcs-versions-'));
    try {
      let disk = await startGcsEmulator({ dataDir, logger: silentLogger });
      let client = new Storage({ apiEndpoint: disk.url, projectId: 'test-project' });
      const [bucket] = await client.createBucket('persisted-versions', { versioning: { enabled: true } });
      await bucket.file('d').save('one', { resumable: false });
      const [first] = await bucket.file('d').getMetadata();
      await bucket.file('d').save('two', { resumable: false });
      await disk.stop();

      disk = await startGcsEmulator({ dataDir, logger: silentLogger });
      client = new Storage({ apiEndpoint: disk.url, projectId: 'test-project' });
      const again = client.bucket('persisted-versions');
      const [old] = await again.file('d', { generation: first.generation }).download();
      expect(old.toString()).toBe('one');
      const [all] = await again.getFiles({ versions: true });
      expect(all).toHaveLength(2);
      await again.file('d', { generation: first.generation }).delete();
      await disk.stop();

      disk = await startGcsEmulator({ dataDir, logger: silentLogger });
      client = new Storage({ apiEndpoint: disk.url, projectId: 'test-project' });
      const [rest] = await client.bucket('persisted-versions').getFiles({ versions: true });
      expect(rest).toHaveLength(1);
      await disk.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('listing: matchGlob, fields and refused parameters', () => {
  it('filters by matchGlob with *, **, ?, [...] and {a,b}', async () => {
    const bucket = await newBucket('glob');
    const names = ['CloudLogo1', 'CloudLogo2', 'dir/CloudLogo4', 'dir/inner/CloudLogo6', 'dir/x.csv', 'dir/y.json', 'a1', 'b1', 'c1'];
    for (const name of names) await bucket.file(name).save('x', { resumable: false });
    const list = async (matchGlob: string) => (await bucket.getFiles({ matchGlob }))[0].map((f) => f.name).sort();
    expect(await list('CloudLogo*')).toEqual(['CloudLogo1', 'CloudLogo2']);
    expect(await list('dir/**/CloudLogo*')).toEqual(['dir/CloudLogo4', 'dir/inner/CloudLogo6']);
    expect(await list('**.csv')).toEqual(['dir/x.csv']);
    expect(await list('?1')).toEqual(['a1', 'b1', 'c1']);
    expect(await list('[!a]1')).toEqual(['b1', 'c1']);
    expect(await list('[a-b]1')).toEqual(['a1', 'b1']);
    expect(await list('dir/*.{csv,json}')).toEqual(['dir/x.csv', 'dir/y.json']);
    expect((await apiError(bucket.getFiles({ matchGlob: 'a[b' }))).code).toBe(400);
  });

  it('answers with only the fields asked for', async () => {
    const bucket = await newBucket('fields');
    for (const name of ['f1', 'f2', 'f3']) await bucket.file(name).save('xy', { resumable: false });
    const [files] = await bucket.getFiles({ fields: 'items(name)' });
    expect(files).toEqual([{ name: 'f1' }, { name: 'f2' }, { name: 'f3' }]);
    const [, , raw] = await bucket.getFiles({ fields: 'items(name,size),nextPageToken', maxResults: 2, autoPaginate: false });
    expect(raw).toEqual({ items: [{ name: 'f1', size: '2' }, { name: 'f2', size: '2' }], nextPageToken: expect.any(String) });
    const [meta] = await bucket.file('f1').getMetadata({ fields: 'name,generation' } as never);
    expect(Object.keys(meta).sort()).toEqual(['generation', 'name']);
    expect((await apiError(bucket.getFiles({ fields: 'items(name' }))).code).toBe(400);
  });

  it('refuses with 501 the query parameters it does not implement, naming them', async () => {
    const bucket = await newBucket('refused');
    await bucket.file('r').save('x', { resumable: false });
    const refused = await apiError(bucket.getFiles({ includeFoldersAsPrefixes: true, delimiter: '/' }));
    expect(refused.code).toBe(501);
    expect(refused.message).toContain('includeFoldersAsPrefixes');
    const softDeleted = await apiError(bucket.getFiles({ softDeleted: true }));
    expect(softDeleted.code).toBe(501);
    const kms = await apiError(bucket.file('r').copy('r2', { destinationKmsKeyName: 'projects/p/locations/l/keyRings/k/cryptoKeys/c' }));
    expect(kms.code).toBe(501);
    expect(kms.message).toContain('destinationKmsKeyName');
    const acl = await apiError(bucket.file('r3').save('x', { resumable: false, predefinedAcl: 'publicRead' }));
    expect(acl.code).toBe(501);
  });
});
