// The database goes away while files are loading: load fails transiently, Pub/Sub redelivers with
// backoff, and the run finishes with everything loaded once the database is back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import { startDemoHarness, type DemoHarness } from './demo-harness';
import { tableCounts } from './assertions';

const DATE = '2026-08-03';
let h: DemoHarness;

beforeAll(async () => {
  h = await startDemoHarness();
});
afterAll(async () => h?.close());

it('recovers by redelivery when the database comes back', async () => {
  const fixture = h.generate([DATE], 40, 5);
  h.proxy.down();
  const runPromise = h.runOnce({ date: DATE, timeoutMs: 120_000 });
  // Wait until Pub/Sub has redelivered a load that failed against the missing database (a second
  // attempt started), then bring the database back.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no load attempt failed while the database was down')), 60_000);
    const unsubscribe = createFirestoreRunStore(h.firestore).watchAllFiles((files) => {
      if (files.some((f) => (f.stages.load?.attempts ?? 0) >= 2)) {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    }, reject);
  });
  h.proxy.up();
  const run = await runPromise;
  expect(run.run.status).toBe('succeeded');
  expect(run.files.some((f) => (f.stages.load?.attempts ?? 0) > 1)).toBe(true);
  expect(await tableCounts(h)).toEqual(fixture.rows);
});
