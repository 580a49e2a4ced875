// The ops API's wire contract: every request body and response of the HTTP API (functions/ops/http/),
// as zod schemas. The API validates requests with them and builds its OpenAPI document from them
// (z.toJSONSchema); the `sluice` CLI (cli/) and the dashboard (functions/ops/dashboard/) read these
// shapes. Plain data: zod only, so the CLI can import it without the runtime.
import { z } from 'zod';

const runId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'run ids are letters, digits, _ and -');
const pipelineName = z.string().regex(/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/, 'not a pipeline name');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const instant = z.string().datetime({ offset: true });

export const runStatusSchema = z.enum(['queued', 'running', 'cancelling', 'succeeded', 'partial', 'failed', 'no-new-data', 'paused', 'cancelled']);
export const stageNameSchema = z.enum(['fetch', 'transform', 'load', 'aggregate', 'notify']);
export const rerunStageSchema = z.enum(['fetch', 'transform', 'load']);

// ---- errors: every non-2xx answer is this body; `code` is stable, `message` is for people ----
export const errorCodes = ['unauthenticated', 'forbidden', 'not-found', 'invalid-request', 'conflict', 'unavailable', 'internal'] as const;
export type ErrorCode = (typeof errorCodes)[number];
export const errorStatus: Record<ErrorCode, number> = {
  unauthenticated: 401, forbidden: 403, 'not-found': 404, 'invalid-request': 400, conflict: 409, unavailable: 503, internal: 500,
};
export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    // invalid-request: each problem with the field it is about.
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---- queries ----
// GET /runs?pipeline&status&since&until&trigger&parent&limit&cursor (status: comma-separated).
export const runListQuerySchema = z.object({
  pipeline: pipelineName.optional(),
  status: z.string().optional().transform((s, ctx) => {
    if (s === undefined || s === '') return undefined;
    const parts = s.split(',');
    for (const p of parts) if (!runStatusSchema.safeParse(p).success) ctx.addIssue({ code: 'custom', message: `unknown status "${p}"` });
    return parts as Array<z.infer<typeof runStatusSchema>>;
  }),
  trigger: z.enum(['schedule', 'manual', 'retry', 'push']).optional(),
  since: instant.optional(),
  until: instant.optional(),
  parent: runId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});
export type RunListQuery = z.infer<typeof runListQuerySchema>;

// The filter of a bulk action or a dead-letter replay/purge: the runs list's filters without paging.
export const runFilterSchema = z.object({
  pipeline: pipelineName.optional(),
  status: z.array(runStatusSchema).optional(),
  trigger: z.enum(['schedule', 'manual', 'retry', 'push']).optional(),
  since: instant.optional(),
  until: instant.optional(),
}).strict();
export type RunFilter = z.infer<typeof runFilterSchema>;

// ---- run views ----
export const countsSchema = z.record(z.string(), z.number().int());

export const runSummarySchema = z.object({
  runId,
  pipeline: z.string(),
  status: runStatusSchema,
  trigger: z.string(),
  actor: z.string().optional(),
  logicalDate: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  failedStage: z.string().optional(),
  errorSummary: z.string().optional(),
  rows: z.number().optional(),
  counts: countsSchema,
  parentRunId: z.string().optional(),
  updatedAt: z.string(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runListSchema = z.object({ runs: z.array(runSummarySchema), nextCursor: z.string().optional() });
export type RunList = z.infer<typeof runListSchema>;

// One stage of a run, over all its files: how many files are in it, done, failed; attempts; times.
export const stageViewSchema = z.object({
  stage: stageNameSchema,
  status: z.enum(['waiting', 'running', 'done', 'failed', 'skipped']),
  files: z.object({ total: z.number().int(), running: z.number().int(), done: z.number().int(), failed: z.number().int() }),
  attempts: z.number().int(),
  // First start, last end (or undefined while running), and the time files waited to enter it.
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  queuedMs: z.number().optional(),
  runningMs: z.number().optional(),
  rows: z.number().optional(),
});
export type StageView = z.infer<typeof stageViewSchema>;

export const fileViewSchema = z.object({
  fileKey: z.string(),
  name: z.string(),
  status: z.string(),
  // The stage the file is in or ended in.
  stage: z.string().optional(),
  rule: z.string().optional(),
  table: z.string().optional(),
  rows: z.number().optional(),
  attempts: z.record(z.string(), z.number().int()),
  // Why it ended as it did: the error, the quarantine reason, the skip reason.
  reason: z.string().optional(),
  row: z.number().optional(),
  quarantinedAs: z.string().optional(),
  endedAt: z.string().optional(),
});
export type FileView = z.infer<typeof fileViewSchema>;

// The one error to show first: the run's own, else its first failed or quarantined file's.
export const runErrorSchema = z.object({
  stage: z.string(),
  message: z.string(),
  file: z.string().optional(),
  row: z.number().optional(),
  attempt: z.number().optional(),
});

export const runDetailSchema = z.object({
  run: runSummarySchema.extend({
    dates: z.array(z.string()),
    expectedFiles: z.number().nullable(),
    endedFiles: z.number(),
    warnings: z.array(z.string()).optional(),
    cancel: z.object({ requestedBy: z.string(), requestedAt: z.string() }).optional(),
    rerun: z.object({ of: z.string(), files: z.enum(['all', 'failed']), fromStage: rerunStageSchema }).optional(),
    skippedReason: z.string().optional(),
    dryRun: z.object({ items: z.array(z.object({ name: z.string(), size: z.number().optional(), key: z.string() })), listedAt: z.string() }).optional(),
    actions: z.array(z.object({ action: z.string(), actor: z.string(), at: z.string(), detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })).optional(),
  }),
  error: runErrorSchema.optional(),
  stages: z.array(stageViewSchema),
  files: z.array(fileViewSchema),
  // Lineage: the parent (when a rerun) and the reruns of this run.
  parent: runSummarySchema.optional(),
  children: z.array(runSummarySchema),
  // The pipeline's recent median duration per stage (ms), for the timeline.
  medianStageMs: z.record(z.string(), z.number()).optional(),
  // How to retry it from a shell.
  retryCommand: z.string(),
});
export type RunDetail = z.infer<typeof runDetailSchema>;

export const logEntrySchema = z.object({
  timestamp: z.string(),
  severity: z.string(),
  message: z.string(),
  stage: z.string().optional(),
  // Every other field of the JSON log line.
  fields: z.record(z.string(), z.unknown()).optional(),
});
export const logPageSchema = z.object({ entries: z.array(logEntrySchema), nextPageToken: z.string().optional() });
export type LogEntry = z.infer<typeof logEntrySchema>;
export type LogPage = z.infer<typeof logPageSchema>;

// ---- pipelines ----
export const pipelineSummarySchema = z.object({
  name: z.string(),
  description: z.string(),
  source: z.string(),
  schedule: z.object({ cron: z.string(), timeZone: z.string(), nextFireTimes: z.array(z.string()) }).optional(),
  paused: z.boolean(),
  pausedBy: z.string().optional(),
  pausedAt: z.string().optional(),
  lastRuns: z.array(runSummarySchema),
});
export type PipelineSummary = z.infer<typeof pipelineSummarySchema>;

// ---- controls ----
// POST /runs
export const triggerRequestSchema = z.object({
  pipeline: pipelineName,
  date: isoDate.optional(),
  // List what would be fetched; claim and copy nothing.
  dryRun: z.boolean().default(false),
}).strict();
export type TriggerRequest = z.infer<typeof triggerRequestSchema>;

// POST /runs/{id}:rerun
export const rerunRequestSchema = z.object({
  files: z.enum(['all', 'failed']).default('all'),
  fromStage: rerunStageSchema.default('fetch'),
}).strict();
export type RerunRequest = z.infer<typeof rerunRequestSchema>;

// The answer of POST /runs and :rerun: the new run, queued.
export const queuedRunSchema = z.object({ runId, pipeline: z.string(), status: runStatusSchema, parentRunId: z.string().optional() });
export type QueuedRunView = z.infer<typeof queuedRunSchema>;

// ---- dead letters ----
export const deadLetterSchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  stage: z.string(),
  reason: z.string(),
  attempts: z.number().optional(),
  receivedAt: z.string(),
  runId: z.string().optional(),
  fileKey: z.string().optional(),
  file: z.string().optional(),
  // The original message: its data (base64) and attributes (the dead-letter ones removed).
  message: z.object({ data: z.string(), attributes: z.record(z.string(), z.string()), messageId: z.string().optional(), publishTime: z.string().optional() }),
  // Each replay: the message it published, or (rerunId) the rerun it created.
  replays: z.array(z.object({ actor: z.string(), at: z.string(), messageId: z.string(), rerunId: z.string().optional() })).optional(),
});
export type DeadLetterView = z.infer<typeof deadLetterSchema>;

// GET /dead-letters?pipeline&stage&since&until&limit&cursor
export const deadLetterQuerySchema = z.object({
  pipeline: pipelineName.optional(),
  stage: stageNameSchema.optional(),
  since: instant.optional(),
  until: instant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});
export type DeadLetterQuery = z.infer<typeof deadLetterQuerySchema>;
export const deadLetterListSchema = z.object({ deadLetters: z.array(deadLetterSchema), nextCursor: z.string().optional() });

// POST /dead-letters:replay and POST /dead-letters:purge: the named ones, or all matching a filter.
export const deadLetterSelectionSchema = z.object({
  ids: z.array(z.string().min(1)).max(1000).optional(),
  filter: z.object({ pipeline: pipelineName.optional(), stage: stageNameSchema.optional(), since: instant.optional(), until: instant.optional() }).strict().optional(),
  dryRun: z.boolean().default(false),
}).strict().refine((s) => (s.ids === undefined) !== (s.filter === undefined), { message: 'give either ids or filter', path: ['ids'] });
export type DeadLetterSelection = z.infer<typeof deadLetterSelectionSchema>;
export const deadLetterActionResultSchema = z.object({
  matched: z.number().int(), done: z.number().int(), dryRun: z.boolean(),
  // Selected letters not replayed, and why (a run still going, an undecodable message...).
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })).optional(),
});
export type DeadLetterActionResult = z.infer<typeof deadLetterActionResultSchema>;

// ---- bulk actions ----
// POST /bulk-actions: rerun or cancel every run matching `filter`. dryRun: only count them.
export const bulkRequestSchema = z.object({
  action: z.enum(['rerun', 'cancel']),
  filter: runFilterSchema,
  rerun: rerunRequestSchema.optional(),
  dryRun: z.boolean().default(false),
}).strict();
export type BulkRequest = z.infer<typeof bulkRequestSchema>;

export const bulkActionSchema = z.object({
  id: z.string(),
  action: z.enum(['rerun', 'cancel']),
  filter: runFilterSchema,
  status: z.enum(['counted', 'running', 'done', 'failed']),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  actor: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  // The new runs of a bulk rerun, the runs of a bulk cancel (capped at 1000).
  runIds: z.array(z.string()).optional(),
  errors: z.array(z.object({ runId: z.string(), message: z.string() })).optional(),
});
export type BulkAction = z.infer<typeof bulkActionSchema>;

// ---- health ----
export const dependencyHealthSchema = z.object({
  name: z.string(),
  // Required dependencies down make /health/detailed answer 503.
  required: z.boolean(),
  ok: z.boolean(),
  latencyMs: z.number(),
  pipeline: z.string().optional(),
  error: z.string().optional(),
});
export const healthSchema = z.object({ status: z.enum(['ok', 'degraded', 'down']), checkedAt: z.string(), dependencies: z.array(dependencyHealthSchema) });
export type DependencyHealth = z.infer<typeof dependencyHealthSchema>;
export type HealthReport = z.infer<typeof healthSchema>;

// GET /whoami: who the token says the caller is, and the role they have (the dashboard hides
// mutating buttons from viewers).
export const callerSchema = z.object({ principal: z.string(), role: z.enum(['viewer', 'operator']) });
export type Caller = z.infer<typeof callerSchema>;
