// Runs for the dashboard tests and screenshots, written the way the stages write them: through the
// RunStore's RunRecorder methods (start, expected files, stage started/succeeded/failed, file
// ended), then settled as notify settles them. The clock decides each write's time, so start
// times, stage times and durations are what the caller says.
import type { RunStore } from '../../functions/runtime/run-store';
import { testClock, type TestClock } from './dashboard-world';

const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

export interface SeedOptions {
  pipeline: string;
  startedAt: Date;
  trigger?: 'schedule' | 'manual';
  date?: string;
}

export interface SeedFile {
  name: string;
  outcome: 'loaded' | 'failed' | 'quarantined';
  rows?: number;
  // failed: the stage it failed in (default load), the error and the row.
  stage?: 'transform' | 'load';
  error?: string;
  row?: number;
}

// A run of these files through fetch, transform and load (ms offsets from startedAt: fetch 0.2–1.2 s,
// transform 2–4.5 s, load 5–8 s, scaled by `slow`), settled at the end.
export async function seedRun(runs: RunStore, clock: TestClock, runId: string, o: SeedOptions & { files: SeedFile[]; slow?: number }): Promise<void> {
  const k = o.slow ?? 1;
  const t = (ms: number) => clock.set(at(o.startedAt, ms * k));
  t(0);
  await runs.startRun(runId, { pipeline: o.pipeline, trigger: o.trigger ?? 'schedule', messageId: `m-${runId}`, dates: [o.date ?? '2026-11-30'] });
  const keyOf = (i: number) => `${runId}-f${i}`;
  for (const [i, file] of o.files.entries()) {
    t(200);
    await runs.stageStarted(runId, keyOf(i), 'fetch', { name: file.name });
    t(1200);
    await runs.stageSucceeded(runId, keyOf(i), 'fetch');
  }
  t(1500);
  await runs.setExpectedFiles(runId, o.files.length);
  for (const [i, file] of o.files.entries()) {
    t(2000);
    await runs.stageStarted(runId, keyOf(i), 'transform');
    t(4500);
    if (file.outcome === 'quarantined' || (file.outcome === 'failed' && file.stage === 'transform')) {
      const error = file.error ?? 'header "qty" is missing';
      await runs.stageFailed(runId, keyOf(i), 'transform', error);
      await runs.finishFile(runId, keyOf(i), file.outcome, { stage: 'transform', error, ...(file.row !== undefined ? { row: file.row } : {}) });
      continue;
    }
    await runs.stageSucceeded(runId, keyOf(i), 'transform', { rows: file.rows ?? 1200 });
    t(5000);
    await runs.stageStarted(runId, keyOf(i), 'load');
  }
  for (const [i, file] of o.files.entries()) {
    if (file.outcome === 'loaded') {
      t(8000);
      await runs.stageSucceeded(runId, keyOf(i), 'load', { rows: file.rows ?? 1200 });
      await runs.finishFile(runId, keyOf(i), 'loaded');
    } else if (file.outcome === 'failed' && file.stage !== 'transform') {
      t(9000);
      const error = file.error ?? 'load failed';
      await runs.stageFailed(runId, keyOf(i), 'load', error);
      await runs.finishFile(runId, keyOf(i), 'failed', { stage: 'load', error, ...(file.row !== undefined ? { row: file.row } : {}) });
    }
  }
  t(9500);
  await runs.settleRun(runId);
  // Notify sent what the run's end owed.
  t(10_000);
  await runs.markNotifyDone(runId);
}

// A run whose source had nothing new: started, no files, ended 'no-new-data'.
export async function seedEmptyRun(runs: RunStore, clock: TestClock, runId: string, o: SeedOptions): Promise<void> {
  clock.set(o.startedAt);
  await runs.startRun(runId, { pipeline: o.pipeline, trigger: o.trigger ?? 'schedule', messageId: `m-${runId}`, dates: [o.date ?? '2026-11-30'] });
  clock.set(at(o.startedAt, 1500));
  await runs.setExpectedFiles(runId, 0);
  await runs.settleRun(runId);
  await runs.markNotifyDone(runId);
}

export interface SeededFailure {
  file: string;
  row: number;
  message: string;
}

// A run of two files: one loaded, one that failed in load at a row; ended 'failed'.
export async function seedFailedRun(runs: RunStore, clock: TestClock, runId: string, o: SeedOptions & Partial<SeededFailure>): Promise<SeededFailure> {
  const failure = { file: o.file ?? 'orders_2026-11-30.csv', row: o.row ?? 418, message: o.message ?? 'invalid input syntax for type numeric: "12,50" (column amount)' };
  await seedRun(runs, clock, runId, {
    ...o,
    files: [
      { name: 'order-items_2026-11-30.csv', outcome: 'loaded', rows: 1200 },
      { name: failure.file, outcome: 'failed', stage: 'load', error: failure.message, row: failure.row },
    ],
  });
  return failure;
}

// A run still in transform: its one file fetched, transform started. The file's key is returned.
export async function seedRunningRun(runs: RunStore, clock: TestClock, runId: string, o: SeedOptions): Promise<{ fileKey: string }> {
  const fileKey = `${runId}-orders`;
  const t = (ms: number) => clock.set(at(o.startedAt, ms));
  t(0);
  await runs.startRun(runId, { pipeline: o.pipeline, trigger: o.trigger ?? 'manual', messageId: `m-${runId}`, dates: [o.date ?? '2026-11-30'] });
  t(100);
  await runs.stageStarted(runId, fileKey, 'fetch', { name: 'orders_2026-11-30.csv' });
  t(900);
  await runs.stageSucceeded(runId, fileKey, 'fetch');
  await runs.setExpectedFiles(runId, 1);
  t(1000);
  await runs.stageStarted(runId, fileKey, 'transform');
  return { fileKey };
}

// Many ended runs, one minute apart going back from `newest`: two workers, each with a RunStore and
// clock of its own (a clock is one instant at a time). More workers are slower: the emulator's
// transactions then wait on each other.
export async function seedManyEmptyRuns(storeWithClock: (clock: TestClock) => RunStore, ids: string[], o: Omit<SeedOptions, 'startedAt'> & { newest: Date }, workers = 2): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    const clock = testClock();
    const runs = storeWithClock(clock);
    for (let i = next++; i < ids.length; i = next++) {
      await seedEmptyRun(runs, clock, ids[i]!, { ...o, startedAt: new Date(o.newest.getTime() - i * 60_000) });
    }
  }));
}
