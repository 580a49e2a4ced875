// Reads and settles a run's record for notify: the run document, its files and its final status.
// Which mails went out is deliver-once.ts's.
import type { Firestore } from '@google-cloud/firestore';
import { PermanentError } from '../../shared/errors';
import { emptyCounts, FILES_SUBCOLLECTION, RUNS_COLLECTION, finalStatus, type FileRecord, type RunRecord } from '../runtime/run-record';

const runRef = (firestore: Firestore, runId: string) => firestore.collection(RUNS_COLLECTION).doc(runId);

export async function readRun(firestore: Firestore, runId: string): Promise<RunRecord | undefined> {
  return (await runRef(firestore, runId).get()).data() as RunRecord | undefined;
}

export async function readFiles(firestore: Firestore, runId: string): Promise<FileRecord[]> {
  const snap = await runRef(firestore, runId).collection(FILES_SUBCOLLECTION).get();
  return snap.docs.map((doc) => ({ fileKey: doc.id, ...(doc.data() as Omit<FileRecord, 'fileKey'>) }));
}

export async function readFile(firestore: Firestore, runId: string, fileKey: string): Promise<FileRecord | undefined> {
  return (await runRef(firestore, runId).collection(FILES_SUBCOLLECTION).doc(fileKey).get()).data() as FileRecord | undefined;
}

// Gives a completed run its final status and end time unless it has them already; returns the record
// as it now stands. In a transaction, so two deliveries agree on one status.
export async function settleRun(firestore: Firestore, runId: string): Promise<RunRecord> {
  return firestore.runTransaction(async (tx) => {
    const ref = runRef(firestore, runId);
    const run = (await tx.get(ref)).data() as RunRecord | undefined;
    if (!run) throw new PermanentError(`run ${runId} has no record`);
    if (run.status !== 'running' && run.finishedAt) return run;
    const at = new Date().toISOString();
    const status = run.status !== 'running' ? run.status : finalStatus({ ...emptyCounts(), ...run.counts }, run.error);
    const finishedAt = run.finishedAt ?? at;
    tx.update(ref, { status, finishedAt, updatedAt: at });
    return { ...run, status, finishedAt };
  });
}

// A run failed as a whole: failed, with the first error recorded, whatever its files say.
export async function settleFailedRun(firestore: Firestore, runId: string, failure: { pipeline: string; stage: string; error: string }): Promise<RunRecord> {
  return firestore.runTransaction(async (tx) => {
    const ref = runRef(firestore, runId);
    const run = (await tx.get(ref)).data() as RunRecord | undefined;
    const at = new Date().toISOString();
    if (!run) {
      // Fetch may fail before it recorded the run; record enough to hang the alert mark on.
      const created = {
        runId, pipeline: failure.pipeline, trigger: 'unknown', messageId: '', dates: [], status: 'failed', createdAt: at, updatedAt: at, finishedAt: at,
        expectedFiles: null, endedFiles: 0, counts: emptyCounts(), stages: {},
        error: { stage: failure.stage, message: failure.error },
      } satisfies RunRecord;
      tx.create(ref, created);
      return created;
    }
    if (run.status === 'failed' && run.finishedAt && run.error) return run;
    const error = run.error ?? { stage: failure.stage, message: failure.error };
    const finishedAt = run.finishedAt ?? at;
    tx.update(ref, { status: 'failed', error, finishedAt, updatedAt: at });
    return { ...run, status: 'failed', error, finishedAt };
  });
}

// Notify has sent everything the run's end owed; watchers wait for this mark.
export async function markNotifyDone(firestore: Firestore, runId: string): Promise<void> {
  const at = new Date().toISOString();
  await runRef(firestore, runId).update({ 'notifications.doneAt': at, notifyPending: false, updatedAt: at });
}
