// The pure parts of local push delivery: the backoff formula, success codes, the dead-letter copy and
// seeded fault injection. No emulator needed (SLUICE_TEST_NO_GLOBAL_SETUP=1 works).
import type { Message } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { deadLetterCopy } from '../../../emulator/pubsub-push/dead-letter-message';
import { createPushFaults, NO_FAULTS } from '../../../emulator/pubsub-push/push-faults';
import { isPushSuccess, pushRequestBody } from '../../../emulator/pubsub-push/push-request';
import { retryDelayMs } from '../../../emulator/pubsub-push/retry-backoff';

const message = {
  id: '17',
  data: Buffer.from('{"a":1}'),
  attributes: { origin: 'x' },
  // A PreciseDate in the library; the code reads only getTime().
  publishTime: new Date('2026-03-01T12:34:56.789Z'),
  orderingKey: '',
} as unknown as Message;

describe('retryDelayMs', () => {
  it('doubles from the minimum backoff up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, 10, 60))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    expect(retryDelayMs(3, 0, 600)).toBe(0);
  });
});

describe('push request', () => {
  it('treats exactly 102, 200, 201, 202 and 204 as an ack', () => {
    expect([102, 200, 201, 202, 204].every(isPushSuccess)).toBe(true);
    expect([203, 206, 301, 400, 404, 429, 500, 503].some(isPushSuccess)).toBe(false);
  });
  it('carries the message under both field spellings, the full subscription name and the attempt', () => {
    expect(pushRequestBody(message, 'projects/p/subscriptions/s', 3)).toEqual({
      message: { data: Buffer.from('{"a":1}').toString('base64'), attributes: { origin: 'x' }, messageId: '17', message_id: '17', publishTime: '2026-03-01T12:34:56.789Z', publish_time: '2026-03-01T12:34:56.789Z' },
      subscription: 'projects/p/subscriptions/s',
      deliveryAttempt: 3,
    });
  });
});

describe('deadLetterCopy', () => {
  it('keeps data and attributes and adds the source attributes Pub/Sub sets', () => {
    expect(deadLetterCopy(message, { subscription: 'sub', projectId: 'proj', deliveryCount: 5 })).toEqual({
      data: message.data,
      attributes: {
        origin: 'x',
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
        CloudPubSubDeadLetterSourceSubscription: 'sub',
        CloudPubSubDeadLetterSourceSubscriptionProject: 'proj',
        CloudPubSubDeadLetterSourceTopicPublishTime: '2026-03-01T12:34:56.789+00:00',
      },
    });
  });
});

describe('push faults', () => {
  const key = (messageId: string, attempt = 1) => ({ subscription: 's', messageId, attempt });
  it('are off by default', () => {
    expect(NO_FAULTS.seed).toBeUndefined();
    expect(createPushFaults(undefined)).toBe(NO_FAULTS);
  });
  it('draw the same faults for the same seed and delivery, in any order', () => {
    const a = createPushFaults({ seed: 'seed-1', copies: { min: 1, max: 3 }, lostAckProbability: 0.3 });
    const b = createPushFaults({ seed: 'seed-1', copies: { min: 1, max: 3 }, lostAckProbability: 0.3 });
    const ids = Array.from({ length: 200 }, (_, i) => String(i));
    const drawn = ids.map((id) => [a.copiesOf(key(id)), a.ackLost(key(id))]);
    expect([...ids].reverse().map((id) => [b.copiesOf(key(id)), b.ackLost(key(id))]).reverse()).toEqual(drawn);
    const copies = drawn.map(([c]) => c as number);
    expect(new Set(copies)).toEqual(new Set([1, 2, 3]));
    const lost = drawn.filter(([, l]) => l).length;
    expect(lost).toBeGreaterThan(30);
    expect(lost).toBeLessThan(90);
  });
  it('pick a seed and say so when none is given; refuse bad options naming the field', () => {
    expect(createPushFaults({ lostAckProbability: 0.1 }).seed).toMatch(/^[0-9a-f]{12}$/);
    expect(() => createPushFaults({ copies: { min: 3, max: 2 } })).toThrow(/copies/);
    expect(() => createPushFaults({ lostAckProbability: 2 })).toThrow(/lostAckProbability/);
  });
});
