// What the operations surface can do, independent of HTTP: the ops API (functions/ops/http/) maps
// each route onto one method, and checks the caller's role before any mutation. The CLI and the
// dashboard reach it only through the API. Assembled by create-ops-service.ts from its parts:
// run views (views/), controls (controls/), dead letters and bulk actions (dead-letters/, bulk/),
// health (health/) and logs (logs/).
import type {
  BulkAction, BulkRequest, Caller, DeadLetterActionResult, DeadLetterQuery, DeadLetterSelection, DeadLetterView, FileView, HealthReport,
  LogPage, PipelineSummary, QueuedRunView, RerunRequest, RunDetail, RunList, RunListQuery, RunSummary, TriggerRequest,
} from './api-schemas';

// A control that cannot be done as asked: the API answers with its code (api-schemas.ts errorCodes).
export class OpsError extends Error {
  override name = 'OpsError';
  constructor(readonly code: 'not-found' | 'invalid-request' | 'conflict' | 'unavailable' | 'forbidden', message: string) {
    super(message);
  }
}

export interface RunViews {
  listPipelines(): Promise<PipelineSummary[]>;
  getPipeline(name: string): Promise<PipelineSummary | undefined>;
  listRuns(query: RunListQuery): Promise<RunList>;
  getRun(runId: string): Promise<RunDetail | undefined>;
  getRunFiles(runId: string): Promise<FileView[] | undefined>;
  // Live views for the API's server-sent events: the run's detail again whenever the run or one of
  // its files changes (undefined: no such run), the first page of a runs query whenever a run in it
  // changes. Optional so that a stand-in service may leave them out (the API then answers 503).
  watchRun?(runId: string, onChange: (detail: RunDetail | undefined) => void, onError: (error: Error) => void): () => void;
  watchRuns?(query: Omit<RunListQuery, 'cursor'>, onChange: (list: RunList) => void, onError: (error: Error) => void): () => void;
}

export interface RunControls {
  // Queues a run (status 'queued', actor recorded) and publishes its trigger; dryRun: fetch lists
  // what it would fetch and records it on the run, claiming nothing.
  trigger(request: TriggerRequest, caller: Caller): Promise<QueuedRunView>;
  // A new run with parentRunId; the parent is unchanged but for the action appended to it.
  rerun(runId: string, request: RerunRequest, caller: Caller): Promise<QueuedRunView>;
  cancel(runId: string, caller: Caller): Promise<RunSummary>;
  pause(pipeline: string, caller: Caller): Promise<PipelineSummary>;
  resume(pipeline: string, caller: Caller): Promise<PipelineSummary>;
}

export interface DeadLetterOps {
  list(query: DeadLetterQuery): Promise<{ deadLetters: DeadLetterView[]; nextCursor?: string }>;
  get(id: string): Promise<DeadLetterView | undefined>;
  // Publishes each selected message again to the topic of the stage that gave it up. Idempotent by
  // construction: the stages' ledgers decide whether anything happens.
  // A letter whose run has ended is replayed as a rerun of that run (dead-letters/replay-plan.ts);
  // `skipped` says why a selected letter was not replayed.
  replay(selection: DeadLetterSelection, caller: Caller): Promise<DeadLetterActionResult>;
  purge(selection: DeadLetterSelection, caller: Caller): Promise<DeadLetterActionResult>;
}

export interface BulkActions {
  // dryRun: only the count (status 'counted'). Otherwise the action is recorded first and worked
  // through with its progress on the record, readable with get() while it runs.
  start(request: BulkRequest, caller: Caller): Promise<BulkAction>;
  get(id: string): Promise<BulkAction | undefined>;
}

export interface HealthChecks {
  // No dependencies touched: the process answers.
  live(): { status: 'ok' };
  detailed(): Promise<HealthReport>;
}

export interface RunLogs {
  logsOf(runId: string, options: { limit?: number; pageToken?: string }): Promise<LogPage>;
}

export interface OpsService {
  views: RunViews;
  controls: RunControls;
  deadLetters: DeadLetterOps;
  bulk: BulkActions;
  health: HealthChecks;
  logs: RunLogs;
}
