// The Firestore RunRecorder. Every write is safe to repeat: a redelivered message finds its earlier
// effects and changes nothing, and run completion is decided by a write that lands only on the run as read
// (a transaction, or an update guarded by its update time), so exactly one
// caller is told "this ended the run" — and told so again if it is redelivered before it could act.
import { FieldValue, type Firestore, type Transaction } from '@google-cloud/firestore';
import { processRedactor, type Redactor } from '../../shared/redact';
import type { StageName } from '../../shared/stage-declaration';
import type { FileOutcome, FileStageReport, RunRecorder, RunStart } from './context';
import { emptyCounts, filesToEnd, FILES_SUBCOLLECTION, RUNS_COLLECTION, finalStatus, type FileRecord, type RunRecord } from './run-record';

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
// Re-reads of a file record that changed under finishFile before it gives up (transient, redelivered).
const FINISH_ATTEMPTS = 10;
const FETCH_DECIDER = '(fetch)';
const RUN_FAILED_DECIDER = '(run-failed)';

const now = () => new Date().toISOString();

type StoredRun = RunRecord & { completedBy?: string };

// Every error or reason string is scrubbed as it enters (`clean`): a dependency's error text may quote
// a secret, and the run record is read by people and mailed.
export function createRunRecorder(firestore: Firestore, redactor: Redactor = processRedactor): RunRecorder & {
  failRun(runId: string, stage: string, error: string): Promise<{ firstFailure: boolean }>;
  getRun(runId: string): Promise<StoredRun | undefined>;
} {
  const runRef = (runId: string) => firestore.collection(RUNS_COLLECTION).doc(runId);
  const fileRef = (runId: string, fileKey: string) => runRef(runId).collection(FILES_SUBCOLLECTION).doc(fileKey);
  const clean = (text: string) => redactor.redact(text);

  // Records that the run's last file ended (or that fetch found all of them ended) and returns true once.
  function completeIfDone(tx: Transaction, runId: string, run: StoredRun, endedFiles: number, counts: Record<FileOutcome, number>, decider: string): boolean {
    const toEnd = filesToEnd(run);
    if (run.completedAt || toEnd === null) return false;
    if (endedFiles < toEnd) return false;
    const at = now();
    tx.update(runRef(runId), {
      completedAt: at,
      completedBy: decider,
      status: finalStatus(counts, run.error),
      finishedAt: at,
      updatedAt: at,
      notifyPending: true,
    });
    return true;
  }

  // After a file's ending committed (or was found committed): if every expected file has ended and no
  // one recorded the run's end yet, record it. The write is guarded by the run document's update time
  // as read, so it lands only if nothing changed the run since (no other end, failure or count): exactly
  // one caller wins, the others re-read and see it ended. Optimistic rather than a transaction, because
  // a file's duplicate deliveries all arrive here at once. Returns whether this file ended the run
  // (again true on a redelivery of that file).
  async function completeIfAllEnded(runId: string, fileKey: string): Promise<{ runComplete: boolean }> {
    for (let attempt = 1; ; attempt++) {
      const snap = await runRef(runId).get();
      const run = snap.data() as StoredRun | undefined;
      if (!run || !snap.updateTime) throw new Error(`run ${runId} has no record`);
      if (run.completedAt) return { runComplete: run.completedBy === fileKey };
      const toEnd = filesToEnd(run);
      if (toEnd === null || (run.endedFiles ?? 0) < toEnd) return { runComplete: false };
      const at = now();
      try {
        await runRef(runId).update(
          { completedAt: at, completedBy: fileKey, status: finalStatus({ ...emptyCounts(), ...run.counts }, run.error), finishedAt: at, updatedAt: at, notifyPending: true },
          { lastUpdateTime: snap.updateTime },
        );
        return { runComplete: true };
      } catch (error) {
        if ((error as { code?: number }).code === FAILED_PRECONDITION && attempt < FINISH_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  return {
    async startRun(runId: string, start: RunStart) {
      const at = now();
      const record: StoredRun = {
        runId,
        pipeline: start.pipeline,
        trigger: start.trigger,
        messageId: start.messageId,
        dates: start.dates,
        status: 'running',
        createdAt: at,
        updatedAt: at,
        expectedFiles: null,
        endedFiles: 0,
        counts: emptyCounts(),
        stages: {},
      };
      let expectedFiles: number | null = null;
      try {
        await runRef(runId).create(record);
      } catch (error) {
        if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error;
        expectedFiles = ((await runRef(runId).get()).data() as StoredRun | undefined)?.expectedFiles ?? null;
      }
      await runRef(runId).set({ stages: { fetch: { attempts: FieldValue.increment(1), startedAt: at } }, updatedAt: at }, { merge: true });
      return { expectedFiles };
    },

    async setExpectedFiles(runId: string, count: number) {
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(runRef(runId));
        const run = snap.data() as StoredRun | undefined;
        if (!run) throw new Error(`run ${runId} has no record`);
        if (run.completedAt) return { runComplete: run.completedBy === FETCH_DECIDER };
        const at = now();
        if (run.expectedFiles === null || run.expectedFiles === undefined) {
          tx.update(runRef(runId), { expectedFiles: count, 'stages.fetch.endedAt': at, updatedAt: at });
        }
        const expected = run.expectedFiles ?? count;
        return { runComplete: completeIfDone(tx, runId, { ...run, expectedFiles: expected }, run.endedFiles, run.counts, FETCH_DECIDER) };
      });
    },

    async recordWarnings(runId, warnings) {
      await runRef(runId).update({ warnings: warnings.map(clean), updatedAt: now() });
    },

    async recordSkipped(runId, fileKey, file) {
      await firestore.runTransaction(async (tx) => {
        const snap = await tx.get(fileRef(runId, fileKey));
        if (snap.exists) return;
        const record: FileRecord = { fileKey, name: file.name, status: 'skipped', skippedReason: clean(file.reason), stages: {}, endedAt: now() };
        tx.create(fileRef(runId, fileKey), { ...record, ...(file.size !== undefined ? { size: file.size } : {}) });
        tx.update(runRef(runId), { 'counts.skipped': FieldValue.increment(1), updatedAt: now() });
      });
    },

    async stageStarted(runId, fileKey, stage, file) {
      const at = now();
      await fileRef(runId, fileKey).set(
        {
          fileKey,
          ...(file?.name ? { name: file.name } : {}),
          ...(file?.raw ? { raw: file.raw } : {}),
          ...(file?.stagedToken ? { stagedTokens: FieldValue.arrayUnion(file.stagedToken) } : {}),
          stages: { [stage]: { attempts: FieldValue.increment(1), startedAt: at } },
        },
        { merge: true },
      );
    },

    async stageSucceeded(runId, fileKey, stage, report?: FileStageReport) {
      const update: Record<string, unknown> = { [`stages.${stage}.endedAt`]: now(), [`stages.${stage}.error`]: FieldValue.delete() };
      if (report?.rows !== undefined) {
        update[`stages.${stage}.rows`] = report.rows;
        update.rows = report.rows;
      }
      if (report?.details) update[`stages.${stage}.details`] = report.details;
      for (const key of ['rule', 'table'] as const) {
        const value = report?.details?.[key];
        if (typeof value === 'string') update[key] = value;
      }
      await fileRef(runId, fileKey).update(update);
    },

    async stageFailed(runId, fileKey, stage: StageName, error: string) {
      await fileRef(runId, fileKey).set({ stages: { [stage]: { error: clean(error) } } }, { merge: true });
    },

    // Ends a file without a read-write transaction on the run document: every file of a run ends at
    // about the same time, and concurrent transactions on one document wait for each other's locks and
    // are aborted and retried with a backoff of 1 s and up (the Firestore emulator took 2–7 s for 3–9
    // of them; a batch takes ~40 ms). Instead the file's ending and the run's counters are one atomic
    // batch, guarded by a precondition on the file record as it was read (still pending, unchanged),
    // so a concurrent or repeated delivery of the same file fails the precondition, re-reads, finds the
    // file ended and counts nothing. Only a caller that then sees every expected file ended takes the
    // transaction that decides completion, so that transaction is rarely contended.
    async finishFile(runId, fileKey, outcome, details) {
      for (let attempt = 1; ; attempt++) {
        const fileSnap = await fileRef(runId, fileKey).get();
        const file = fileSnap.data() as FileRecord | undefined;
        // Already ended by an earlier delivery: if that delivery ended the run, it may have died before
        // publishing; saying so again costs at most a duplicate event that notify ignores.
        if (file?.status && file.status !== 'pending') return completeIfAllEnded(runId, fileKey);
        const at = now();
        const fileUpdate: Record<string, unknown> = { fileKey, status: outcome, endedAt: at };
        if (details?.error) {
          fileUpdate.error = { message: clean(details.error), ...(details.stage ? { stage: details.stage } : {}), ...(details.row !== undefined ? { row: details.row } : {}) };
        }
        if (details?.quarantinedAs) fileUpdate.quarantinedAs = details.quarantinedAs;
        const batch = firestore.batch();
        if (fileSnap.exists && fileSnap.updateTime) batch.update(fileRef(runId, fileKey), fileUpdate, { lastUpdateTime: fileSnap.updateTime });
        else batch.create(fileRef(runId, fileKey), fileUpdate);
        batch.update(runRef(runId), { endedFiles: FieldValue.increment(1), [`counts.${outcome}`]: FieldValue.increment(1), updatedAt: at });
        try {
          await batch.commit();
          return completeIfAllEnded(runId, fileKey);
        } catch (error) {
          const code = (error as { code?: number }).code;
          if (code === NOT_FOUND) throw new Error(`run ${runId} has no record`, { cause: error });
          // The file record changed between the read and the commit (another delivery ended it, or wrote
          // a stage): read again. Bounded so a record that keeps changing fails as a retryable error.
          if ((code === FAILED_PRECONDITION || code === ALREADY_EXISTS) && attempt < FINISH_ATTEMPTS) continue;
          throw error;
        }
      }
    },

    // One transaction reads the archive's file record and, while it is still pending, ends it as
    // 'expanded' with its members' names and adds them to the run's files to end; a redelivery finds
    // it ended and adds nothing. Cannot complete the run: it adds at least one file not yet ended.
    async expandFile(runId, fileKey, members) {
      if (members.length === 0) throw new Error(`expanding file ${fileKey} of run ${runId}: an archive with no members ends as quarantined, not expanded`);
      await firestore.runTransaction(async (tx) => {
        const [fileSnap, runSnap] = await tx.getAll(fileRef(runId, fileKey), runRef(runId));
        if (!runSnap?.exists) throw new Error(`run ${runId} has no record`);
        const file = fileSnap?.data() as FileRecord | undefined;
        if (file?.status && file.status !== 'pending') return;
        const at = now();
        tx.set(fileRef(runId, fileKey), { fileKey, status: 'expanded', endedAt: at, members: members.map((m) => m.name) }, { merge: true });
        tx.update(runRef(runId), {
          addedFiles: FieldValue.increment(members.length),
          endedFiles: FieldValue.increment(1),
          'counts.expanded': FieldValue.increment(1),
          updatedAt: at,
        });
      });
    },

    // A failure of the run as a whole. Returns whether this call was the first to record it, so the
    // caller publishes run-failed once (and again only when redelivered as that same first caller).
    async failRun(runId, stage, reason) {
      const error = clean(reason);
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(runRef(runId));
        const run = snap.data() as StoredRun | undefined;
        if (!run) throw new Error(`run ${runId} has no record`);
        if (run.error) return { firstFailure: run.completedBy === RUN_FAILED_DECIDER && run.error.stage === stage && run.error.message === error };
        const at = now();
        tx.update(runRef(runId), {
          error: { stage, message: error },
          status: 'failed',
          updatedAt: at,
          ...(run.completedAt ? {} : { completedAt: at, completedBy: RUN_FAILED_DECIDER, finishedAt: at }),
          notifyPending: true,
        });
        return { firstFailure: true };
      });
    },

    async getRun(runId) {
      const snap = await runRef(runId).get();
      return snap.data() as StoredRun | undefined;
    },
  };
}
