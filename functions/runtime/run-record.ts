// The shape of a run's record in Firestore. One document per run in `sluice_runs`, one per file in its
// `files` subcollection. Written by every stage, read by notify, the ops API and the local cloud.
import type { ObjectRef } from '../../shared/messages';
import type { StageName } from '../../shared/stage-declaration';
import type { FileOutcome } from './context';

export const RUNS_COLLECTION = 'sluice_runs';
export const FILES_SUBCOLLECTION = 'files';
export const FETCH_LEDGER_COLLECTION = 'sluice_fetch_ledger';
export const AGGREGATES_COLLECTION = 'sluice_aggregates';

// `no-new-data`: the run ended with nothing loaded, quarantined or failed — every file it saw was already
// fetched by an earlier run (or there was none). Not a success over missing rows: reports declared
// `when: 'new-data'` (the default) are not mailed for it.
// `queued`: created by an operator's trigger or rerun (the ops API) before fetch picked it up.
// `paused`: a trigger that arrived while its pipeline was paused: recorded, never run (terminal).
// `cancelling`: an operator asked to cancel; the stage in progress finishes its file, the rest do
// nothing for the run, which ends `cancelled` once every file has ended.
export type RunStatus = 'queued' | 'running' | 'cancelling' | 'succeeded' | 'partial' | 'failed' | 'no-new-data' | 'paused' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'cancelling', 'succeeded', 'partial', 'failed', 'no-new-data', 'paused', 'cancelled'];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'partial', 'failed', 'no-new-data', 'paused', 'cancelled'];
export const isTerminal = (status: RunStatus): boolean => TERMINAL_STATUSES.includes(status);

// Who did something to a run or pipeline: 'scheduler', 'push' (a source's own notification), 'watchdog',
// or the operator's principal (`user:ana@example.com`, `serviceAccount:ci@p.iam.gserviceaccount.com`,
// `dev` for the local cloud's dev token).
export type Actor = string;

// An operator's control, kept on the run it acted on (who, when, what).
export interface RunAction {
  action: 'trigger' | 'rerun' | 'cancel' | 'replay' | 'bulk-rerun' | 'bulk-cancel';
  actor: Actor;
  at: string;
  // e.g. the rerun's new run id, the bulk action's id.
  detail?: Record<string, string | number | boolean>;
}

// How a rerun reuses its parent: every file or only the failed/quarantined ones, from which stage.
// 'fetch': fetched again from the source (the parent's fetch-ledger claims of those files are
// released by the rerun, on purpose and recorded); 'transform': the parent's raw files are reused;
// 'load': the parent's staged files are reused.
export interface RerunSpec {
  of: string;
  files: 'all' | 'failed';
  fromStage: 'fetch' | 'transform' | 'load';
}

export interface StageTiming {
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  rows?: number;
  error?: string;
  details?: Record<string, unknown>;
}

export interface RunRecord {
  runId: string;
  pipeline: string;
  trigger: string;
  messageId: string;
  dates: string[];
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  // ---- list fields: what the runs list filters, sorts and shows without reading files (indexed:
  // infra declares the composite indexes over pipeline/status/startedAt). Kept current by RunStore.
  // The export date the run is for (YYYY-MM-DD): the trigger's date, else the newest of `dates`.
  logicalDate?: string;
  // When the run started (queued runs: when they were queued); the runs list's sort key.
  startedAt?: string;
  // finishedAt − startedAt, set when the run ends.
  durationMs?: number;
  // The stage the run (or its first failed file) failed in, and a one-line error (≤ 200 chars, redacted).
  failedStage?: string;
  errorSummary?: string;
  // Who started it (see Actor).
  actor?: Actor;
  // Rows loaded by its files so far.
  rows?: number;
  // A rerun: the run it reruns and how; the parent is never changed by it (except its `actions`).
  parentRunId?: string;
  rerun?: RerunSpec;
  // A cancel asked for (status 'cancelling' until the run ends, then 'cancelled').
  cancel?: { requestedBy: Actor; requestedAt: string };
  // A trigger recorded while the pipeline was paused (status 'paused').
  skippedReason?: string;
  // A dry-run trigger: what fetch would have fetched; nothing was claimed or copied.
  dryRun?: { items: Array<{ name: string; size?: number; key: string }>; listedAt: string };
  // Every operator control on this run, oldest first.
  actions?: RunAction[];
  // Firestore TTL (infra declares the policy on this field): retention from the ops definition.
  expiresAt?: Date;
  // Set by fetch once it knows; null until then.
  expectedFiles: number | null;
  // Files added to the run after fetch counted its own: the members of expanded archives. A run is
  // complete when endedFiles reaches expectedFiles + addedFiles.
  addedFiles?: number;
  endedFiles: number;
  counts: Record<FileOutcome, number>;
  // Set once, in the transaction that ends the run's last file.
  completedAt?: string;
  // True from the run's end until notify has sent everything it owed (notifications.doneAt): the
  // watchdog re-drives notify for a run left so (a notify instance that died holding a mail's claim).
  notifyPending?: boolean;
  // Run-level stages (fetch, notify); per-file stages live on the file records.
  stages: Partial<Record<StageName, StageTiming>>;
  error?: { stage: string; message: string };
  // What the source did not deliver (an expected export date with no files): shown in the report.
  warnings?: string[];
  // When each mail went out (reportSentAt: every declared report that applied; reports: each by key),
  // and doneAt: when notify had sent everything the run's end owed.
  // deliveries: every other delivery by key (a Drive upload: `drive-<n>-<fileKey>`), when it happened
  // and the destination's receipt, or `failed` with the reason (functions/notify/deliver-once.ts).
  notifications?: {
    reportSentAt?: string; alertSentAt?: string; failureAlertSentAt?: string; reports?: Record<string, string>; doneAt?: string;
    deliveries?: Record<string, { at: string; failed?: string } & Record<string, string | number | boolean | undefined>>;
  };
}

export interface FileRecord {
  fileKey: string;
  name: string;
  path?: string;
  raw?: ObjectRef;
  status: 'pending' | FileOutcome;
  rule?: string;
  table?: string;
  rows?: number;
  stages: Partial<Record<StageName, StageTiming>>;
  error?: { stage?: string; message: string; row?: number };
  quarantinedAs?: string;
  skippedReason?: string;
  // Tokens of the staged objects transform attempts wrote (or began to) for this file; see cleanup-run.ts.
  stagedTokens?: string[];
  // An expanded archive: its members' file paths in the run (each a file record of its own).
  members?: string[];
  endedAt?: string;
  // Firestore TTL on file detail (shorter than the run's: the run keeps its counts).
  expiresAt?: Date;
}

// A run's counts before any file ended: one entry per outcome.
export const emptyCounts = (): Record<FileOutcome, number> => ({ loaded: 0, skipped: 0, superseded: 0, quarantined: 0, failed: 0, expanded: 0, cancelled: 0 });

// How many files must end before the run does: fetch's count plus the members archives added; null
// while fetch has not counted.
export function filesToEnd(run: Pick<RunRecord, 'expectedFiles' | 'addedFiles'>): number | null {
  if (run.expectedFiles === null || run.expectedFiles === undefined) return null;
  return run.expectedFiles + (run.addedFiles ?? 0);
}

// A run's final status from its file counts: any failure fails it, any quarantine makes it partial, a
// run that loaded nothing says so.
// A run whose cancel was asked for ends cancelled unless it failed first.
export function finalStatus(counts: Record<FileOutcome, number>, runError?: unknown, cancelRequested = false): RunStatus {
  if (runError || counts.failed > 0) return 'failed';
  if (cancelRequested) return 'cancelled';
  if (counts.quarantined > 0) return 'partial';
  if (counts.loaded === 0) return 'no-new-data';
  return 'succeeded';
}
