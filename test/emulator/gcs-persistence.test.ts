import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logger';
import { startGcsEmulator } from '../../emulator/gcs/index';

// With a data directory, buckets, objects, notification configs and unfinished resumable
// sessions survive a restart of the emulator.

let dataDir: string;
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gcs-persist-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('restart persistence', () => {
  it('keeps everything written before a restart', async () => {
    const bucketName = `gcs-persist-${randomUUID().slice(0, 8)}`;
    const big = randomBytes(3 * 1024 * 1024);

    const first = await startGcsEmulator({ dataDir, logger: silentLogger });
    const s1 = new Storage({ apiEndpoint: first.url, projectId: 'persist-project' });
    const [bucket] = await s1.createBucket(bucketName);
    await bucket.file('a/small.txt').save('small', { resumable: false, contentType: 'text/plain', metadata: { metadata: { k: 'v' } } });
    await bucket.file('a/big.bin').save(big, { resumable: true });
    await bucket.file('a/small.txt').setMetadata({ metadata: { patched: 'yes' } });
    await bucket.file('gone.txt').save('gone', { resumable: false });
    await bucket.file('gone.txt').delete();
    await bucket.createNotification('persist-topic', { eventTypes: ['OBJECT_FINALIZE'], objectNamePrefix: 'a/' });
    const [before] = await bucket.file('a/small.txt').getMetadata();
    // An unfinished resumable session: 256 KiB received so far.
    const [sessionUri] = await bucket.file('later.bin').createResumableUpload();
    const head = randomBytes(256 * 1024);
    const tail = randomBytes(1000);
    const part = await fetch(sessionUri, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-262143/*' }, body: head });
    expect(part.status).toBe(308);
    await first.stop();

    // Same port, as a restarted emulator would have: the session URI stays valid.
    const second = await startGcsEmulator({ dataDir, port: first.port, logger: silentLogger });
    try {
      const s2 = new Storage({ apiEndpoint: second.url, projectId: 'persist-project' });
      const b2 = s2.bucket(bucketName);
      expect((await b2.exists())[0]).toBe(true);
      const [files] = await b2.getFiles();
      expect(files.map((f) => f.name)).toEqual(['a/big.bin', 'a/small.txt']);
      const [after] = await b2.file('a/small.txt').getMetadata();
      expect(after).toEqual(before);
      expect(after.metadata).toEqual({ k: 'v', patched: 'yes' });
      expect((await b2.file('a/small.txt').download())[0].toString()).toBe('small');
      const [bigBack] = await b2.file('a/big.bin').download();
      expect(md5(bigBack)).toBe(md5(big));
      expect((await b2.file('gone.txt').exists())[0]).toBe(false);

      const [notifications] = await b2.getNotifications();
      expect(notifications.map((n) => n.metadata)).toEqual([
        expect.objectContaining({ id: '1', topic: '//pubsub.googleapis.com/projects/persist-project/topics/persist-topic', event_types: ['OBJECT_FINALIZE'], object_name_prefix: 'a/' }),
      ]);

      // The unfinished session resumes where it stopped.
      const status = await fetch(sessionUri, { method: 'PUT', headers: { 'Content-Range': 'bytes */*' } });
      expect(status.status).toBe(308);
      expect(status.headers.get('range')).toBe('bytes=0-262143');
      const done = await fetch(sessionUri, { method: 'PUT', headers: { 'Content-Range': `bytes 262144-${262144 + tail.length - 1}/${262144 + tail.length}` }, body: tail });
      expect(done.status).toBe(200);
      expect(((await done.json()) as { md5Hash: string }).md5Hash).toBe(md5(Buffer.concat([head, tail])));

      // Create-only writes race safely on disk too: exactly one of several writers wins.
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => b2.file('once.txt').save(`writer ${i}`, { resumable: i % 2 === 0, preconditionOpts: { ifGenerationMatch: 0 } })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([412, 412, 412]);

      // Generations keep increasing across the restart.
      await b2.file('a/small.txt').save('newer', { resumable: false });
      const [newer] = await b2.file('a/small.txt').getMetadata();
      expect(BigInt(newer.generation!) > BigInt(before.generation!)).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
