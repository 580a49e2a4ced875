// Push delivery as Google Cloud does it, on the shared local cloud: the official Pub/Sub emulator
// holds the messages, the local push dispatcher (emulator/pubsub-push/) pushes them to functions
// served by the Functions Framework, applies the retry policy's backoff and dead-letters after
// maxDeliveryAttempts; GCS finalize notifications reach functions through it.
import { waitFor } from '../support/wait-for';
import type { PubSub, Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushEndpointFor, startFunctionHost, type FunctionHost, type PushEvent } from '../../emulator/function-host';
import { startPushDispatcher, type PushDispatcher } from '../../emulator/pubsub-push/push-dispatcher';
import { ensurePushSubscriptions as createSubscriptions, type PushSubscriptionSpec } from '../../emulator/push-subscriptions';
import { localCloud, pubsubFor, storageFor, uniqueName, uniqueProjectId } from '../support/local-cloud';


const projectId = uniqueProjectId('push');
let pubsub: PubSub;
let host: FunctionHost;
const dispatchers: PushDispatcher[] = [];

// The subscriptions in the emulator, and a dispatcher pushing for them, as deployPipelines does.
async function ensurePushSubscriptions(client: PubSub, specs: PushSubscriptionSpec[]): Promise<void> {
  await createSubscriptions(client, specs);
  dispatchers.push(startPushDispatcher({ pubsub: client, projectId, targets: specs }));
}

// What each function saw.
const bulk = new Map<string, string>(); // messageId → event type
const failingCalls: number[] = [];
const twiceCalls = new Map<string, PushEvent[]>();
const finalizeEvents: PushEvent[] = [];

function spec(fn: string, overrides: Partial<PushSubscriptionSpec> = {}): PushSubscriptionSpec {
  const topic = uniqueName(fn);
  return {
    topic,
    subscription: `${topic}-push`,
    pushEndpoint: pushEndpointFor(host.urlOf(fn), projectId, topic),
    ackDeadlineSeconds: 10,
    minBackoffSeconds: 1,
    maxBackoffSeconds: 3,
    deadLetterTopic: `${topic}-dlq`,
    maxDeliveryAttempts: 5,
    ...overrides,
  };
}

beforeAll(async () => {
  pubsub = pubsubFor(projectId);
  host = await startFunctionHost([
    {
      name: 'bulk',
      handler: async (event) => {
        bulk.set(event.data!.message.messageId, event.type);
      },
    },
    {
      name: 'failing',
      handler: async () => {
        failingCalls.push(Date.now());
        throw new Error('this stage always fails');
      },
    },
    {
      name: 'twice',
      handler: async (event) => {
        const id = event.data!.message.messageId;
        const calls = twiceCalls.get(id) ?? [];
        calls.push(event);
        twiceCalls.set(id, calls);
        const payload = JSON.parse(Buffer.from(event.data!.message.data!, 'base64').toString()) as { failSecondRun?: boolean };
        if (payload.failSecondRun && calls.length === 2) throw new Error('second run fails, once');
      },
    },
    {
      name: 'finalize',
      handler: async (event) => {
        finalizeEvents.push(event);
      },
    },
  ]);
});

afterAll(async () => {
  await Promise.all(dispatchers.map((d) => d.stop()));
  await host?.stop();
  await pubsub?.close();
});

describe.concurrent('push delivery through the Pub/Sub emulator', () => {
  it('delivers 10,000 messages published with batching to a functions-framework function as messagePublished events', async () => {
    const s = spec('bulk');
    await ensurePushSubscriptions(pubsub, [s]);
    const topic = pubsub.topic(s.topic, { batching: { maxMessages: 1000, maxMilliseconds: 20 } });
    const published = await Promise.all(Array.from({ length: 10_000 }, (_, i) => topic.publishMessage({ json: { i } })));
    expect(new Set(published).size).toBe(10_000);
    await waitFor('10,000 distinct message ids', () => bulk.size >= 10_000, 90_000);
    expect(bulk.size).toBe(10_000);
    expect(new Set(bulk.values())).toEqual(new Set(['google.cloud.pubsub.topic.v1.messagePublished']));
    expect([...bulk.keys()].sort()).toEqual([...published].sort());
  });

  it('redelivers a failing message with growing delays, then dead-letters it', async () => {
    const s = spec('failing', { minBackoffSeconds: 1, maxBackoffSeconds: 3, maxDeliveryAttempts: 5 });
    await ensurePushSubscriptions(pubsub, [s]);
    const [dlq] = await pubsub.topic(s.deadLetterTopic).createSubscription(`${s.deadLetterTopic}-pull`);
    const deadLettered = new Promise<Message>((resolve) =>
      dlq.on('message', (message: Message) => {
        message.ack();
        resolve(message);
      }),
    );
    const messageId = await pubsub.topic(s.topic).publishMessage({ json: { order: 42 } });
    const dead = await deadLettered;
    await dlq.close();

    expect(JSON.parse(dead.data.toString())).toEqual({ order: 42 });
    expect(dead.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe('5');
    expect(dead.attributes.CloudPubSubDeadLetterSourceSubscription).toBe(s.subscription);
    expect(messageId).toBeTruthy();
    // The deliverTwice test, running concurrently, switches the shared host to run each push's handler
    // twice: calls closer together than the minimum backoff belong to one attempt.
    const attempts = failingCalls.filter((t, i) => i === 0 || t - failingCalls[i - 1]! > 500);
    expect(attempts).toHaveLength(5);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // Exponential backoff between minimum and maximum: the second wait is longer than the first,
    // and none is shorter than the first (allowing some scheduling jitter).
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(gaps[0]! * 0.8);
  });

  it('deliverTwice makes the handler see each message twice with the same event, and a failed second run is redelivered', async () => {
    const s = spec('twice');
    await ensurePushSubscriptions(pubsub, [s]);
    const topic = pubsub.topic(s.topic);

    host.setDeliverTwice('sequential');
    const sequentialIds = await Promise.all(Array.from({ length: 20 }, (_, i) => topic.publishMessage({ json: { i } })));
    await waitFor('two runs per message (sequential)', () => sequentialIds.every((id) => twiceCalls.get(id)?.length === 2));

    host.setDeliverTwice('concurrent');
    const concurrentIds = await Promise.all(Array.from({ length: 20 }, (_, i) => topic.publishMessage({ json: { i } })));
    await waitFor('two runs per message (concurrent)', () => concurrentIds.every((id) => twiceCalls.get(id)?.length === 2));

    for (const id of [...sequentialIds, ...concurrentIds]) {
      const [first, second] = twiceCalls.get(id)!;
      expect(first!.data!.message.messageId).toBe(id);
      expect(second).toEqual(first); // same id, same payload, same event
    }

    // Second run fails → the push is answered 500 → Pub/Sub redelivers (both runs again).
    host.setDeliverTwice('sequential');
    const failingId = await topic.publishMessage({ json: { failSecondRun: true } });
    await waitFor('redelivery after a failed second run', () => (twiceCalls.get(failingId)?.length ?? 0) >= 4);
    host.setDeliverTwice(false);
  });

  it('a GCS finalize notification reaches its function with the notification attributes', async () => {
    const storage = storageFor(projectId);
    const bucketName = uniqueName('finalize');
    const s = spec('finalize');
    await ensurePushSubscriptions(pubsub, [s]);
    const [bucket] = await storage.createBucket(bucketName);
    await bucket.createNotification(s.topic, { eventTypes: ['OBJECT_FINALIZE'], payloadFormat: 'JSON_API_V1' });
    await bucket.file('exports/orders.csv').save('id,amount\n1,9.50\n');

    await waitFor('the finalize event', () => finalizeEvents.length > 0, 30_000);
    const event = finalizeEvents[0]!;
    expect(event.type).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    expect(event.data!.message.attributes).toMatchObject({
      eventType: 'OBJECT_FINALIZE',
      bucketId: bucketName,
      objectId: 'exports/orders.csv',
      payloadFormat: 'JSON_API_V1',
    });
    const object = JSON.parse(Buffer.from(event.data!.message.data!, 'base64').toString()) as { name: string; bucket: string };
    expect(object).toMatchObject({ name: 'exports/orders.csv', bucket: bucketName });
  });
});
