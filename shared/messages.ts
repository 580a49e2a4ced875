// Messages between stages: references only (pipeline, run, bucket, object, generation), versioned and
// validated. A message that fails validation is never retried: the runner acknowledges it and sends it
// to the stage's dead-letter topic with the reason.
import { z } from 'zod';
import { issueLines } from './zod-issues';
import { InvalidMessageError } from './errors';

const runId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'run ids are letters, digits, _ and -');
const version = z.coerce.number().pipe(z.literal(1));

export const objectRefSchema = z.object({
  bucket: z.string().min(1),
  object: z.string().min(1),
  generation: z.string().regex(/^\d+$/, 'generation is a decimal string'),
}).strict();
export type ObjectRef = z.infer<typeof objectRefSchema>;

// Published by the scheduler, the ops CLI/API, or a test, to the fetch topic. 'push': made by fetch
// from a source provider's own notification (Gmail's users.watch), never published as such.
export const triggerMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.trigger'),
  pipeline: z.string().min(1),
  trigger: z.enum(['schedule', 'manual', 'retry', 'push']),
  // A manual trigger may name its run; otherwise the run id is derived from the Pub/Sub message id,
  // which a redelivery keeps, so a redelivered trigger resumes the same run.
  runId: runId.optional(),
  // The export date to fetch (YYYY-MM-DD); default: today plus the source's dateOffsetDays, in the
  // schedule's time zone.
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  // Who asked for the run (an operator's principal, from the ops API); the scheduler and pushes name none.
  actor: z.string().min(1).max(300).optional(),
  // List what would be fetched and record it on the run; claim and copy nothing.
  dryRun: z.boolean().optional(),
  // A rerun from fetch (functions/ops/controls/rerun.ts released the parent's claims of these files first).
  rerun: z.object({ of: runId, files: z.enum(['all', 'failed']), fromStage: z.enum(['fetch', 'transform', 'load']) }).strict().optional(),
}).passthrough();
export type TriggerMessage = z.infer<typeof triggerMessageSchema>;

// Published by a source's scheduler job (shared/topology.ts, from the source's topology.ts) to the
// fetch topic: work for the source that is not a run, e.g. renewing Gmail's watch. `topic`: the push
// topic it concerns (short name), when it concerns one.
export const sourceActionMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.source-action'),
  pipeline: z.string().min(1),
  action: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'actions are lower-case words joined by -'),
  topic: z.string().regex(/^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/, 'must be a Pub/Sub topic id').optional(),
}).passthrough();
export type SourceActionMessage = z.infer<typeof sourceActionMessageSchema>;

// The source file a raw object holds (shared/source-identity.ts derives it from the raw object's metadata).
export const sourceIdentitySchema = z.object({
  id: z.string().min(1),
  version: z.string().min(1),
  time: z.string().datetime({ offset: true }).optional(),
}).strict();
export type SourceIdentity = z.infer<typeof sourceIdentitySchema>;

export const columnSchema = z.object({ name: z.string(), type: z.string() }).strict();

export const stagedMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.staged'),
  pipeline: z.string().min(1),
  runId,
  fileKey: z.string().min(1),
  // The fetched file as it arrived, and the normalized CSV made from it.
  raw: objectRefSchema,
  staged: objectRefSchema,
  // The sidecar with column names, types and per-column statistics.
  schemaObject: z.string().min(1),
  rule: z.string().min(1),
  table: z.string().min(1),
  rows: z.number().int().nonnegative(),
  // Absent in messages from older transforms: load then keys on the raw object and generation.
  source: sourceIdentitySchema.optional(),
}).strict();
export type StagedMessage = z.infer<typeof stagedMessageSchema>;

export const loadedMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.loaded'),
  pipeline: z.string().min(1),
  runId,
  fileKey: z.string().min(1),
  raw: objectRefSchema,
  table: z.string().min(1),
  rule: z.string().min(1),
  rows: z.number().int().nonnegative(),
  // Rows of the file that failed their column's type or a NOT NULL/CHECK constraint and went to
  // `<table>__rejects` (rule.maxRejectPercent).
  rejected: z.number().int().nonnegative().optional(),
  // Range of each timestamp/date column in the file (ISO strings), so roll-ups recompute only what it touched.
  timeRanges: z.record(z.string(), z.object({ min: z.string(), max: z.string() }).strict()).default({}),
}).strict();
export type LoadedMessage = z.infer<typeof loadedMessageSchema>;

export const runCompleteMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.run-complete'),
  pipeline: z.string().min(1),
  runId,
}).strict();
export type RunCompleteMessage = z.infer<typeof runCompleteMessageSchema>;

// A run that failed as a whole (the stage that failed and why are on the run record).
export const runFailedMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.run-failed'),
  pipeline: z.string().min(1),
  runId,
  stage: z.string().min(1),
  error: z.string(),
}).strict();
export type RunFailedMessage = z.infer<typeof runFailedMessageSchema>;

// Published by the pipeline's watchdog schedule to the notify topic: fail the runs that stopped moving.
export const sweepMessageSchema = z.object({
  v: version,
  type: z.literal('sluice.sweep'),
  pipeline: z.string().min(1),
}).passthrough();
export type SweepMessage = z.infer<typeof sweepMessageSchema>;

// What Cloud Storage publishes for a finalized object (payloadFormat JSON_API_V1, the attributes carry
// the rest); load sends one to transform to re-transform a raw file whose staged data vanished.
export interface ObjectFinalizedNotice {
  kind: 'storage#object';
  bucket: string;
  name: string;
  generation: string;
  size?: string;
}

export type StageMessage = TriggerMessage | StagedMessage | LoadedMessage | RunCompleteMessage | RunFailedMessage | ObjectFinalizedNotice;

export function encodeMessage(message: StageMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

export function parseMessage<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = issueLines(parsed.error).join('; ');
  throw new InvalidMessageError(`invalid ${what} message: ${problems}`);
}
