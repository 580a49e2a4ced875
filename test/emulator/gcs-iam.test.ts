import { randomUUID } from 'node:crypto';
import type { Bucket, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStorageIdentity, OBJECT_ROLES, type ObjectBinding } from '../../shared/bucket-access';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { createLogger } from '../../shared/logger';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';
import { registerStorageIdentity, removeStorageIdentity } from '../../emulator/gcs/identities-client';
import { apiError } from '../support/api-error';

// Simulated IAM in the Cloud Storage emulator, through the real @google-cloud/storage client built
// the way a stage function builds it (createGoogleClients with a storageIdentity). One identity holds
// the three object roles on three prefixes: objectViewer on v/p/, objectCreator on c/p/, objectUser
// on u/p/ — as a stage's `uses.bucket` becomes grants on `<area>/<pipeline>/`.

let emulator: GcsEmulator;
let operator: GoogleClients;
let fn: GoogleClients;
const logLines: Array<Record<string, unknown>> = [];
const project = 'iam-project';
const bucketName = `iam-${randomUUID().slice(0, 8)}`;
const identity = localStorageIdentity('sluice-p-stage', project);
let asOperator: Bucket;
let asFn: Bucket;

// Never reached: the tests use only Storage.
const NOWHERE = '127.0.0.1:9';
const clientsAs = (storageIdentity?: string) =>
  createGoogleClients({ projectId: project, storageUrl: emulator.url, pubsubHost: NOWHERE, firestoreHost: NOWHERE, ...(storageIdentity ? { storageIdentity } : {}) });

async function expectDenied(promise: Promise<unknown>, permission: string, object: string): Promise<void> {
  const err = await apiError(promise);
  expect(err.code).toBe(403);
  expect(err.message).toContain(`${identity} does not have ${permission} access to the Google Cloud Storage`);
  expect(err.message).toContain(object);
}

async function seed(name: string, data = 'seeded'): Promise<void> {
  await asOperator.file(name).save(data, { resumable: false });
}

const bindings = (bucket: string): ObjectBinding[] => [
  { bucket, role: OBJECT_ROLES.objectViewer, objectPrefix: 'v/p/' },
  { bucket, role: OBJECT_ROLES.objectCreator, objectPrefix: 'c/p/' },
  { bucket, role: OBJECT_ROLES.objectUser, objectPrefix: 'u/p/' },
];

beforeAll(async () => {
  const logger = createLogger({}, (line) => logLines.push(JSON.parse(line) as Record<string, unknown>), 'DEBUG');
  emulator = await startGcsEmulator({ logger });
  operator = clientsAs();
  fn = clientsAs(identity);
  await operator.storage.createBucket(bucketName);
  asOperator = operator.storage.bucket(bucketName);
  asFn = fn.storage.bucket(bucketName);
  expect(await registerStorageIdentity(emulator.url, identity, bindings(bucketName))).toBe(true);
});

afterAll(async () => {
  await Promise.allSettled([operator?.close(), fn?.close()]);
  await emulator?.stop();
});

describe('objectViewer (v/p/)', () => {
  it('reads metadata and media, and nothing else', async () => {
    await seed('v/p/a.csv', 'hello');
    const [metadata] = await asFn.file('v/p/a.csv').getMetadata();
    expect(Number(metadata.size)).toBe(5);
    expect((await asFn.file('v/p/a.csv').download())[0].toString()).toBe('hello');
    expect((await asFn.file('v/p/a.csv').exists())[0]).toBe(true);
    // A missing object is a 404 for a reader (it has get on the prefix)…
    expect((await asFn.file('v/p/missing').exists())[0]).toBe(false);
    await expectDenied(asFn.file('v/p/new').save('x', { resumable: false }), 'storage.objects.create', 'v/p/new');
    await expectDenied(asFn.file('v/p/a.csv').delete(), 'storage.objects.delete', 'v/p/a.csv');
    await expectDenied(asFn.file('v/p/a.csv').setMetadata({ metadata: { k: 'v' } }), 'storage.objects.update', 'v/p/a.csv');
  });

  it('is confined to its prefix: another pipeline or area is 403, existing or not', async () => {
    await seed('v/q/a.csv');
    await expectDenied(asFn.file('v/q/a.csv').getMetadata(), 'storage.objects.get', 'v/q/a.csv');
    // …but outside the grant it is 403 whether or not the object exists, as in GCS.
    await expectDenied(asFn.file('x/p/missing').exists(), 'storage.objects.get', 'x/p/missing');
    await expectDenied(asFn.file('v/q/a.csv').download(), 'storage.objects.get', 'v/q/a.csv');
  });
});

describe('objectCreator (c/p/)', () => {
  it('creates new objects by multipart and resumable upload', async () => {
    await asFn.file('c/p/small').save('small', { resumable: false });
    const big = Buffer.alloc(600 * 1024, 7);
    await asFn.file('c/p/big').save(big, { resumable: true, chunkSize: 256 * 1024 });
    expect((await asOperator.file('c/p/big').download())[0].equals(big)).toBe(true);
    expect((await asOperator.file('c/p/small').download())[0].toString()).toBe('small');
  });

  it('may not overwrite (needs delete), also not create-only with ifGenerationMatch=0', async () => {
    await seed('c/p/taken', 'first');
    await expectDenied(asFn.file('c/p/taken').save('second', { resumable: false }), 'storage.objects.delete', 'c/p/taken');
    await expectDenied(asFn.file('c/p/taken').save(Buffer.alloc(300 * 1024), { resumable: true, chunkSize: 256 * 1024 }), 'storage.objects.delete', 'c/p/taken');
    // We answer 403 before the precondition, as GCS checks IAM first (see emulator/gcs/iam.ts).
    await expectDenied(asFn.file('c/p/taken').save('third', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }), 'storage.objects.delete', 'c/p/taken');
    expect((await asOperator.file('c/p/taken').download())[0].toString()).toBe('first');
  });

  it('may not read or delete what it wrote', async () => {
    await asFn.file('c/p/mine').save('mine', { resumable: false });
    await expectDenied(asFn.file('c/p/mine').download(), 'storage.objects.get', 'c/p/mine');
    await expectDenied(asFn.file('c/p/mine').delete(), 'storage.objects.delete', 'c/p/mine');
  });
});

describe('objectUser (u/p/)', () => {
  it('reads, creates, overwrites, updates and deletes', async () => {
    await asFn.file('u/p/f').save('one', { resumable: false });
    await asFn.file('u/p/f').save('two', { resumable: false });
    await asFn.file('u/p/f').save(Buffer.alloc(300 * 1024, 1), { resumable: true, chunkSize: 256 * 1024 });
    await asFn.file('u/p/f').setMetadata({ metadata: { k: 'v' } });
    expect((await asFn.file('u/p/f').getMetadata())[0].metadata?.k).toBe('v');
    await asFn.file('u/p/f').delete();
    expect((await asOperator.file('u/p/f').exists())[0]).toBe(false);
  });
});

describe('copy, move and compose', () => {
  it('copy needs get on the source and create on the destination', async () => {
    await seed('v/p/src', 'copy me');
    await asFn.file('v/p/src').copy(asFn.file('c/p/copied'), { preconditionOpts: { ifGenerationMatch: 0 } });
    expect((await asOperator.file('c/p/copied').download())[0].toString()).toBe('copy me');
    // Again: the copy exists now, and replacing it needs delete.
    await expectDenied(asFn.file('v/p/src').copy(asFn.file('c/p/copied')), 'storage.objects.delete', 'c/p/copied');
    await expectDenied(asFn.file('c/p/copied').copy(asFn.file('u/p/x')), 'storage.objects.get', 'c/p/copied');
    await expectDenied(asFn.file('v/p/src').copy(asFn.file('v/p/dest')), 'storage.objects.create', 'v/p/dest');
  });

  it('move also needs delete on the source', async () => {
    await seed('u/p/m1', 'move me');
    await asFn.file('u/p/m1').move('c/p/moved');
    expect((await asOperator.file('u/p/m1').exists())[0]).toBe(false);
    await seed('u/p/m2');
    await asFn.file('u/p/m2').moveFileAtomic('u/p/m3');
    await seed('v/p/m4');
    await expectDenied(asFn.file('v/p/m4').moveFileAtomic('u/p/m5'), 'storage.objects.delete', 'v/p/m4');
    await expectDenied(asFn.file('v/p/m4').move('u/p/m5'), 'storage.objects.delete', 'v/p/m4');
  });

  it('compose needs get on every source and create on the destination', async () => {
    await seed('v/p/part1', 'a');
    await seed('v/p/part2', 'b');
    await asFn.combine([asFn.file('v/p/part1'), asFn.file('v/p/part2')], asFn.file('c/p/whole'));
    expect((await asOperator.file('c/p/whole').download())[0].toString()).toBe('ab');
    await seed('x/p/part3', 'c');
    await expectDenied(asFn.combine([asFn.file('v/p/part1'), asFn.file('x/p/part3')], asFn.file('c/p/whole2')), 'storage.objects.get', 'x/p/part3');
  });
});

describe('bucket-level calls', () => {
  it('denies listing (prefix conditions never match the bucket) and bucket and notification admin', async () => {
    await expectDenied(asFn.getFiles({ prefix: 'u/p/' }), 'storage.objects.list', bucketName);
    await expectDenied(asFn.getMetadata(), 'storage.buckets.get', bucketName);
    await expectDenied(asFn.getNotifications(), 'storage.buckets.get', bucketName);
    await expectDenied(fn.storage.createBucket(`${bucketName}-2`), 'storage.buckets.create', project);
    await expectDenied(fn.storage.getBuckets(), 'storage.buckets.list', project);
    // The operator still may.
    expect((await asOperator.getFiles({ prefix: 'u/p/' }))[0].length).toBeGreaterThanOrEqual(0);
  });

  it('lists with an unconditional grant on the bucket', async () => {
    const whole = localStorageIdentity('sluice-p-whole', project);
    await registerStorageIdentity(emulator.url, whole, [{ bucket: bucketName, role: OBJECT_ROLES.objectViewer, objectPrefix: '' }]);
    const clients = clientsAs(whole);
    try {
      const [files] = await clients.storage.bucket(bucketName).getFiles({ prefix: 'v/p/' });
      expect(files.map((f) => f.name)).toContain('v/p/src');
    } finally {
      await clients.close();
      await removeStorageIdentity(emulator.url, whole);
    }
  });
});

describe('identities', () => {
  it('refuses a token naming an identity that is not registered, or no longer', async () => {
    const ghost = localStorageIdentity('sluice-p-ghost', project);
    await registerStorageIdentity(emulator.url, ghost, bindings(bucketName));
    const clients = clientsAs(ghost);
    try {
      await clients.storage.bucket(bucketName).file('u/p/g').save('g', { resumable: false });
      await removeStorageIdentity(emulator.url, ghost);
      const err = await apiError(clients.storage.bucket(bucketName).file('u/p/g').download());
      expect(err.code).toBe(403);
      expect(err.message).toContain(`${ghost} is not a registered identity`);
    } finally {
      await clients.close();
    }
  });

  it('lets only the operator register identities', async () => {
    const res = await fetch(`${emulator.url}/_sluice/identities/${encodeURIComponent(identity)}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${identity}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ bindings: [{ bucket: bucketName, role: OBJECT_ROLES.objectUser, objectPrefix: '' }] }),
    });
    expect(res.status).toBe(403);
    await res.arrayBuffer();
    const bad = await fetch(`${emulator.url}/_sluice/identities/x`, { method: 'PUT', body: JSON.stringify({ bindings: [{ bucket: bucketName, role: 'roles/storage.admin', objectPrefix: '' }] }) });
    expect(bad.status).toBe(400);
    await bad.arrayBuffer();
    const listed = (await (await fetch(`${emulator.url}/_sluice/identities`)).json()) as { identities: Record<string, ObjectBinding[]> };
    expect(listed.identities[identity]).toEqual(bindings(bucketName));
  });

  it('every request of a function client carries its identity (request log), and denials are WARNING lines', async () => {
    logLines.length = 0;
    await asFn.file('u/p/logged').save(Buffer.alloc(600 * 1024, 2), { resumable: true, chunkSize: 256 * 1024 });
    await asFn.file('u/p/logged').save('multipart', { resumable: false });
    await asFn.file('u/p/logged').download();
    await apiError(asFn.file('v/p/denied').save('x', { resumable: false }));
    const requests = logLines.filter((l) => l.message === 'gcs request');
    const resumablePuts = requests.filter((l) => l.method === 'PUT' && String(l.path).startsWith('/upload/'));
    expect(resumablePuts.length).toBeGreaterThanOrEqual(3);
    expect(requests.length).toBeGreaterThanOrEqual(7);
    for (const l of requests) expect(l.identity).toBe(identity);
    const denials = logLines.filter((l) => l.message === 'gcs access denied');
    expect(denials).toEqual([expect.objectContaining({ severity: 'WARNING', identity, permission: 'storage.objects.create', bucket: bucketName, object: 'v/p/denied' })]);
  });
});
