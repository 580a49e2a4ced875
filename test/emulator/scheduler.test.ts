// The local Cloud Scheduler: cron + IANA time zone evaluated across DST changes, and fire()
// publishing the declared payload and attributes to the declared topic in the Pub/Sub emulator.
import type { Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startScheduler, type LocalScheduler, type ScheduleSpec } from '../../emulator/scheduler';
import { pubsubFor, uniqueName, uniqueProjectId } from '../support/local-cloud';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('nextRuns in a time zone with DST', () => {
  const daily: ScheduleSpec = { name: 'daily', cron: '0 6 * * *', timeZone: 'America/New_York', topic: 'unused', payload: {} };
  const at = (now: string) => startScheduler({} as PubSub, [daily], { now: () => new Date(now), autoStart: false });

  it('keeps 06:00 local time across the spring-forward change (EST → EDT: 11:00Z → 10:00Z)', () => {
    const scheduler = at('2026-03-06T12:00:00Z'); // DST starts Sunday 2026-03-08, 02:00 local
    expect(iso(scheduler.nextRuns('daily', 3))).toEqual(['2026-03-07T11:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-09T10:00:00.000Z']);
    scheduler.stop();
  });

  it('keeps 06:00 local time across the fall-back change (EDT → EST: 10:00Z → 11:00Z)', () => {
    const scheduler = at('2026-10-30T12:00:00Z'); // DST ends Sunday 2026-11-01, 02:00 local
    expect(iso(scheduler.nextRuns('daily', 3))).toEqual(['2026-10-31T10:00:00.000Z', '2026-11-01T11:00:00.000Z', '2026-11-02T11:00:00.000Z']);
    scheduler.stop();
  });

  it('rejects an unknown time zone and a non-unix-cron expression, naming the schedule', () => {
    expect(() => startScheduler({} as PubSub, [{ ...daily, timeZone: 'Mars/Olympus' }])).toThrow(/daily.*Mars\/Olympus/);
    expect(() => startScheduler({} as PubSub, [{ ...daily, cron: '0 0 6 * * *' }])).toThrow(/daily.*cron/);
  });
});

describe('fire()', () => {
  let pubsub: PubSub;
  let scheduler: LocalScheduler;
  const topic = uniqueName('nightly');

  beforeAll(async () => {
    pubsub = pubsubFor(uniqueProjectId('scheduler'));
    await pubsub.createTopic(topic);
    scheduler = startScheduler(
      pubsub,
      [
        { name: 'nightly-json', cron: '30 2 * * *', timeZone: 'Europe/Berlin', topic, payload: { pipeline: 'pos', trigger: 'schedule' }, attributes: { pipeline: 'pos' } },
        { name: 'nightly-text', cron: '30 2 * * *', timeZone: 'Europe/Berlin', topic, payload: 'run' },
      ],
      { autoStart: false },
    );
  });

  afterAll(async () => {
    scheduler?.stop();
    await pubsub?.close();
  });

  it('publishes the declared payload and attributes to the declared topic', async () => {
    const [subscription] = await pubsub.topic(topic).createSubscription(`${topic}-pull`);
    const received = new Map<string, Message>();
    const bothArrived = new Promise<void>((resolve) =>
      subscription.on('message', (message: Message) => {
        message.ack();
        received.set(message.id, message);
        if (received.size === 2) resolve();
      }),
    );
    const jsonId = await scheduler.fire('nightly-json');
    const textId = await scheduler.fire('nightly-text');
    await bothArrived;
    await subscription.close();

    expect(JSON.parse(received.get(jsonId)!.data.toString())).toEqual({ pipeline: 'pos', trigger: 'schedule' });
    expect(received.get(jsonId)!.attributes).toEqual({ pipeline: 'pos' });
    expect(received.get(textId)!.data.toString()).toBe('run');
    await expect(scheduler.fire('nope')).rejects.toThrow(/no schedule named "nope"/);
  });
});

describe('pause() and resume()', () => {
  // A fake publisher and croner on vitest's fake clock: which minutes fire is decided by the cron alone.
  const published: string[] = [];
  const pubsub = { topic: (topic: string) => ({ publishMessage: async () => (published.push(topic), `m${published.length}`) }) } as unknown as PubSub;
  const everyMinute: ScheduleSpec = { name: 'every-minute', cron: '* * * * *', timeZone: 'UTC', topic: 't', payload: {} };

  it('stops a job firing on its cron while paused, and fires it again once resumed', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:30Z') });
    const scheduler = startScheduler(pubsub, [everyMinute]);
    try {
      await vi.advanceTimersByTimeAsync(60_000);
      expect(published).toHaveLength(1);
      scheduler.pause('every-minute');
      expect(scheduler.isPaused('every-minute')).toBe(true);
      await vi.advanceTimersByTimeAsync(180_000);
      expect(published).toHaveLength(1);
      await scheduler.fire('every-minute'); // an operator's forced run still publishes
      expect(published).toHaveLength(2);
      scheduler.resume('every-minute');
      expect(scheduler.isPaused('every-minute')).toBe(false);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(published).toHaveLength(3);
      expect(() => scheduler.pause('nope')).toThrow(/no schedule named "nope"/);
    } finally {
      scheduler.stop();
      vi.useRealTimers();
    }
  });

  it('does not start the cron of an on-demand scheduler on resume', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:30Z') });
    published.length = 0;
    const scheduler = startScheduler(pubsub, [everyMinute], { autoStart: false });
    try {
      scheduler.pause('every-minute');
      scheduler.resume('every-minute');
      await vi.advanceTimersByTimeAsync(120_000);
      expect(published).toHaveLength(0);
    } finally {
      scheduler.stop();
      vi.useRealTimers();
    }
  });
});
