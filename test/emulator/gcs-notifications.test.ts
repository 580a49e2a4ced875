import { randomUUID } from 'node:crypto';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../../shared/logger';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';
import { startPubsubEmulator } from '../../emulator/pubsub-emulator';
import type {} from '../support/local-cloud'; // declares inject('localCloud')

// Bucket notification configs publish to Pub/Sub what Cloud Storage publishes: the attributes
// and the JSON_API_V1 object resource, filtered by event type and object name prefix.

/** The shared stack's Pub/Sub when the global setup started one; otherwise one of our own. */
async function pubsubHostForTest(): Promise<{ host: string; stop(): Promise<void> }> {
  const shared = inject('localCloud')?.pubsubHost;
  if (shared) return { host: shared, stop: async () => undefined };
  const own = await startPubsubEmulator({ logger: silentLogger });
  return { host: own.host, stop: () => own.stop() };
}

let pubsub: { host: string; stop(): Promise<void> };
let emulator: GcsEmulator;
let pubsubClient: PubSub;
const projectId = `gcs-notify-${randomUUID().slice(0, 8)}`;

function collect(subscription: Subscription): Message[] {
  const messages: Message[] = [];
  subscription.on('message', (m: Message) => {
    messages.push(m);
    m.ack();
  });
  return messages;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  pubsub = await pubsubHostForTest();
  emulator = await startGcsEmulator({ pubsubEmulatorHost: pubsub.host, logger: silentLogger });
  pubsubClient = new PubSub({ projectId, apiEndpoint: pubsub.host, emulatorMode: true, universeDomain: 'googleapis.com' });
});

afterAll(async () => {
  await pubsubClient?.close();
  await emulator?.stop();
  await pubsub?.stop();
});

describe('bucket notifications', () => {
  it('publishes OBJECT_FINALIZE / OBJECT_METADATA_UPDATE / OBJECT_DELETE as Cloud Storage does', async () => {
    const storage = new Storage({ apiEndpoint: emulator.url, projectId });
    const [bucket] = await storage.createBucket(`gcs-notify-${randomUUID().slice(0, 8)}`);
    const [finalizeTopic] = await pubsubClient.createTopic(`finalize-${randomUUID().slice(0, 8)}`);
    const [allTopic] = await pubsubClient.createTopic(`all-${randomUUID().slice(0, 8)}`);
    const [finalizeSub] = await finalizeTopic.createSubscription(`finalize-sub-${randomUUID().slice(0, 8)}`);
    const [allSub] = await allTopic.createSubscription(`all-sub-${randomUUID().slice(0, 8)}`);
    const finalizeMessages = collect(finalizeSub);
    const allMessages = collect(allSub);

    const topicShortName = finalizeTopic.name.split('/').pop()!;
    const [config, apiResponse] = await bucket.createNotification(topicShortName, {
      eventTypes: ['OBJECT_FINALIZE'],
      objectNamePrefix: 'in/',
      customAttributes: { pipeline: 'demo' },
    });
    expect(apiResponse).toMatchObject({
      kind: 'storage#notification',
      id: config.id,
      topic: `//pubsub.googleapis.com/projects/${projectId}/topics/${topicShortName}`,
      payload_format: 'JSON_API_V1',
      event_types: ['OBJECT_FINALIZE'],
      object_name_prefix: 'in/',
      custom_attributes: { pipeline: 'demo' },
    });
    await bucket.createNotification(allTopic.name); // projects/P/topics/T form
    // A topic nobody created: publishing fails, storage requests must not.
    const [missing] = await bucket.createNotification('no-such-topic');
    expect((await bucket.getNotifications())[0]).toHaveLength(3);
    expect((await config.get())[0].metadata.object_name_prefix).toBe('in/');

    await bucket.file('in/a.csv').save('a,b\n', { resumable: false, contentType: 'text/csv' });
    await bucket.file('in/b.csv').save('c,d\n', { resumable: true });
    await bucket.file('out/c.csv').save('e,f\n', { resumable: false });
    await bucket.file('in/a.csv').copy(bucket.file('in/copied.csv'));
    await bucket.file('in/a.csv').setMetadata({ metadata: { seen: 'true' } });
    await bucket.file('out/c.csv').delete();

    await waitFor(() => allMessages.length >= 6, 'six events on the catch-all topic');
    await waitFor(() => finalizeMessages.length >= 3, 'three finalize events under in/');
    await finalizeSub.close();
    await allSub.close();

    const [aMeta] = await bucket.file('in/a.csv').getMetadata();
    const finalized = finalizeMessages.map((m) => m.attributes.objectId).sort();
    expect(finalized).toEqual(['in/a.csv', 'in/b.csv', 'in/copied.csv']);
    const first = finalizeMessages.find((m) => m.attributes.objectId === 'in/a.csv')!;
    expect(first.attributes).toEqual({
      notificationConfig: `projects/_/buckets/${bucket.name}/notificationConfigs/${config.id}`,
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: bucket.name,
      objectId: 'in/a.csv',
      objectGeneration: aMeta.generation,
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      pipeline: 'demo',
    });
    const payload = JSON.parse(first.data.toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({
      kind: 'storage#object',
      bucket: bucket.name,
      name: 'in/a.csv',
      size: '4',
      contentType: 'text/csv',
      generation: aMeta.generation,
      metageneration: '1',
      md5Hash: aMeta.md5Hash,
    });

    const events = allMessages.map((m) => `${m.attributes.eventType} ${m.attributes.objectId}`).sort();
    expect(events).toEqual([
      'OBJECT_DELETE out/c.csv',
      'OBJECT_FINALIZE in/a.csv',
      'OBJECT_FINALIZE in/b.csv',
      'OBJECT_FINALIZE in/copied.csv',
      'OBJECT_FINALIZE out/c.csv',
      'OBJECT_METADATA_UPDATE in/a.csv',
    ]);
    const update = allMessages.find((m) => m.attributes.eventType === 'OBJECT_METADATA_UPDATE')!;
    expect(JSON.parse(update.data.toString())).toMatchObject({ metageneration: '2', metadata: { seen: 'true' } });

    await missing.delete();
    expect((await bucket.getNotifications())[0]).toHaveLength(2);
    const gone = await config.delete().then(() => bucket.notification(missing.id!).get().then(() => 200, (e: { code: number }) => e.code));
    expect(gone).toBe(404);
  });
});
