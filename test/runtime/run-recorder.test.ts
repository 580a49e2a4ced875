// The Firestore run recorder under the concurrency a run really sees: every file of a run ends at about
// the same time, some twice (Pub/Sub redelivers), while fetch may still be recording how many files
// there are. Each file must be counted once and exactly one caller must be told it ended the run.
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRunRecorder } from '../../functions/runtime/run-recorder';
import { FILES_SUBCOLLECTION, RUNS_COLLECTION } from '../../functions/runtime/run-record';
import type {} from '../support/local-cloud'; // declares inject('localCloud')

let firestore: Firestore;

beforeAll(() => {
  const host = inject('localCloud')?.firestoreHost;
  if (!host) throw new Error('no local cloud: run under the vitest global setup');
  firestore = new Firestore({ projectId: `run-recorder-${process.pid}-${Date.now()}`, host, ssl: false });
});

afterAll(async () => {
  await firestore?.terminate();
});

describe('run recorder', () => {
  it('files ending at once, each twice, while fetch sets the expected count: each counted once, one decider', async () => {
    const runs = createRunRecorder(firestore);
    const runId = 'run-concurrent';
    await runs.startRun(runId, { pipeline: 'p', trigger: 'manual', messageId: 'm', dates: ['2026-11-21'] });
    const keys = Array.from({ length: 9 }, (_, i) => `f${i}`);
    for (const key of keys) await runs.stageStarted(runId, key, 'aggregate', { name: `${key}.csv` });
    const outcome = (key: string): 'quarantined' | 'loaded' => (key === 'f0' ? 'quarantined' : 'loaded');

    const told: string[] = [];
    await Promise.all([
      ...[...keys, ...keys].map(async (key) => {
        const { runComplete } = await runs.finishFile(runId, key, outcome(key), key === 'f0' ? { stage: 'load', error: 'bad row' } : { stage: 'aggregate' });
        if (runComplete) told.push(key);
      }),
      (async () => {
        const { runComplete } = await runs.setExpectedFiles(runId, keys.length);
        if (runComplete) told.push('(fetch)');
      })(),
    ]);

    const run = await runs.getRun(runId);
    expect(run).toMatchObject({ expectedFiles: 9, endedFiles: 9, counts: { loaded: 8, quarantined: 1, failed: 0, skipped: 0 }, status: 'partial' });
    expect(run?.completedAt).toEqual(expect.any(String));
    // The decider may be told twice (its duplicate), nobody else at all.
    expect(new Set(told)).toEqual(new Set([run?.completedBy]));
    const files = await firestore.collection(RUNS_COLLECTION).doc(runId).collection(FILES_SUBCOLLECTION).get();
    expect(files.docs.map((d) => d.data().status).sort()).toEqual([...Array(8).fill('loaded'), 'quarantined']);
    expect(files.docs.find((d) => d.id === 'f0')?.data().error).toMatchObject({ message: 'bad row', stage: 'load' });

    // A later redelivery changes nothing and is told again only if it was the decider.
    for (const key of keys) expect((await runs.finishFile(runId, key, outcome(key))).runComplete).toBe(key === run?.completedBy);
    expect(await runs.getRun(runId)).toMatchObject({ endedFiles: 9, counts: { loaded: 8, quarantined: 1 } });
  });

  it('a file record that does not exist yet is created by its ending; a missing run is an error', async () => {
    const runs = createRunRecorder(firestore);
    await runs.startRun('run-bare', { pipeline: 'p', trigger: 'manual', messageId: 'm', dates: ['2026-11-21'] });
    await runs.setExpectedFiles('run-bare', 1);
    expect(await runs.finishFile('run-bare', 'only', 'loaded')).toEqual({ runComplete: true });
    expect(await runs.getRun('run-bare')).toMatchObject({ endedFiles: 1, status: 'succeeded', completedBy: 'only' });
    await expect(runs.finishFile('no-such-run', 'f', 'loaded')).rejects.toThrow(/run no-such-run has no record/);
  });
});
