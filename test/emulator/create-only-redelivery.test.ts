// A redelivery after a crash must finish the job under the stage's real grants. Quarantine (transform,
// load) and the archive (load) are create-only areas: the stage cannot overwrite there, and the
// emulator, like Cloud Storage may, refuses a create-only copy onto an existing object with 403. The
// second delivery must see the earlier copy and go on: delete the source, report the same target.
import { randomUUID } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';
import { registerStorageIdentity } from '../../emulator/gcs/identities-client';
import { archiveRaw } from '../../functions/load/archive';
import { loadStage } from '../../functions/load/stage';
import { quarantineObject } from '../../functions/runtime/quarantine-object';
import { transformStage } from '../../functions/transform/stage';
import { localStorageIdentity, objectBindingsFor } from '../../shared/bucket-access';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { silentLogger } from '../../shared/logger';

const project = 'redelivery-project';
const pipeline = 'pos';
const bucketName = `redeliver-${randomUUID().slice(0, 8)}`;
const NOWHERE = '127.0.0.1:9';
let emulator: GcsEmulator;
const clients: GoogleClients[] = [];
let operator: Bucket;

async function clientFor(stage: typeof loadStage): Promise<GoogleClients> {
  const identity = localStorageIdentity(`sluice-${pipeline}-${stage.name}`, project);
  expect(await registerStorageIdentity(emulator.url, identity, objectBindingsFor(bucketName, pipeline, stage.uses.bucket))).toBe(true);
  const c = createGoogleClients({ projectId: project, storageUrl: emulator.url, pubsubHost: NOWHERE, firestoreHost: NOWHERE, storageIdentity: identity });
  clients.push(c);
  return c;
}

async function seed(name: string, body: string): Promise<string> {
  const file = operator.file(name);
  await file.save(body, { resumable: false });
  return String(file.metadata.generation);
}

beforeAll(async () => {
  emulator = await startGcsEmulator({ logger: silentLogger });
  const op = createGoogleClients({ projectId: project, storageUrl: emulator.url, pubsubHost: NOWHERE, firestoreHost: NOWHERE });
  clients.push(op);
  await op.storage.createBucket(bucketName);
  operator = op.storage.bucket(bucketName);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await emulator?.stop();
});

describe('create-only areas on redelivery', () => {
  it.each([['transform', transformStage], ['load', loadStage]] as const)('%s quarantines once, and a second delivery finishes the move', async (_name, stage) => {
    const { storage } = await clientFor(stage);
    const raw = `raw/${pipeline}/run-${stage.name}/20261121/Bad.csv`;
    const generation = await seed(raw, 'not,a,good\nfile');
    const input = { runId: `run-${stage.name}`, fileKey: 'k', object: { bucket: bucketName, object: raw, generation }, reason: 'bad header' };
    // The first delivery copied, then died before deleting the source: replay that state.
    const target = `quarantine/${pipeline}/run-${stage.name}/20261121/Bad.csv`;
    await operator.file(raw).copy(operator.file(target));

    await expect(quarantineObject(storage, input, stage.name, pipeline)).resolves.toBe(target);
    expect((await operator.file(raw).exists())[0]).toBe(false);
    expect((await operator.file(target).download())[0].toString()).toBe('not,a,good\nfile');
  });

  it('quarantines a file named outside the layout under its pipeline, where its grants reach', async () => {
    const { storage } = await clientFor(transformStage);
    const raw = `raw/${pipeline}/dropped-by-hand.csv`;
    const generation = await seed(raw, 'x');
    const input = { runId: 'run-hand', fileKey: 'k', object: { bucket: bucketName, object: raw, generation }, reason: 'not ours' };
    const target = await quarantineObject(storage, input, 'transform', pipeline);
    expect(target).toBe(`quarantine/${pipeline}/run-hand/unsorted/dropped-by-hand.csv`);
    expect((await operator.file(target).exists())[0]).toBe(true);
  });

  it('load archives once, and a second delivery finds the archive copy and deletes the raw file', async () => {
    const { storage } = await clientFor(loadStage);
    const raw = `raw/${pipeline}/run-a/20261121/Orders.csv`;
    const generation = await seed(raw, 'id\n1\n');
    const archive = `archive/${pipeline}/run-a/20261121/Orders.csv`;
    await operator.file(raw).copy(operator.file(archive));

    const outcome = await archiveRaw(storage.bucket(bucketName), { bucket: bucketName, object: raw, generation }, archive, silentLogger);
    expect(outcome).toBe('already-archived');
    expect((await operator.file(raw).exists())[0]).toBe(false);
  });
});
