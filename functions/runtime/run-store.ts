// The one owner of run state. Every read, write and change of a run document (`sluice_runs/<runId>`)
// and of its file records (`.../files/<fileKey>`) goes through a RunStore: the stages (through the
// RunRecorder part), notify's settling, the watchdog's queries, the ops API's lists and controls, and
// the local cloud's watchers. No other module names RUNS_COLLECTION or builds a run path.
// The Firestore implementation is firestore-run-store.ts; it keeps the list fields (run-record.ts)
// current on every write, so a list never reads file records.
import type { Actor, FileRecord, RerunSpec, RunAction, RunRecord, RunStatus } from './run-record';
import type { RunRecorder } from './context';

// A page of runs, newest first (by startedAt, then runId). `cursor` is opaque to callers: pass
// `nextCursor` back to get the next page; absent when there is none.
export interface RunQuery {
  pipeline?: string;
  status?: RunStatus[];
  trigger?: string;
  // Runs started at or after this instant (ISO).
  since?: string;
  // Runs started before this instant (ISO).
  until?: string;
  parentRunId?: string;
  limit?: number;
  cursor?: string;
}

export interface RunPage {
  runs: RunRecord[];
  nextCursor?: string;
}

// A run an operator asked for, recorded before its trigger is published so it shows at once
// (status 'queued'); fetch takes it over when the trigger arrives (startRun finds it).
export interface QueuedRun {
  pipeline: string;
  trigger: 'manual' | 'retry';
  actor: Actor;
  logicalDate?: string;
  parentRunId?: string;
  rerun?: RerunSpec;
  dryRun?: boolean;
}

export type Unsubscribe = () => void;

export interface RunStore extends RunRecorder {
  getRun(runId: string): Promise<RunRecord | undefined>;
  getFiles(runId: string): Promise<FileRecord[]>;
  getFile(runId: string, fileKey: string): Promise<FileRecord | undefined>;
  listRuns(query: RunQuery): Promise<RunPage>;
  // How many runs a query matches (a bulk action's dry-run count), without reading them all (an
  // aggregation query).
  countRuns(query: Omit<RunQuery, 'limit' | 'cursor'>): Promise<number>;
  // The run a trigger message started, by the message id it recorded (dead letters of triggers).
  findRunByMessageId(pipeline: string, messageIds: string[]): Promise<string | undefined>;

  // ---- ending runs (notify, the watchdog, fetch) ----
  // Marks the whole run failed; true for the first caller (see run-recorder.ts's failRun).
  failRun(runId: string, stage: string, error: string): Promise<{ firstFailure: boolean }>;
  // Gives a completed run its final status and end time unless it has them; returns it as it stands.
  settleRun(runId: string): Promise<RunRecord>;
  // A run failed as a whole: failed with the first error recorded (creating a record when fetch died
  // before it wrote one).
  settleFailedRun(runId: string, failure: { pipeline: string; stage: string; error: string }): Promise<RunRecord>;
  // Every report the run was owed has gone out (notifications.reportSentAt; watchers wait for it).
  markReportsSent(runId: string): Promise<void>;
  // Notify has sent everything the run's end owed.
  markNotifyDone(runId: string): Promise<void>;
  // Names a file on its record when no stage did (a dead letter for a file that died early).
  nameFile(runId: string, fileKey: string, name: string): Promise<void>;
  // Running runs of a pipeline (the watchdog), and ended runs whose notification never finished.
  runningRuns(pipeline: string, limit: number): Promise<RunRecord[]>;
  notifyPendingRuns(pipeline: string, limit: number): Promise<RunRecord[]>;

  // ---- operator controls (each also appends a RunAction to the run it acts on) ----
  // Creates the run as 'queued'; refuses (false) when a run of that id exists.
  queueRun(runId: string, run: QueuedRun): Promise<boolean>;
  // A trigger that arrived while the pipeline was paused: recorded with status 'paused' and the reason.
  recordPausedRun(runId: string, run: { pipeline: string; trigger: string; messageId: string; actor: Actor; logicalDate?: string; reason: string }): Promise<void>;
  // Asks a run to cancel: 'cancelling' while it has files in flight, 'cancelled' at once when it has
  // none (queued, or fetch not started). A run already ended is left as it is (returned unchanged).
  requestCancel(runId: string, actor: Actor): Promise<RunRecord | undefined>;
  // Whether a stage should do nothing more for this run (cancel asked for, or the run cancelled).
  isCancelled(runId: string): Promise<boolean>;
  // What fetch would have fetched, for a dry-run trigger; ends the run ('no-new-data' with dryRun set).
  recordDryRun(runId: string, items: Array<{ name: string; size?: number; key: string }>): Promise<void>;
  appendAction(runId: string, action: RunAction): Promise<void>;

  // ---- live views (the dashboard's server-sent events, the local cloud's watchers) ----
  watchRun(runId: string, onChange: (run: RunRecord | undefined) => void, onError?: (error: Error) => void): Unsubscribe;
  // The first page of a query, again whenever any run in it changes.
  watchRuns(query: Omit<RunQuery, 'cursor'>, onChange: (runs: RunRecord[]) => void, onError?: (error: Error) => void): Unsubscribe;
  watchFiles(runId: string, onChange: (files: FileRecord[]) => void, onError?: (error: Error) => void): Unsubscribe;
  // Every file record of every run, again whenever any changes: the local cloud's fault injection,
  // which strikes the moment some file reaches a stage (a database of its own, so few runs).
  watchAllFiles(onChange: (files: Array<FileRecord & { runId: string }>) => void, onError?: (error: Error) => void): Unsubscribe;
}

// Retention of run state (the ops definition's `retention`), written as `expiresAt` on each document.
export interface RunRetention {
  runDays: number;
  fileDays: number;
}
