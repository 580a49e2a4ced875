// The fetch stage: a trigger in, the run's new source items copied to the raw area out. The source
// is reached through its connector (functions/fetch/sources/): fetch asks it for the run's window,
// connects, lists the items and, once each is dealt with, lets it settle the source (finish). What
// is the same for every source lives here: each item version is claimed in the fetch ledger before
// it is copied, and copied create-only, so a trigger delivered any number of times, or cut off at
// any point, fetches every item exactly once; the bucket notification on raw/<pipeline>/ then
// starts transform per object.
import { InvalidMessageError, TransientError, errorMessage, isInvalidMessage, isPermanent } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { ObjectRef } from '../../shared/messages';
import { fileKeyOf, fileLocationProblem, objectName, parseObjectName, printableName } from '../../shared/object-names';
import { isBadRequest, isNotFound } from '../../shared/storage-errors';
import type { IncomingMessage, StageContext, StageHandler } from '../runtime/context';
import { copyToRaw } from './copy-to-raw';
import type { CopyResult } from './copy-to-raw';
import { isValidDate } from './export-dates';
import { claimItem, itemIdentity, markRefused, markUploaded, peekClaim, releaseClaim, takeOverClaim } from './fetch-ledger';
import type { ClaimInput, ClaimResult } from './fetch-ledger';
import { parseFetchMessage } from './parse-trigger';
import { listDryRun } from './dry-run';
import { passOperatorGate } from './operator-gate';
import { createFirestorePipelineStateStore } from '../runtime/firestore-pipeline-state-store';
import type { PipelineStateStore } from '../runtime/pipeline-state-store';
import { runSourceAction } from './source-actions';
import { runIdFor } from './run-id';
import type { TriggerMessage } from '../../shared/messages';
import { connectorFor, connectors } from './sources/connectors';
import type { Source } from './sources/source-configs';
import type { ListingOutcome, SourceConnector, SourceConnectors, SourceItem, SourceRuntime } from './sources/source-connector';

export interface FetchHandlerOptions {
  // The clock for "today" and claim times (tests pin it).
  now?: () => Date;
  // When another run's claim that never got uploaded counts as abandoned. Default: two function
  // timeouts plus the longest retry backoff, so no attempt of the owner can still be running.
  staleClaimAfterMs?: number;
  // The connector of each source kind (default: functions/fetch/sources/connectors.ts); a source
  // action (renewing Gmail's watch) runs the connector's `actions` entry.
  connectors?: SourceConnectors;
  // Where the pipeline's pause state is read (default: Firestore's, functions/runtime/firestore-pipeline-state-store.ts).
  pipelineStates?: (ctx: StageContext) => PipelineStateStore;
}

export interface RunScope {
  ctx: StageContext;
  runId: string;
  log: Logger;
  now: () => Date;
  staleAfterMs: number;
}

// What became of one item on this attempt: the keys of ListingOutcome.
type ItemFate = keyof ListingOutcome;

export { parseTrigger } from './parse-trigger';

function defaultStaleAfterMs(ctx: StageContext): number {
  return (2 * ctx.stage.timeoutSeconds + ctx.stage.backoff.maxSeconds + 60) * 1000;
}

export function createFetchHandler(options: FetchHandlerOptions = {}): StageHandler {
  const now = options.now ?? (() => new Date());
  return async (ctx: StageContext, message: IncomingMessage) => {
    const received = parseFetchMessage(message.data, ctx.pipeline);
    if (received.kind === 'action') return runSourceAction(ctx, message, received.action, options.connectors ?? connectors, now);
    const trigger = received.trigger;
    if (trigger.pipeline !== ctx.pipeline.name) {
      throw new InvalidMessageError(`trigger for pipeline "${trigger.pipeline}" delivered to the fetch stage of "${ctx.pipeline.name}"`);
    }
    if (trigger.date !== undefined && !isValidDate(trigger.date)) {
      throw new InvalidMessageError(`invalid trigger message: date ${trigger.date} is not a calendar date`);
    }
    const runId = runIdFor(trigger, message);
    const log = ctx.logger.child({ pipeline: ctx.pipeline.name, stage: 'fetch', runId, messageId: message.messageId });
    const source = ctx.pipeline.source;
    const connector = connectorFor(source, options.connectors);
    const timeZone = ctx.pipeline.schedule?.timeZone ?? 'UTC';
    const dates = connector.windowOf(source, { ...(trigger.date !== undefined ? { date: trigger.date } : {}), now: now(), timeZone });
    const scope: RunScope = { ctx, runId, log, now, staleAfterMs: options.staleClaimAfterMs ?? defaultStaleAfterMs(ctx) };
    const states = (options.pipelineStates ?? ((c: StageContext) => createFirestorePipelineStateStore(c.firestore, { now })))(ctx);
    const logicalDate = trigger.date ?? dates.at(-1);
    if (!(await passOperatorGate({ ctx, states, trigger, message, runId, log, ...(logicalDate !== undefined ? { logicalDate } : {}) }))) return;
    try {
      await fetchRun(scope, trigger, message, { connector, source, dates, timeZone });
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

export interface Listing {
  connector: SourceConnector;
  source: Source;
  dates: string[];
  timeZone: string;
}

async function fetchRun(scope: RunScope, trigger: TriggerMessage, message: IncomingMessage, listing: Listing): Promise<void> {
  const { ctx, runId, log } = scope;
  const { dates } = listing;
  const started = Date.now();
  // Takes over the run an operator queued (functions/ops/controls/), keeping who asked and for which date.
  const start = {
    pipeline: ctx.pipeline.name, trigger: trigger.trigger, messageId: message.messageId, dates,
    ...(trigger.date !== undefined ? { logicalDate: trigger.date } : {}),
    ...(trigger.actor !== undefined ? { actor: trigger.actor } : {}),
  };
  const { expectedFiles } = await ctx.runs.startRun(runId, start);
  if (expectedFiles !== null) {
    // An earlier delivery of this trigger listed and copied the run's items and settled the source
    // (telling the run how many is fetch's last step). A late redelivery — an ack lost, the run long
    // over — must not list again: an item that appeared or changed since would be claimed by this old
    // run, loaded outside any run's count and report, and skipped by the run that should have had it.
    // Re-announcing is all that is left.
    log.info('run already listed its files; redelivered trigger only re-announces them', { expectedFiles, deliveryAttempt: message.deliveryAttempt });
    await ctx.setExpectedFiles(runId, expectedFiles);
    return;
  }
  log.info('fetch started', { trigger: trigger.trigger, source: listing.source.kind, dates, deliveryAttempt: message.deliveryAttempt, dryRun: trigger.dryRun === true });
  let outcome: ListingOutcome;
  try {
    // A dry run lists and records, claiming nothing; a source that refuses us fails it as any run.
    if (trigger.dryRun) return await listDryRun(scope, listing);
    outcome = await fetchItems(scope, listing);
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
  // The run's files: those staged and those refused (failed on the run). Also with 0: the run then
  // completes at once and notify reports it.
  const files = outcome.staged.length + outcome.refused.length;
  await ctx.setExpectedFiles(runId, files);
  log.info('fetch finished', { files, skipped: outcome.skipped.length, refused: outcome.refused.length, durationMs: Date.now() - started });
}

export const handleFetch: StageHandler = createFetchHandler();

async function fetchItems(scope: RunScope, listing: Listing): Promise<ListingOutcome> {
  const { ctx, runId, log } = scope;
  const runtime: SourceRuntime = {
    pipeline: ctx.pipeline.name,
    runId,
    dates: listing.dates,
    timeZone: listing.timeZone,
    secrets: ctx.secrets,
    firestore: ctx.firestore,
    logger: log,
    now: scope.now,
    localEndpoints: ctx.localEndpoints,
  };
  const session = await listing.connector.connect(listing.source, runtime);
  try {
    const outcome: ListingOutcome = { staged: [], skipped: [], refused: [] };
    let cancelled = false;
    for await (const item of session.list()) {
      // An operator cancelled the run: nothing more is claimed or copied. What this run already owns
      // (an earlier delivery copied or refused it) still counts, so the run's count matches its files.
      cancelled ||= await ctx.runs.isCancelled(runId);
      const fate = cancelled ? await ownFateOf(scope, item) : await fetchItem(scope, item);
      if (fate !== undefined) outcome[fate].push(item);
    }
    if (cancelled) log.info('run cancelled during fetch; the items not yet fetched are left for a later run', { staged: outcome.staged.length });
    if (session.finish) {
      try {
        await session.finish(outcome);
      } catch (error) {
        // Every item is staged and its claim settled; only the source is not told yet. Whatever the
        // connector threw, a redelivery repeats exactly this (it lists again, finds its own claims and
        // copies nothing), so it is retried; the last attempt fails the run.
        throw error instanceof TransientError ? error : new TransientError(`settling the ${listing.source.kind} source after listing failed: ${errorMessage(error)}`, { cause: error });
      }
    }
    const warnings = session.warnings?.() ?? [];
    if (warnings.length > 0) await scope.ctx.runs.recordWarnings(scope.runId, warnings);
    return outcome;
  } finally {
    // The work is done or already failed: a source that will not hang up cleanly changes neither.
    await session.close().catch((error: unknown) => log.warn('closing the source failed', { error: errorMessage(error) }));
  }
}

function itemIdentityOf(scope: RunScope, item: SourceItem): string {
  return itemIdentity({ pipeline: scope.ctx.pipeline.name, key: item.key, version: item.version });
}

// A cancelled run's item: staged or refused when this run already owns it so, else left alone (not
// claimed, not recorded, not settled at the source) for the next run.
async function ownFateOf(scope: RunScope, item: SourceItem): Promise<ItemFate | undefined> {
  if (item.skip !== undefined) return undefined;
  const entry = await peekClaim(scope.ctx.firestore, itemIdentityOf(scope, item));
  if (entry?.runId !== scope.runId) return undefined;
  if (entry.refusedAt !== undefined) return 'refused';
  if (entry.uploadedAt !== undefined) return 'staged';
  // Claimed by an earlier delivery that never finished copying: given back at once rather than left
  // to go stale.
  await releaseClaim(scope.ctx.firestore, itemIdentityOf(scope, item), scope.runId);
  return undefined;
}

async function claim(scope: RunScope, input: ClaimInput): Promise<ClaimResult> {
  const { ctx } = scope;
  const result = await claimItem(ctx.firestore, input, { now: scope.now(), staleAfterMs: scope.staleAfterMs });
  if (result.kind !== 'stale') return result;
  // The owner may have uploaded and died before saying so: its object settles it, wherever the
  // pipeline has moved it since (loaded and archived, or quarantined). Recording that here makes the
  // claim settled for good, so no later run asks again once the object has aged out of the bucket.
  const found = await findCopy(scope, result.entry.object);
  if (found) {
    await markUploaded(ctx.firestore, input.identity, result.entry.runId, found, scope.now());
    return { kind: 'taken', entry: result.entry };
  }
  scope.log.warn('taking over an abandoned claim', { key: input.key, source: input.source, from: result.entry.runId, attemptAt: result.entry.attemptAt });
  return takeOverClaim(ctx.firestore, input, result.entry, scope.now());
}

async function fetchItem(scope: RunScope, item: SourceItem): Promise<ItemFate> {
  const { ctx, runId, log } = scope;
  const pipeline = ctx.pipeline.name;
  const { path } = item;
  const fileKey = fileKeyOf(path);
  const sizeIfKnown = item.size !== undefined ? { size: item.size } : {};
  if (item.skip !== undefined) {
    // The connector's own verdict (over a size cap): never read, never claimed.
    await ctx.runs.recordSkipped(runId, fileKey, { name: printableName(path), reason: item.skip, ...sizeIfKnown });
    log.info('file skipped', { path, source: item.source, ...sizeIfKnown, reason: item.skip });
    return 'skipped';
  }
  const rawName = objectName('raw', { pipeline, runId, path });
  // Checked before anything is read or written: Cloud Storage would answer 400 (or transform would
  // never see the file), so the item fails on this run with the reason and the others go on.
  const unusable = fileLocationProblem({ pipeline, runId, path });
  const identity = itemIdentity({ pipeline, key: item.key, version: item.version });

  const claimed = await claim(scope, {
    pipeline, key: item.key, version: item.version, source: item.source, identity, runId, object: rawName,
    ...sizeIfKnown,
    ...(item.modifiedMs !== undefined ? { modifiedMs: item.modifiedMs } : {}),
    ...(item.sha256 !== undefined ? { sha256: item.sha256 } : {}),
  });
  if (claimed.kind === 'taken' || claimed.kind === 'stale') {
    const reason = claimed.entry.refusedAt !== undefined ? `refused by run ${claimed.entry.runId}: ${claimed.entry.refusal ?? ''}` : `already fetched by run ${claimed.entry.runId}`;
    await ctx.runs.recordSkipped(runId, fileKey, { name: printableName(path), reason, ...sizeIfKnown });
    log.info('file skipped', { path, source: item.source, ...sizeIfKnown, reason });
    return 'skipped';
  }
  if (unusable !== null) {
    await refuseItem(scope, { identity, fileKey, item }, unusable);
    return 'refused';
  }

  const bucket = ctx.storage.bucket(ctx.bucket);
  // A delivery of this run already copied it: the raw object may be gone by now (loaded and archived,
  // or quarantined), so copying again would start the file a second time under a new generation.
  if (claimed.kind === 'ours' && claimed.entry.uploadedAt !== undefined) {
    log.info('file already copied by an earlier delivery of this run', { path, source: item.source });
    return 'staged';
  }
  if (claimed.kind === 'ours') {
    const moved = await findMovedOn(scope, rawName);
    if (moved) {
      // That delivery died before recording the upload: record it now, so the claim never looks stale.
      await markUploaded(ctx.firestore, identity, runId, moved, scope.now());
      log.info('file already copied by an earlier delivery of this run', { path, source: item.source, movedTo: moved.object });
      return 'staged';
    }
  }
  await ctx.runs.stageStarted(runId, fileKey, 'fetch', { name: path });
  let copied: CopyResult;
  try {
    copied = await copyToRaw({
      bucket,
      objectName: rawName,
      source: item.source,
      stamp: {
        runId,
        sourcePath: item.key,
        ...sizeIfKnown,
        ...(item.modifiedMs !== undefined ? { mtimeMs: item.modifiedMs } : {}),
        ...(item.sha256 !== undefined ? { sha256: item.sha256 } : {}),
        ...(item.stamp !== undefined ? { extra: item.stamp } : {}),
        ...(item.imports !== undefined ? { imports: item.imports } : {}),
      },
      open: () => item.open(),
    });
  } catch (error) {
    // Cloud Storage refused this file's request itself (400): no retry can help, and it is this
    // file's fault, not the run's. Other permanent faults (a missing bucket) fail the run.
    if (!isBadRequest(error) && !(error instanceof Error && isBadRequest(error.cause))) throw error;
    await refuseItem(scope, { identity, fileKey, item }, `Cloud Storage refused it: ${errorMessage(error)}`);
    return 'refused';
  }
  if (copied.outcome === 'other-version') {
    // An earlier delivery of this run copied an older version of the item under this name; that
    // copy is the run's file. This version is given back so the next run fetches it.
    await releaseClaim(ctx.firestore, identity, runId);
    log.warn('source file changed since this run copied it', { path, source: item.source, ...sizeIfKnown, copiedSize: copied.existing.size });
  } else {
    await markUploaded(ctx.firestore, identity, runId, copied.ref, scope.now());
  }
  const contentSha256 = copied.outcome === 'created' ? copied.sha256 : item.sha256;
  await ctx.runs.stageSucceeded(runId, fileKey, 'fetch', { details: { ...sizeIfKnown, raw: copied.ref, source: item.source, ...(contentSha256 ? { sha256: contentSha256 } : {}) } });
  log.info('file fetched', { path, source: item.source, ...sizeIfKnown, object: rawName, generation: copied.ref.generation, outcome: copied.outcome });
  return 'staged';
}

// An item the layout cannot hold: one of the run's files, failed at once with the reason (a redelivery
// repeats this harmlessly: finishFile is idempotent), and its claim settled so no later run retries it.
async function refuseItem(scope: RunScope, refused: { identity: string; fileKey: string; item: SourceItem }, problem: string): Promise<void> {
  const { ctx, runId, log } = scope;
  const { item } = refused;
  const error = `source file "${printableName(item.source)}" cannot be fetched: ${problem}`;
  await markRefused(ctx.firestore, refused.identity, runId, problem, scope.now());
  await ctx.runs.stageStarted(runId, refused.fileKey, 'fetch', { name: printableName(item.path) });
  await ctx.finishFile(runId, refused.fileKey, 'failed', { stage: 'fetch', error });
  log.warn('file refused', { path: item.path, source: item.source, reason: problem });
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
