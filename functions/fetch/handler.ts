// The fetch stage: a trigger in, the run's new source files copied to the raw area out. Each file
// version is claimed in the fetch ledger before it is copied, and copied create-only, so a trigger
// delivered any number of times, or cut off at any point, fetches every file exactly once; the
// bucket notification on raw/<pipeline>/ then starts transform per object.
import picomatch from 'picomatch';
import { InvalidMessageError, errorMessage, isInvalidMessage, isPermanent } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { ObjectRef } from '../../shared/messages';
import { fileKeyOf, fileLocationProblem, objectName, parseObjectName, printableName } from '../../shared/object-names';
import { isBadRequest, isNotFound } from '../../shared/storage-errors';
import type { IncomingMessage, StageContext, StageHandler } from '../runtime/context';
import { copyToRaw } from './copy-to-raw';
import type { CopyResult } from './copy-to-raw';
import { exportDates, isValidDate } from './export-dates';
import { compactDate, expandPathTemplate, joinRemote } from './expand-path-template';
import { claimFile, fileIdentity, markRefused, markUploaded, releaseClaim, takeOverClaim } from './fetch-ledger';
import type { ClaimInput, ClaimResult } from './fetch-ledger';
import { parseFetchMessage } from './parse-trigger';
import { runSourceAction, type SourceActionTable } from './source-actions';
import { runIdFor } from './run-id';
import type { TriggerMessage } from '../../shared/messages';
import { connectSource, localSftpEndpoint } from './sftp-connection';
import { sftpSourceOf } from './sources/sftp/config';
import { classifyOperationError } from './sftp-errors';
import { hashSource } from './exact-content';
import type { RemoteFile, SourceConnection } from './sftp-connection';

export interface FetchHandlerOptions {
  // The clock for "today" and claim times (tests pin it).
  now?: () => Date;
  // When another run's claim that never got uploaded counts as abandoned. Default: two function
  // timeouts plus the longest retry backoff, so no attempt of the owner can still be running.
  staleClaimAfterMs?: number;
  sftpReadyTimeoutMs?: number;
  // The actions each source kind has (renewing Gmail's watch): the connectors registry fits. None by
  // default: an action message then dead-letters with "not one the <kind> source has".
  sourceActions?: SourceActionTable;
}

interface RunScope {
  ctx: StageContext;
  runId: string;
  log: Logger;
  now: () => Date;
  staleAfterMs: number;
}

type FileFate = 'owned' | 'skipped';

export { parseTrigger } from './parse-trigger';

function defaultStaleAfterMs(ctx: StageContext): number {
  return (2 * ctx.stage.timeoutSeconds + ctx.stage.backoff.maxSeconds + 60) * 1000;
}

export function createFetchHandler(options: FetchHandlerOptions = {}): StageHandler {
  const now = options.now ?? (() => new Date());
  return async (ctx: StageContext, message: IncomingMessage) => {
    const received = parseFetchMessage(message.data, ctx.pipeline);
    if (received.kind === 'action') return runSourceAction(ctx, message, received.action, options.sourceActions ?? {}, now);
    const trigger = received.trigger;
    if (trigger.pipeline !== ctx.pipeline.name) {
      throw new InvalidMessageError(`trigger for pipeline "${trigger.pipeline}" delivered to the fetch stage of "${ctx.pipeline.name}"`);
    }
    if (trigger.date !== undefined && !isValidDate(trigger.date)) {
      throw new InvalidMessageError(`invalid trigger message: date ${trigger.date} is not a calendar date`);
    }
    const runId = runIdFor(trigger, message);
    const log = ctx.logger.child({ pipeline: ctx.pipeline.name, stage: 'fetch', runId, messageId: message.messageId });
    const source = sftpSourceOf(ctx.pipeline);
    const dates = exportDates({
      ...(trigger.date !== undefined ? { date: trigger.date } : {}),
      now: now(),
      ...(ctx.pipeline.schedule ? { timeZone: ctx.pipeline.schedule.timeZone } : {}),
      dateOffsetDays: source.dateOffsetDays,
      lookbackDays: source.lookbackDays,
    });
    try {
      await fetchRun({ ctx, runId, log, now, staleAfterMs: options.staleClaimAfterMs ?? defaultStaleAfterMs(ctx) }, trigger, message, dates, options);
    } catch (error) {
      // Pub/Sub dead-letters the trigger after this attempt: fail the run now, with the reason, so it
      // ends and alerts even if nothing downstream can map the dead letter back to it. The error is
      // still thrown, so the message takes the path Pub/Sub gives it (failRun is idempotent).
      if (isLastAttempt(ctx, message)) {
        const reason = `fetch gave up after attempt ${message.deliveryAttempt} of ${ctx.stage.maxAttempts}: ${errorMessage(error)}`;
        log.error('fetch failed on its last attempt', { error: errorMessage(error), deliveryAttempt: message.deliveryAttempt });
        await ctx.failRun(runId, reason).catch((failError: unknown) => log.error('could not fail the run', { error: errorMessage(failError) }));
      }
      throw error;
    }
  };
}

// Whether Pub/Sub says this is the last delivery before the dead letter (it says only on a
// subscription with a dead-letter policy, which every stage subscription has).
function isLastAttempt(ctx: StageContext, message: IncomingMessage): boolean {
  return message.deliveryAttempt !== undefined && message.deliveryAttempt >= ctx.stage.maxAttempts;
}

async function fetchRun(scope: RunScope, trigger: TriggerMessage, message: IncomingMessage, dates: string[], options: FetchHandlerOptions): Promise<void> {
  const { ctx, runId, log } = scope;
  const started = Date.now();
  const { expectedFiles } = await ctx.runs.startRun(runId, { pipeline: ctx.pipeline.name, trigger: trigger.trigger, messageId: message.messageId, dates });
  if (expectedFiles !== null) {
    // An earlier delivery of this trigger listed and copied the run's files (telling the run how many
    // is fetch's last step). A late redelivery — an ack lost, the run long over — must not list again:
    // a file that appeared or changed since would be claimed by this old run, loaded outside any run's
    // count and report, and skipped by the run that should have had it. Re-announcing is all that is left.
    log.info('run already listed its files; redelivered trigger only re-announces them', { expectedFiles, deliveryAttempt: message.deliveryAttempt });
    await ctx.setExpectedFiles(runId, expectedFiles);
    return;
  }
  log.info('fetch started', { trigger: trigger.trigger, dates, deliveryAttempt: message.deliveryAttempt });
  let counts: Record<FileFate, number>;
  try {
    counts = await fetchDates(scope, dates, options.sftpReadyTimeoutMs);
  } catch (error) {
    // A permanent fault (host key, login, template, permissions) fails the run once, with the
    // reason, and the trigger is acknowledged: redelivering it would fail the same way.
    if (isPermanent(error) && !isInvalidMessage(error)) {
      log.error('fetch failed', { error: errorMessage(error) });
      await ctx.failRun(runId, errorMessage(error));
      return;
    }
    throw error;
  }
  // Also with 0: the run then completes at once and notify reports it.
  await ctx.setExpectedFiles(runId, counts.owned);
  log.info('fetch finished', { files: counts.owned, skipped: counts.skipped, durationMs: Date.now() - started });
}

export const handleFetch: StageHandler = createFetchHandler();

async function fetchDates(scope: RunScope, dates: string[], readyTimeoutMs?: number): Promise<Record<FileFate, number>> {
  const { ctx, log } = scope;
  const source = sftpSourceOf(ctx.pipeline);
  // Template errors surface before any connection is opened.
  const dirs = dates.map((date) => ({ date, dir: expandPathTemplate(source.path, date, source.params) }));
  const matches = picomatch(source.glob);
  const counts: Record<FileFate, number> = { owned: 0, skipped: 0 };
  const conn = await connectSource({
    source,
    overrides: localSftpEndpoint(ctx.localEndpoints),
    secrets: ctx.secrets,
    logger: log,
    ...(readyTimeoutMs !== undefined ? { readyTimeoutMs } : {}),
  });
  try {
    for (const { date, dir } of dirs) {
      const listed = await conn.listFiles(dir);
      if (listed === null) {
        log.info('no export for date', { date, dir });
        continue;
      }
      const files = listed.filter((file) => matches(file.name)).sort((a, b) => a.name.localeCompare(b.name));
      log.info('export listed', { date, dir, files: files.length, ignored: listed.length - files.length });
      for (const file of files) counts[await fetchFile(scope, conn, date, dir, file)] += 1;
    }
  } finally {
    await conn.close();
  }
  return counts;
}

async function claim(scope: RunScope, input: ClaimInput): Promise<ClaimResult> {
  const { ctx } = scope;
  const result = await claimFile(ctx.firestore, input, { now: scope.now(), staleAfterMs: scope.staleAfterMs });
  if (result.kind !== 'stale') return result;
  // The owner may have uploaded and died before saying so: its object settles it, wherever the
  // pipeline has moved it since (loaded and archived, or quarantined). Recording that here makes the
  // claim settled for good, so no later run asks again once the object has aged out of the bucket.
  const found = await findCopy(scope, result.entry.object);
  if (found) {
    await markUploaded(ctx.firestore, input.identity, result.entry.runId, found, scope.now());
    return { kind: 'taken', entry: result.entry };
  }
  scope.log.warn('taking over an abandoned claim', { path: input.path, from: result.entry.runId, attemptAt: result.entry.attemptAt });
  return takeOverClaim(ctx.firestore, input, result.entry, scope.now());
}

async function fetchFile(scope: RunScope, conn: SourceConnection, date: string, dir: string, file: RemoteFile): Promise<FileFate> {
  const { ctx, runId, log } = scope;
  const pipeline = ctx.pipeline.name;
  // Date directory + base name: the same file name on two days never collides in one run.
  const path = `${compactDate(date)}/${file.name}`;
  const remotePath = joinRemote(dir, file.name);
  const fileKey = fileKeyOf(path);
  const rawName = objectName('raw', { pipeline, runId, path });
  // Checked before anything is read or written: Cloud Storage would answer 400 (or transform would
  // never see the file), so the file fails on this run with the reason and the others go on.
  const unusable = fileLocationProblem({ pipeline, runId, path });
  // By content, the version is known only once the bytes are hashed, and it must be known to claim
  // it: so the file is read here once to hash (memory bounded), claimed, then copied with the hash
  // checked again before the object is finalized. A refused name is never read.
  const sha256 = sftpSourceOf(ctx.pipeline).changeDetection === 'content' && unusable === null
    ? await hashSource(conn.openRead(remotePath), file.size, remotePath).catch((error: unknown) => {
      throw classifyOperationError(error, `hashing ${remotePath}`);
    })
    : undefined;
  const version = { pipeline, path: remotePath, size: file.size, mtimeMs: file.mtimeMs, ...(sha256 !== undefined ? { sha256 } : {}) };
  const identity = fileIdentity(version);

  const claimed = await claim(scope, { ...version, identity, runId, object: rawName });
  if (claimed.kind === 'taken' || claimed.kind === 'stale') {
    const reason = claimed.entry.refusedAt !== undefined ? `refused by run ${claimed.entry.runId}: ${claimed.entry.refusal ?? ''}` : `already fetched by run ${claimed.entry.runId}`;
    await ctx.runs.recordSkipped(runId, fileKey, { name: printableName(path), reason, size: file.size });
    log.info('file skipped', { path, remotePath, size: file.size, reason });
    return 'skipped';
  }
  if (unusable !== null) {
    await refuseFile(scope, { identity, fileKey, path, remotePath }, unusable);
    return 'owned';
  }

  const bucket = ctx.storage.bucket(ctx.bucket);
  // A delivery of this run already copied it: the raw object may be gone by now (loaded and archived,
  // or quarantined), so copying again would start the file a second time under a new generation.
  if (claimed.kind === 'ours' && claimed.entry.uploadedAt !== undefined) {
    log.info('file already copied by an earlier delivery of this run', { path, remotePath });
    return 'owned';
  }
  if (claimed.kind === 'ours') {
    const moved = await findMovedOn(scope, rawName);
    if (moved) {
      // That delivery died before recording the upload: record it now, so the claim never looks stale.
      await markUploaded(ctx.firestore, identity, runId, moved, scope.now());
      log.info('file already copied by an earlier delivery of this run', { path, remotePath, movedTo: moved.object });
      return 'owned';
    }
  }
  await ctx.runs.stageStarted(runId, fileKey, 'fetch', { name: path });
  let copied: CopyResult;
  try {
    copied = await copyToRaw({
      bucket,
      objectName: rawName,
      stamp: { runId, sourcePath: remotePath, size: file.size, mtimeMs: file.mtimeMs, ...(sha256 !== undefined ? { sha256 } : {}) },
      open: () => conn.openRead(remotePath),
    });
  } catch (error) {
    // Cloud Storage refused this file's request itself (400): no retry can help, and it is this
    // file's fault, not the run's. Other permanent faults (a missing bucket) fail the run.
    if (!isBadRequest(error) && !(error instanceof Error && isBadRequest(error.cause))) throw error;
    await refuseFile(scope, { identity, fileKey, path, remotePath }, `Cloud Storage refused it: ${errorMessage(error)}`);
    return 'owned';
  }
  if (copied.outcome === 'other-version') {
    // An earlier delivery of this run copied an older version of the file under this name; that
    // copy is the run's file. This version is given back so the next run fetches it.
    await releaseClaim(ctx.firestore, identity, runId);
    log.warn('source file changed since this run copied it', { path, remotePath, size: file.size, copiedSize: copied.existing.size });
  } else {
    await markUploaded(ctx.firestore, identity, runId, copied.ref, scope.now());
  }
  const contentSha256 = copied.outcome === 'created' ? copied.sha256 : sha256;
  await ctx.runs.stageSucceeded(runId, fileKey, 'fetch', { details: { size: file.size, raw: copied.ref, source: remotePath, ...(contentSha256 ? { sha256: contentSha256 } : {}) } });
  log.info('file fetched', { path, remotePath, size: file.size, object: rawName, generation: copied.ref.generation, outcome: copied.outcome });
  return 'owned';
}

// A file the layout cannot hold: one of the run's files, failed at once with the reason (a redelivery
// repeats this harmlessly: finishFile is idempotent), and its claim settled so no later run retries it.
async function refuseFile(scope: RunScope, file: { identity: string; fileKey: string; path: string; remotePath: string }, problem: string): Promise<void> {
  const { ctx, runId, log } = scope;
  const name = printableName(file.path);
  const error = `source file "${printableName(file.remotePath)}" cannot be fetched: ${problem}`;
  await markRefused(ctx.firestore, file.identity, runId, problem, scope.now());
  await ctx.runs.stageStarted(runId, file.fileKey, 'fetch', { name });
  await ctx.finishFile(runId, file.fileKey, 'failed', { stage: 'fetch', error });
  log.warn('file refused', { path: file.path, remotePath: file.remotePath, reason: problem });
}

// Where the object a claim names is now: still in raw/, or moved on by the pipeline. Null when it is
// nowhere, i.e. its owner never finished uploading it.
async function findCopy(scope: RunScope, rawName: string): Promise<ObjectRef | null> {
  // A name the layout refuses was never uploaded (and asking Cloud Storage about it is a 400).
  const location = parseObjectName(rawName);
  if (!location || fileLocationProblem(location)) return null;
  return (await objectAt(scope, rawName)) ?? (await findMovedOn(scope, rawName));
}

// This raw object's copy in archive/ (loaded) or quarantine/ (refused), if the pipeline moved it there:
// an earlier delivery that died before recording its upload leaves only that.
async function findMovedOn(scope: RunScope, rawName: string): Promise<ObjectRef | null> {
  const location = parseObjectName(rawName);
  if (!location) return null;
  const found = await Promise.all((['archive', 'quarantine'] as const).map((area) => objectAt(scope, objectName(area, location))));
  return found.find((ref) => ref !== null) ?? null;
}

async function objectAt(scope: RunScope, name: string): Promise<ObjectRef | null> {
  const bucket = scope.ctx.storage.bucket(scope.ctx.bucket);
  try {
    const [metadata] = await bucket.file(name).getMetadata();
    return { bucket: bucket.name, object: name, generation: String(metadata.generation) };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

// Same handler under the <stage>Handler name some stages use.
export const fetchHandler = handleFetch;
