// The pipeline state store on the Firestore emulator: pause and resume record who and when, repeating
// either changes nothing, and a schedule fire time is claimed by exactly one of many racing callers.
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestorePipelineStateStore } from '../../functions/runtime/firestore-pipeline-state-store';
import type {} from '../support/local-cloud'; // declares inject('localCloud')

let firestore: Firestore;

beforeAll(() => {
  const host = inject('localCloud')?.firestoreHost;
  if (!host) throw new Error('no local cloud: run under the vitest global setup');
  firestore = new Firestore({ projectId: `pipeline-state-${process.pid}-${Date.now()}`, host, ssl: false });
});

afterAll(async () => {
  await firestore?.terminate();
});

describe('firestore pipeline state store', () => {
  it('an unknown pipeline is not paused', async () => {
    const store = createFirestorePipelineStateStore(firestore);
    expect(await store.get('never-seen')).toEqual({ pipeline: 'never-seen', paused: false });
  });

  it('pause and resume record who and when; repeating one changes nothing', async () => {
    let clock = new Date('2026-12-01T10:00:00Z');
    const store = createFirestorePipelineStateStore(firestore, { now: () => clock });
    const paused = await store.setPaused('orders', true, 'user:ana@example.com');
    expect(paused).toMatchObject({ pipeline: 'orders', paused: true, pausedBy: 'user:ana@example.com', pausedAt: '2026-12-01T10:00:00.000Z' });

    clock = new Date('2026-12-01T10:05:00Z');
    const again = await store.setPaused('orders', true, 'user:bo@example.com');
    expect(again.pausedBy).toBe('user:ana@example.com');
    expect(again.pausedAt).toBe('2026-12-01T10:00:00.000Z');

    clock = new Date('2026-12-01T11:00:00Z');
    const resumed = await store.setPaused('orders', false, 'dev');
    expect(resumed).toMatchObject({ paused: false, resumedBy: 'dev', resumedAt: '2026-12-01T11:00:00.000Z', pausedBy: 'user:ana@example.com' });
    expect(await store.get('orders')).toEqual(resumed);
  });

  it('a fire time is claimed once however many check it at the same time', async () => {
    const store = createFirestorePipelineStateStore(firestore);
    const fireTime = '2026-12-01T06:00:00.000Z';
    const results = await Promise.all(Array.from({ length: 6 }, () => store.claimScheduleCheck('orders', fireTime)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claimScheduleCheck('orders', '2026-12-02T06:00:00.000Z')).toBe(true);
    expect(await store.claimScheduleCheck('other', fireTime)).toBe(true);
  });

  it('a released fire time can be claimed again', async () => {
    const store = createFirestorePipelineStateStore(firestore) as ReturnType<typeof createFirestorePipelineStateStore> & { releaseScheduleCheck(p: string, t: string): Promise<void> };
    const fireTime = '2026-12-03T06:00:00.000Z';
    expect(await store.claimScheduleCheck('orders', fireTime)).toBe(true);
    expect(await store.claimScheduleCheck('orders', fireTime)).toBe(false);
    await store.releaseScheduleCheck('orders', fireTime);
    await store.releaseScheduleCheck('orders', fireTime);
    expect(await store.claimScheduleCheck('orders', fireTime)).toBe(true);
  });
});
