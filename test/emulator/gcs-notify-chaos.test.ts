import { randomUUID } from 'node:crypto';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger, silentLogger } from '../../shared/logger';
import { startGcsEmulator, type GcsEmulator } from '../../emulator/gcs/index';
import { createChaosPlanner } from '../../emulator/gcs/notify-chaos';
import { startPubsubEmulator } from '../../emulator/pubsub-emulator';
import { parseLocalCloudSettings } from '../../emulator/stack';
import type {} from '../support/local-cloud'; // declares inject('localCloud')

// The seeded chaos mode of bucket notifications: at least once and out of order, as Pub/Sub
// notifications from Cloud Storage may be; one seed always makes the same decisions.

const SEED = 7;
const MAX_DELAY_MS = 800;

let pubsub: { host: string; stop(): Promise<void> };
let emulator: GcsEmulator;
let pubsubClient: PubSub;
const logLines: string[] = [];
const projectId = `gcs-chaos-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const shared = inject('localCloud')?.pubsubHost;
  if (shared) pubsub = { host: shared, stop: async () => undefined };
  else {
    const own = await startPubsubEmulator({ logger: silentLogger });
    pubsub = { host: own.host, stop: () => own.stop() };
  }
  const logger = createLogger({}, (line) => logLines.push(line), 'WARNING');
  emulator = await startGcsEmulator({ pubsubEmulatorHost: pubsub.host, logger, notificationChaos: { seed: SEED, maxDelayMs: MAX_DELAY_MS } });
  pubsubClient = new PubSub({ projectId, apiEndpoint: pubsub.host, emulatorMode: true, universeDomain: 'googleapis.com' });
});

afterAll(async () => {
  await pubsubClient?.close();
  await emulator?.stop();
  await pubsub?.stop();
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('notification chaos', () => {
  it('is turned on for the local cloud by SLUICE_GCS_NOTIFY_CHAOS=<seed>, a bad value failing naming it', () => {
    expect(parseLocalCloudSettings({ SLUICE_GCS_NOTIFY_CHAOS: '123' }).SLUICE_GCS_NOTIFY_CHAOS).toBe('123');
    expect(parseLocalCloudSettings({ SLUICE_GCS_NOTIFY_CHAOS: '' }).SLUICE_GCS_NOTIFY_CHAOS).toBeUndefined();
    expect(() => parseLocalCloudSettings({ SLUICE_GCS_NOTIFY_CHAOS: 'on' })).toThrow(/SLUICE_GCS_NOTIFY_CHAOS: must be a seed/);
  });

  it('makes the same decisions for the same seed', () => {
    const a = createChaosPlanner({ seed: 42 });
    const b = createChaosPlanner({ seed: 42 });
    const c = createChaosPlanner({ seed: 43 });
    const draw = (p: typeof a) => Array.from({ length: 50 }, () => p());
    const fromA = draw(a);
    expect(draw(b)).toEqual(fromA);
    expect(draw(c)).not.toEqual(fromA);
    expect(fromA.every((d) => d.delaysMs.length >= 1 && d.delaysMs.length <= 3)).toBe(true);
    expect(new Set(fromA.map((d) => d.delaysMs.length))).toEqual(new Set([1, 2, 3]));
  });

  it('publishes every notification 1-3 times, reordered, OBJECT_FINALIZE even after the delete; the seed is printed', async () => {
    expect(logLines.some((l) => l.includes('gcs notification chaos on') && l.includes(`"seed":${SEED}`))).toBe(true);
    const storage = new Storage({ apiEndpoint: emulator.url, projectId });
    const [bucket] = await storage.createBucket(`gcs-chaos-${randomUUID().slice(0, 8)}`);
    const [topic] = await pubsubClient.createTopic(`chaos-${randomUUID().slice(0, 8)}`);
    const [subscription] = await topic.createSubscription(`chaos-sub-${randomUUID().slice(0, 8)}`);
    const received: Message[] = [];
    subscription.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    await bucket.createNotification(topic.name, { eventTypes: ['OBJECT_FINALIZE', 'OBJECT_DELETE'] });

    // The emulator's planner draws once per notification, in event order: replay it.
    const replay = createChaosPlanner({ seed: SEED, maxDelayMs: MAX_DELAY_MS });
    const objects = 10;
    const plans = Array.from({ length: objects }, () => ({ finalize: replay(), remove: replay() }));
    for (let i = 0; i < objects; i++) {
      const file = bucket.file(`in/${i}.csv`);
      await file.save('a\n', { resumable: false });
      await file.delete();
    }
    const expected = plans.reduce((n, p) => n + p.finalize.delaysMs.length + p.remove.delaysMs.length, 0);
    await waitFor(() => received.length >= expected, `${expected} notifications`);
    await emulator.stop(); // nothing more is coming: every delayed copy has been published
    await new Promise((r) => setTimeout(r, 200));
    await subscription.close();
    expect(received).toHaveLength(expected);

    const key = (m: Message) => `${m.attributes.eventType} ${m.attributes.objectId}`;
    const counts = new Map<string, number>();
    for (const m of received) counts.set(key(m), (counts.get(key(m)) ?? 0) + 1);
    expect([...counts.values()].some((n) => n > 1)).toBe(true);
    // Where the plan delays every finalize copy well past every delete copy, the finalize arrives
    // after the object was deleted.
    const late = plans.flatMap((p, i) => (Math.min(...p.finalize.delaysMs) > Math.max(...p.remove.delaysMs) + 300 ? [i] : []));
    expect(late.length).toBeGreaterThan(0);
    for (const i of late) {
      const order = received.map(key);
      expect(order.indexOf(`OBJECT_FINALIZE in/${i}.csv`)).toBeGreaterThan(order.lastIndexOf(`OBJECT_DELETE in/${i}.csv`));
    }
  });
});
