// The local Cloud Scheduler: cron + IANA time zone evaluated across DST changes, and fire()
// publishing the declared payload and attributes to the declared topic in the Pub/Sub emulator.
import type { Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
