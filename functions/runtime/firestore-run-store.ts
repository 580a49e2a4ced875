// The Firestore RunStore (run-store.ts): the one module that names the run collections. It was two
// (the stages' run recorder and notify's run state); the stages' half keeps its rules:
//
// Every write is safe to repeat: a redelivered message finds its earlier effects and changes nothing,
// and run completion is decided by a write that lands only on the run as read (a transaction, or an
// update guarded by its update time), so exactly one caller is told "this ended the run" — and told
// so again if it is redelivered before it could act.
//
// Every write also keeps the runs list's fields current (run-record.ts: startedAt, logicalDate,
// actor, durationMs, failedStage, errorSummary, rows, updatedAt) and sets `expiresAt`, the field
// Firestore's TTL policy deletes by (runs: retention.runDays after their last write; file records:
// retention.fileDays), so a list reads run documents only and old history goes by itself.
import { FieldValue, Timestamp, type DocumentData, type DocumentReference, type Firestore, type Transaction } from '@google-cloud/firestore';
import { PermanentError } from '../../shared/errors';
import { processRedactor, type Redactor } from '../../shared/redact';
import type { StageName } from '../../shared/stage-declaration';
import type { FileOutcome, FileStageReport, RunStart } from './context';
import { actorOf, DEFAULT_RETENTION, durationOf, errorSummaryOf, expiryAfter, logicalDateOf } from './run-list-fields';
import { decodeCursor, encodeCursor, filteredRuns, pageLimit } from './run-list-query';
import {
  emptyCounts, FILES_SUBCOLLECTION, filesToEnd, finalStatus, isTerminal, RUNS_COLLECTION,
  type FileRecord, type RunAction, type RunRecord, type RunStatus,
} from './run-record';
import type { RunRetention, RunStore } from './run-store';

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
// Re-reads of a record that changed under a guarded write before it gives up (transient, redelivered).
const FINISH_ATTEMPTS = 10;
// Who decided a run's end, when no file did (completedBy).
const FETCH_DECIDER = '(fetch)';
const RUN_FAILED_DECIDER = '(run-failed)';
const CANCEL_DECIDER = '(cancel)';
const PAUSED_DECIDER = '(paused)';
// Firestore's limit on the values of one `in` filter.
const IN_LIMIT = 30;
// Runs the watchdog looks at: every run that may still have files in flight.
const IN_FLIGHT: RunStatus[] = ['running', 'cancelling'];

// A run as stored: also who decided its end (a file key or one of the deciders above).
export type StoredRunRecord = RunRecord & { completedBy?: string };
// A file as stored: also the rows its load already added to the run's `rows` (so a redelivered load
// adds only the difference).
type StoredFile = FileRecord & { rowsCounted?: number };

export interface FirestoreRunStore extends RunStore {
  getRun(runId: string): Promise<StoredRunRecord | undefined>;
}

export interface FirestoreRunStoreOptions {
  // Scrubs every error and reason string as it enters: a dependency's error text may quote a secret,
  // and the run record is read by people, listed and mailed.
  redactor?: Redactor;
  retention?: RunRetention;
  now?: () => Date;
}

// A run's document, for the one module that transacts on it with rules of its own: notify's
// deliver-once.ts, whose delivery claims live on the run (its own transactions, not store methods).
export function runDocument(firestore: Firestore, runId: string): DocumentReference {
  return firestore.collection(RUNS_COLLECTION).doc(runId);
}

// Every run document as it changes (first call: all of them, as added): the feed of the local cloud's
// in-memory list index (live-run-index.ts). A listener on the whole collection: never in the cloud.
export function watchRunChanges(
  firestore: Firestore,
  onChanges: (changes: Array<{ removed: boolean; run: StoredRunRecord }>) => void,
  onError: (error: Error) => void,
): () => void {
  return firestore.collection(RUNS_COLLECTION).onSnapshot(
    (snap) => onChanges(snap.docChanges().map((change) => ({ removed: change.type === 'removed', run: asRun({ ...change.doc.data(), runId: change.doc.id })! }))),
    onError,
  );
}

// Timestamps come back from Firestore as Timestamps; the records say Date.
function asRun(data: DocumentData | undefined): StoredRunRecord | undefined {
  if (!data) return undefined;
  return (data.expiresAt instanceof Timestamp ? { ...data, expiresAt: data.expiresAt.toDate() } : data) as StoredRunRecord;
}
function asFile(data: DocumentData): FileRecord {
  const { rowsCounted: _counted, ...file } = data as StoredFile;
  return (file.expiresAt instanceof Timestamp ? { ...file, expiresAt: file.expiresAt.toDate() } : file) as FileRecord;
}

const codeOf = (error: unknown) => (error as { code?: number }).code;
const isProblem = (outcome: string | undefined) => outcome === 'failed' || outcome === 'quarantined';

export function createFirestoreRunStore(firestore: Firestore, options: FirestoreRunStoreOptions = {}): FirestoreRunStore {
  const redactor = options.redactor ?? processRedactor;
  const retention = options.retention ?? DEFAULT_RETENTION;
  const clock = options.now ?? (() => new Date());
  const now = () => clock().toISOString();
  const runs = firestore.collection(RUNS_COLLECTION);
  const runRef = (runId: string) => runs.doc(runId);
  const filesOf = (runId: string) => runRef(runId).collection(FILES_SUBCOLLECTION);
  const fileRef = (runId: string, fileKey: string) => filesOf(runId).doc(fileKey);
  const clean = (text: string) => redactor.redact(text);
  const fileExpiry = () => expiryAfter(clock(), retention.fileDays);
  // What every write of a run document carries: when, and until when the run is kept.
  const touched = (at: string) => ({ updatedAt: at, expiresAt: expiryAfter(clock(), retention.runDays) });
  // What ends a run at `at` with `status`.
  const ending = (run: StoredRunRecord, at: string, status: RunStatus) => ({ status, finishedAt: at, durationMs: durationOf(run, at) });
  const statusAtEnd = (run: StoredRunRecord) => finalStatus({ ...emptyCounts(), ...run.counts }, run.error, Boolean(run.cancel));

  // Records that the run's last file ended (or that fetch found all of them ended) and returns true once.
  function completeIfDone(tx: Transaction, runId: string, run: StoredRunRecord, endedFiles: number, decider: string): boolean {
    const toEnd = filesToEnd(run);
    if (run.completedAt || toEnd === null) return false;
    if (endedFiles < toEnd) return false;
    const at = now();
    tx.update(runRef(runId), { completedAt: at, completedBy: decider, ...ending(run, at, statusAtEnd(run)), ...touched(at), notifyPending: true });
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
      const run = snap.data() as StoredRunRecord | undefined;
      if (!run || !snap.updateTime) throw new Error(`run ${runId} has no record`);
      if (run.completedAt) return { runComplete: run.completedBy === fileKey };
      const toEnd = filesToEnd(run);
      if (toEnd === null || (run.endedFiles ?? 0) < toEnd) return { runComplete: false };
      const at = now();
      try {
        await runRef(runId).update(
          { completedAt: at, completedBy: fileKey, ...ending(run, at, statusAtEnd(run)), ...touched(at), notifyPending: true },
          { lastUpdateTime: snap.updateTime },
        );
        return { runComplete: true };
      } catch (error) {
        if (codeOf(error) === FAILED_PRECONDITION && attempt < FINISH_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  // The runs list shows why a run went wrong without reading its files: the first failed or
  // quarantined file's stage and error, unless the run already says (a run failure says it better).
  // Guarded by the run's update time like completion, so of files failing at once the first to write
  // is the one shown; called again by a redelivery of a file that ended, so a crash between the file's
  // ending and this write only delays it.
  async function noteFirstProblem(runId: string, stage: string | undefined, message: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snap = await runRef(runId).get();
      const run = snap.data() as StoredRunRecord | undefined;
      if (!run || !snap.updateTime || run.errorSummary !== undefined || run.error) return;
      try {
        await runRef(runId).update({ ...(stage ? { failedStage: stage } : {}), errorSummary: errorSummaryOf(message, redactor), ...touched(now()) }, { lastUpdateTime: snap.updateTime });
        return;
      } catch (error) {
        if (codeOf(error) === FAILED_PRECONDITION && attempt < FINISH_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  // A load's rows, added to the run's total once per file: the file's update (guarded by its update
  // time as read) and the run's increment are one batch, and the file keeps what it added, so a
  // redelivered load adds only the difference (none when it reports the same rows).
  async function countLoadedRows(runId: string, fileKey: string, rows: number, fileUpdate: Record<string, unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snap = await fileRef(runId, fileKey).get();
      if (!snap.exists || !snap.updateTime) {
        await fileRef(runId, fileKey).update(fileUpdate); // NOT_FOUND, as for any stage's success on no file
        return;
      }
      const delta = rows - ((snap.data() as StoredFile).rowsCounted ?? 0);
      const batch = firestore.batch();
      batch.update(fileRef(runId, fileKey), { ...fileUpdate, rowsCounted: rows }, { lastUpdateTime: snap.updateTime });
      if (delta !== 0) batch.update(runRef(runId), { rows: FieldValue.increment(delta), ...touched(now()) });
      try {
        await batch.commit();
        return;
      } catch (error) {
        if (codeOf(error) === FAILED_PRECONDITION && attempt < FINISH_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  // A run that exists already when its trigger arrives: a redelivered trigger (nothing to change), or
  // a run an operator queued, which its trigger now starts: running, with the trigger's message and
  // dates, keeping who queued it, when (its startedAt) and what it reruns.
  async function takeOver(runId: string, start: RunStart, at: string): Promise<number | null> {
    return firestore.runTransaction(async (tx) => {
      const run = (await tx.get(runRef(runId))).data() as StoredRunRecord | undefined;
      if (!run) throw new Error(`run ${runId} has no record`);
      if (run.status === 'queued') {
        const logicalDate = start.logicalDate ?? run.logicalDate ?? logicalDateOf(start);
        const actor = run.actor ?? actorOf(start.trigger, start.actor);
        tx.update(runRef(runId), {
          status: 'running', trigger: start.trigger, messageId: start.messageId, dates: start.dates,
          ...(logicalDate ? { logicalDate } : {}), ...(actor ? { actor } : {}), ...touched(at),
        });
      }
      return run.expectedFiles ?? null;
    });
  }

  const store: FirestoreRunStore = {
    // ---- the stages' part (RunRecorder) ----
    async startRun(runId, start) {
      const at = now();
      const logicalDate = logicalDateOf(start);
      const actor = actorOf(start.trigger, start.actor);
      const record: StoredRunRecord = {
        runId,
        pipeline: start.pipeline,
        trigger: start.trigger,
        messageId: start.messageId,
        dates: start.dates,
        status: 'running',
        createdAt: at,
        updatedAt: at,
        startedAt: at,
        ...(logicalDate ? { logicalDate } : {}),
        ...(actor ? { actor } : {}),
        rows: 0,
        expectedFiles: null,
        endedFiles: 0,
        counts: emptyCounts(),
        stages: {},
        expiresAt: touched(at).expiresAt,
      };
      let expectedFiles: number | null = null;
      try {
        await runRef(runId).create(record);
      } catch (error) {
        if (codeOf(error) !== ALREADY_EXISTS) throw error;
        expectedFiles = await takeOver(runId, start, at);
      }
      await runRef(runId).set({ stages: { fetch: { attempts: FieldValue.increment(1), startedAt: at } }, ...touched(at) }, { merge: true });
      return { expectedFiles };
    },

    async setExpectedFiles(runId, count) {
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(runRef(runId));
        const run = snap.data() as StoredRunRecord | undefined;
        if (!run) throw new Error(`run ${runId} has no record`);
        if (run.completedAt) return { runComplete: run.completedBy === FETCH_DECIDER };
        const at = now();
        if (run.expectedFiles === null || run.expectedFiles === undefined) {
          tx.update(runRef(runId), { expectedFiles: count, 'stages.fetch.endedAt': at, ...touched(at) });
        }
        const expected = run.expectedFiles ?? count;
        return { runComplete: completeIfDone(tx, runId, { ...run, expectedFiles: expected }, run.endedFiles, FETCH_DECIDER) };
      });
    },

    async recordWarnings(runId, warnings) {
      await runRef(runId).update({ warnings: warnings.map(clean), ...touched(now()) });
    },

    async recordSkipped(runId, fileKey, file) {
      await firestore.runTransaction(async (tx) => {
        const snap = await tx.get(fileRef(runId, fileKey));
        if (snap.exists) return;
        const at = now();
        const record: FileRecord = { fileKey, name: file.name, status: 'skipped', skippedReason: clean(file.reason), stages: {}, endedAt: at, expiresAt: fileExpiry() };
        tx.create(fileRef(runId, fileKey), { ...record, ...(file.size !== undefined ? { size: file.size } : {}) });
        tx.update(runRef(runId), { 'counts.skipped': FieldValue.increment(1), ...touched(at) });
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
          expiresAt: fileExpiry(),
        },
        { merge: true },
      );
    },

    async stageSucceeded(runId, fileKey, stage, report?: FileStageReport) {
      const update: Record<string, unknown> = { [`stages.${stage}.endedAt`]: now(), [`stages.${stage}.error`]: FieldValue.delete(), expiresAt: fileExpiry() };
      if (report?.rows !== undefined) {
        update[`stages.${stage}.rows`] = report.rows;
        update.rows = report.rows;
      }
      if (report?.details) update[`stages.${stage}.details`] = report.details;
      for (const key of ['rule', 'table'] as const) {
        const value = report?.details?.[key];
        if (typeof value === 'string') update[key] = value;
      }
      // The run's `rows` are what its files loaded: only load's report counts.
      if (stage === 'load' && report?.rows !== undefined) await countLoadedRows(runId, fileKey, report.rows, update);
      else await fileRef(runId, fileKey).update(update);
    },

    async stageFailed(runId, fileKey, stage: StageName, error: string) {
      await fileRef(runId, fileKey).set({ stages: { [stage]: { error: clean(error) } }, expiresAt: fileExpiry() }, { merge: true });
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
        if (file?.status && file.status !== 'pending') {
          if (isProblem(file.status) && file.error) await noteFirstProblem(runId, file.error.stage, file.error.message);
          return completeIfAllEnded(runId, fileKey);
        }
        const at = now();
        const error = details?.error !== undefined ? clean(details.error) : undefined;
        const fileUpdate: Record<string, unknown> = { fileKey, status: outcome, endedAt: at, expiresAt: fileExpiry() };
        if (error !== undefined) {
          fileUpdate.error = { message: error, ...(details?.stage ? { stage: details.stage } : {}), ...(details?.row !== undefined ? { row: details.row } : {}) };
        }
        if (details?.quarantinedAs) fileUpdate.quarantinedAs = details.quarantinedAs;
        const batch = firestore.batch();
        if (fileSnap.exists && fileSnap.updateTime) batch.update(fileRef(runId, fileKey), fileUpdate, { lastUpdateTime: fileSnap.updateTime });
        else batch.create(fileRef(runId, fileKey), fileUpdate);
        batch.update(runRef(runId), { endedFiles: FieldValue.increment(1), [`counts.${outcome}`]: FieldValue.increment(1), ...touched(at) });
        try {
          await batch.commit();
        } catch (commitError) {
          const code = codeOf(commitError);
          if (code === NOT_FOUND) throw new Error(`run ${runId} has no record`, { cause: commitError });
          // The file record changed between the read and the commit (another delivery ended it, or wrote
          // a stage): read again. Bounded so a record that keeps changing fails as a retryable error.
          if ((code === FAILED_PRECONDITION || code === ALREADY_EXISTS) && attempt < FINISH_ATTEMPTS) continue;
          throw commitError;
        }
        if (isProblem(outcome)) await noteFirstProblem(runId, details?.stage, error ?? outcome);
        return completeIfAllEnded(runId, fileKey);
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
        tx.set(fileRef(runId, fileKey), { fileKey, status: 'expanded', endedAt: at, members: members.map((m) => m.name), expiresAt: fileExpiry() }, { merge: true });
        tx.update(runRef(runId), {
          addedFiles: FieldValue.increment(members.length),
          endedFiles: FieldValue.increment(1),
          'counts.expanded': FieldValue.increment(1),
          ...touched(at),
        });
      });
    },

    // ---- reads ----
    async getRun(runId) {
      return asRun((await runRef(runId).get()).data());
    },

    async getFiles(runId) {
      const snap = await filesOf(runId).get();
      return snap.docs.map((doc) => asFile({ fileKey: doc.id, ...doc.data() }));
    },

    async getFile(runId, fileKey) {
      const data = (await fileRef(runId, fileKey).get()).data();
      return data ? asFile(data) : undefined;
    },

    // One page more than asked is read, so the last page says it is the last (no cursor) instead of
    // leading to an empty one.
    async listRuns(q) {
      const limit = pageLimit(q.limit);
      let query = filteredRuns(runs, q);
      if (q.cursor) {
        const after = decodeCursor(q.cursor);
        query = query.startAfter(after.startedAt, after.runId);
      }
      const snap = await query.limit(limit + 1).get();
      const page = snap.docs.slice(0, limit).map((doc) => asRun(doc.data())!);
      const last = page.at(-1);
      return snap.docs.length > limit && last?.startedAt ? { runs: page, nextCursor: encodeCursor({ startedAt: last.startedAt, runId: last.runId }) } : { runs: page };
    },

    // An aggregation over the same query shape (and indexes) as the list: counted by Firestore
    // without reading the runs.
    async countRuns(q) {
      const snap = await filteredRuns(runs, q).count().get();
      return snap.data().count;
    },

    async findRunByMessageId(pipeline, messageIds) {
      for (let i = 0; i < messageIds.length; i += IN_LIMIT) {
        const snap = await runs.where('pipeline', '==', pipeline).where('messageId', 'in', messageIds.slice(i, i + IN_LIMIT)).limit(1).get();
        if (!snap.empty) return snap.docs[0]!.id;
      }
      return undefined;
    },

    // ---- ending runs ----
    // A failure of the run as a whole. Returns whether this call was the first to record it, so the
    // caller publishes run-failed once (and again only when redelivered as that same first caller).
    async failRun(runId, stage, reason) {
      const error = clean(reason);
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(runRef(runId));
        const run = snap.data() as StoredRunRecord | undefined;
        if (!run) throw new Error(`run ${runId} has no record`);
        if (run.error) return { firstFailure: run.completedBy === RUN_FAILED_DECIDER && run.error.stage === stage && run.error.message === error };
        const at = now();
        tx.update(runRef(runId), {
          error: { stage, message: error },
          status: 'failed',
          failedStage: stage,
          errorSummary: errorSummaryOf(error, redactor),
          ...touched(at),
          ...(run.completedAt ? {} : { completedAt: at, completedBy: RUN_FAILED_DECIDER, ...ending(run, at, 'failed') }),
          notifyPending: true,
        });
        return { firstFailure: true };
      });
    },

    // Gives a completed run its final status and end time unless it has them already; returns the record
    // as it now stands. In a transaction, so two deliveries agree on one status.
    async settleRun(runId) {
      return firestore.runTransaction(async (tx) => {
        const run = asRun((await tx.get(runRef(runId))).data());
        if (!run) throw new PermanentError(`run ${runId} has no record`);
        if (isTerminal(run.status) && run.finishedAt) return run;
        const at = now();
        const status = isTerminal(run.status) ? run.status : statusAtEnd(run);
        const update = { ...(run.finishedAt ? { status } : ending(run, at, status)), ...touched(at) };
        tx.update(runRef(runId), update);
        return { ...run, ...update };
      });
    },

    // A run failed as a whole: failed, with the first error recorded, whatever its files say.
    async settleFailedRun(runId, failure) {
      return firestore.runTransaction(async (tx) => {
        const run = asRun((await tx.get(runRef(runId))).data());
        const at = now();
        if (!run) {
          // Fetch may fail before it recorded the run; record enough to hang the alert mark on.
          const message = clean(failure.error);
          const created: StoredRunRecord = {
            runId, pipeline: failure.pipeline, trigger: 'unknown', messageId: '', dates: [], status: 'failed', createdAt: at, updatedAt: at, startedAt: at, finishedAt: at, durationMs: 0,
            failedStage: failure.stage, errorSummary: errorSummaryOf(message, redactor),
            expectedFiles: null, endedFiles: 0, counts: emptyCounts(), stages: {},
            error: { stage: failure.stage, message },
            expiresAt: touched(at).expiresAt,
          };
          tx.create(runRef(runId), created);
          return created;
        }
        if (run.status === 'failed' && run.finishedAt && run.error) return run;
        const error = run.error ?? { stage: failure.stage, message: clean(failure.error) };
        const update = {
          ...(run.finishedAt ? { status: 'failed' as const } : ending(run, at, 'failed')),
          error, failedStage: error.stage, errorSummary: errorSummaryOf(error.message, redactor), ...touched(at),
        };
        tx.update(runRef(runId), update);
        return { ...run, ...update };
      });
    },

    async markReportsSent(runId) {
      const at = now();
      await runRef(runId).update({ 'notifications.reportSentAt': at, ...touched(at) });
    },

    // Notify has sent everything the run's end owed; watchers wait for this mark.
    async markNotifyDone(runId) {
      const at = now();
      await runRef(runId).update({ 'notifications.doneAt': at, notifyPending: false, ...touched(at) });
    },

    async nameFile(runId, fileKey, name) {
      await fileRef(runId, fileKey).set({ fileKey, name, expiresAt: fileExpiry() }, { merge: true });
    },

    // Equality filters only: Firestore answers them by merging its single-field indexes.
    async runningRuns(pipeline, limit) {
      const snap = await runs.where('pipeline', '==', pipeline).where('status', 'in', IN_FLIGHT).limit(limit).get();
      return snap.docs.map((doc) => asRun(doc.data())!);
    },

    async notifyPendingRuns(pipeline, limit) {
      const snap = await runs.where('pipeline', '==', pipeline).where('notifyPending', '==', true).limit(limit).get();
      return snap.docs.map((doc) => asRun(doc.data())!);
    },

    // ---- operator controls ----
    async queueRun(runId, queued) {
      const at = now();
      const detail = { ...(queued.logicalDate ? { logicalDate: queued.logicalDate } : {}), ...(queued.dryRun ? { dryRun: true } : {}) };
      const action: RunAction = { action: queued.rerun || queued.parentRunId ? 'rerun' : 'trigger', actor: queued.actor, at, ...(Object.keys(detail).length > 0 ? { detail } : {}) };
      const record: StoredRunRecord = {
        runId, pipeline: queued.pipeline, trigger: queued.trigger, messageId: '', dates: queued.logicalDate ? [queued.logicalDate] : [],
        status: 'queued', createdAt: at, updatedAt: at, startedAt: at, actor: queued.actor,
        ...(queued.logicalDate ? { logicalDate: queued.logicalDate } : {}),
        ...(queued.parentRunId ? { parentRunId: queued.parentRunId } : {}),
        ...(queued.rerun ? { rerun: queued.rerun } : {}),
        rows: 0, expectedFiles: null, endedFiles: 0, counts: emptyCounts(), stages: {}, actions: [action],
        expiresAt: touched(at).expiresAt,
      };
      try {
        await runRef(runId).create(record);
        return true;
      } catch (error) {
        if (codeOf(error) === ALREADY_EXISTS) return false;
        throw error;
      }
    },

    // A paused run is over as soon as it is recorded: nothing runs, and notify owes nothing for it
    // (notifications.doneAt set), so watchers waiting for it end too. A redelivered trigger finds it.
    async recordPausedRun(runId, paused) {
      const at = now();
      const actor = actorOf(paused.trigger, paused.actor) ?? paused.actor;
      const record: StoredRunRecord = {
        runId, pipeline: paused.pipeline, trigger: paused.trigger, messageId: paused.messageId, dates: paused.logicalDate ? [paused.logicalDate] : [],
        status: 'paused', skippedReason: clean(paused.reason), createdAt: at, updatedAt: at, startedAt: at, finishedAt: at, durationMs: 0, actor,
        ...(paused.logicalDate ? { logicalDate: paused.logicalDate } : {}),
        rows: 0, expectedFiles: 0, endedFiles: 0, counts: emptyCounts(), stages: {},
        completedAt: at, completedBy: PAUSED_DECIDER, notifyPending: false, notifications: { doneAt: at },
        expiresAt: touched(at).expiresAt,
      };
      try {
        await runRef(runId).create(record);
      } catch (error) {
        if (codeOf(error) !== ALREADY_EXISTS) throw error;
      }
    },

    // Cooperative: a run with work in flight is marked 'cancelling' (the stages see it through
    // isCancelled and end their files 'cancelled'; the last file's ending gives the run its final
    // status, 'cancelled' unless it failed). A run with nothing started (queued, or fetch not begun)
    // ends 'cancelled' here, with notifyPending set: the caller announces its end to notify (the
    // watchdog does if it does not).
    async requestCancel(runId, actor) {
      return firestore.runTransaction(async (tx) => {
        const run = asRun((await tx.get(runRef(runId))).data());
        if (!run) return undefined;
        if (isTerminal(run.status) || run.status === 'cancelling') return run;
        const at = now();
        const cancel = { requestedBy: actor, requestedAt: at };
        const action: RunAction = { action: 'cancel', actor, at };
        const nothingStarted = run.status === 'queued' || !run.stages?.fetch?.startedAt;
        const update = nothingStarted
          ? { cancel, completedAt: at, completedBy: CANCEL_DECIDER, notifyPending: true, ...ending(run, at, 'cancelled'), ...touched(at) }
          : { cancel, status: 'cancelling' as const, ...touched(at) };
        tx.update(runRef(runId), { ...update, actions: FieldValue.arrayUnion(action) });
        return { ...run, ...update, actions: [...(run.actions ?? []), action] };
      });
    },

    async isCancelled(runId) {
      const run = (await runRef(runId).get()).data() as StoredRunRecord | undefined;
      return Boolean(run && (run.cancel || run.status === 'cancelling' || run.status === 'cancelled'));
    },

    // Ends the run outright as fetch's decision (expectedFiles 0, completedBy fetch), so fetch's usual
    // next step, setExpectedFiles(runId, 0), is told runComplete and announces it to notify like any
    // run that found nothing new — and a redelivered trigger re-announces it the same way.
    async recordDryRun(runId, items) {
      await firestore.runTransaction(async (tx) => {
        const run = asRun((await tx.get(runRef(runId))).data());
        if (!run) throw new Error(`run ${runId} has no record`);
        if (run.completedAt) return;
        const at = now();
        tx.update(runRef(runId), {
          dryRun: { items, listedAt: at },
          ...(run.expectedFiles === null || run.expectedFiles === undefined ? { expectedFiles: 0 } : {}),
          'stages.fetch.endedAt': at,
          completedAt: at, completedBy: FETCH_DECIDER, notifyPending: true,
          ...ending(run, at, statusAtEnd(run)), ...touched(at),
        });
      });
    },

    async appendAction(runId, action) {
      await runRef(runId).update({ actions: FieldValue.arrayUnion(action), ...touched(now()) });
    },

    // ---- live views ----
    watchRun(runId, onChange, onError) {
      return runRef(runId).onSnapshot((snap) => onChange(asRun(snap.data())), (error) => onError?.(error));
    },

    watchRuns(q, onChange, onError) {
      return filteredRuns(runs, q).limit(pageLimit(q.limit)).onSnapshot(
        (snap) => onChange(snap.docs.map((doc) => asRun(doc.data())!)),
        (error) => onError?.(error),
      );
    },

    watchFiles(runId, onChange, onError) {
      return filesOf(runId).onSnapshot(
        (snap) => onChange(snap.docs.map((doc) => asFile({ fileKey: doc.id, ...doc.data() }))),
        (error) => onError?.(error),
      );
    },

    // A collection-group listener: every `files` collection, of which only the runs' are ours.
    watchAllFiles(onChange, onError) {
      return firestore.collectionGroup(FILES_SUBCOLLECTION).onSnapshot(
        (snap) => onChange(snap.docs.flatMap((doc) => {
          const run = doc.ref.parent.parent;
          return run && run.parent.id === RUNS_COLLECTION ? [{ ...asFile({ fileKey: doc.id, ...doc.data() }), runId: run.id }] : [];
        })),
        (error) => onError?.(error),
      );
    },
  };
  return store;
}
