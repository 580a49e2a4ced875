// The load stage: StagedMessage → rows in PostgreSQL (once per raw generation, see load-file.ts) →
// raw file archived, staged objects deleted → LoadedMessage to aggregate. Every step after the commit
// is idempotent, so any redelivery or crash ends in the same state: rows once, file archived.
import { InvalidMessageError, isPermanent } from '../../shared/errors';
import { parseMessage, stagedMessageSchema, type LoadedMessage, type ObjectRef, type StagedMessage } from '../../shared/messages';
import { baseName, objectName, parseObjectName } from '../../shared/object-names';
import { rawObjectIdentity } from '../../shared/source-identity';
import type { IncomingMessage, StageContext, StageHandler } from '../runtime/context';
import { endIfCancelled } from '../runtime/stage-cancellation';
import { toStageError } from '../runtime/postgres/classify-pg-error';
import { databaseBounds } from '../runtime/postgres/database-bounds';
import { settleQuarantinedFile } from '../runtime/settle-moved-file';
import { archiveRaw, deleteObject } from './archive';
import { FileDataError, StagedObjectGoneError } from './file-data-error';
import { findLoad, publishedRanges, type LedgerRow } from './load-ledger';
import { loadFile } from './load-file';
import { readSidecar } from './read-sidecar';
import { rejectsTableName } from './rejects/rejects-table';
import { MAX_RETRANSFORMS, requestRetransform } from './retransform';

function decode(message: IncomingMessage): StagedMessage {
  let json: unknown;
  try {
    json = JSON.parse(message.data.toString('utf8'));
  } catch {
    throw new InvalidMessageError('staged message data is not JSON');
  }
  return parseMessage(stagedMessageSchema, json, 'staged');
}

export const loadHandler: StageHandler = async (ctx: StageContext, incoming: IncomingMessage): Promise<void> => {
  const message = decode(incoming);
  if (message.pipeline !== ctx.pipeline.name) throw new InvalidMessageError(`staged message for pipeline "${message.pipeline}" reached ${ctx.pipeline.name}`);
  const location = parseObjectName(message.raw.object);
  if (!location || location.area !== 'raw') throw new InvalidMessageError(`staged message names raw object ${message.raw.object}, which is not in the raw area`);
  const rule = ctx.pipeline.imports.find((r) => r.name === message.rule);
  if (!rule) throw new InvalidMessageError(`staged message names import rule "${message.rule}", which pipeline ${ctx.pipeline.name} does not have`);

  const { runId, fileKey } = message;
  const schema = ctx.pipeline.database.schema;
  const log = ctx.logger.child({ runId, fileKey, raw: message.raw.object, table: `${schema}.${rule.table}` });
  const bucket = ctx.storage.bucket(message.staged.bucket);
  const rawBucket = ctx.storage.bucket(message.raw.bucket);
  // An operator cancelled the run: nothing is loaded for it any more (the staged objects are removed
  // with the run's other leftovers when it ends, functions/notify/cleanup-run.ts).
  if (await endIfCancelled(ctx, runId, fileKey, 'load', log)) return;
  await ctx.runs.stageStarted(runId, fileKey, 'load', { name: location.path, raw: message.raw });
  const pool = await ctx.database();

  const source = message.source ?? rawObjectIdentity(message.raw);
  const bounds = databaseBounds(ctx.stage.timeoutSeconds);

  // Moves the raw file to the archive and removes the staged objects: after the commit, and again on
  // every redelivery.
  const cleanUp = async () => {
    const archived = await archiveRaw(rawBucket, message.raw, objectName('archive', location), log);
    await deleteObject(bucket, message.staged.object, message.staged.generation);
    await deleteObject(bucket, message.schemaObject);
    return archived;
  };
  const finish = async (rows: number, timeRanges: LoadedMessage['timeRanges'], details: Record<string, unknown>, rejected = 0) => {
    const archived = await cleanUp();
    const loaded: LoadedMessage = {
      v: 1, type: 'sluice.loaded', pipeline: ctx.pipeline.name, runId, fileKey, raw: message.raw, table: rule.table, rule: rule.name, rows, timeRanges,
      ...(rejected > 0 ? { rejected } : {}),
    };
    await ctx.publish('aggregate', loaded);
    await ctx.runs.stageSucceeded(runId, fileKey, 'load', { rows, details: { ...details, table: `${schema}.${rule.table}`, archive: archived } });
  };
  // A file this load does not apply: its source version was loaded under another raw name, or a newer
  // version of its source was loaded first. It ends here (no roll-up to recompute).
  const endUnapplied = async (outcome: 'skipped' | 'superseded', reason: string, details: Record<string, unknown>) => {
    log.info(outcome === 'skipped' ? 'source version already loaded under another raw name; not loading it again' : 'a newer version of this source was loaded; not applying this one', { reason, ...details });
    const archived = await cleanUp();
    await ctx.runs.stageSucceeded(runId, fileKey, 'load', { rows: 0, details: { ...details, [outcome]: reason, table: `${schema}.${rule.table}`, archive: archived } });
    await ctx.finishFile(runId, fileKey, outcome, { stage: 'load', error: reason });
  };
  // The ledger already has this source version: finish as the first delivery did.
  const finishRecorded = async (ledger: LedgerRow, timeRanges: LoadedMessage['timeRanges']) => {
    const sameRaw = ledger.raw.object === message.raw.object && ledger.raw.generation === message.raw.generation;
    if (ledger.status === 'superseded') {
      return endUnapplied('superseded', `a newer file (load ${ledger.supersededBy}) was loaded into ${schema}.${rule.table} before this version of ${source.id} arrived`, { supersededBy: ledger.supersededBy });
    }
    if (!sameRaw) {
      return endUnapplied('skipped', `this version of ${source.id} was already loaded from ${ledger.raw.object} (run ${ledger.runId})`, { source: source.id, version: source.version, loadedFrom: ledger.raw.object });
    }
    log.info('file was already loaded by an earlier delivery; finishing', { rows: ledger.rows, loadedAt: ledger.loadedAt, status: ledger.status });
    return finish(ledger.rows, timeRanges, { redelivered: true, mode: rule.mode, ...(ledger.counts ?? {}) });
  };
  // No staged data to load. Loaded before: finish again. Otherwise, when the staged data is lost (not
  // merely replaced by a newer transform's), the file is transformed again from the raw object, or
  // fails with the reason when that is gone too or was tried too often — never acknowledged as done.
  const whenStagedGone = async (why: string, lost: boolean) => {
    // Through the one PostgreSQL classifier: a definition error (42xxx) must not retry until the attempts run out.
    const ledger = await findLoad(pool, schema, source, message.raw).catch((error: unknown) => { throw toStageError(error, `load ledger of ${schema}`); });
    if (ledger) return finishRecorded(ledger, publishedRanges(ledger));
    if (!lost) {
      log.info('staged file replaced by a newer transform of the same raw file; nothing to do', { why });
      return;
    }
    // An earlier delivery quarantined the file (which deletes the staged data) and may have died before
    // ending it: finish that instead of treating the data as lost.
    if ((await settleQuarantinedFile(ctx, runId, fileKey, location)) === 'quarantine-settled') {
      log.info('file was quarantined by an earlier delivery; ended it', { why });
      return;
    }
    const outcome = await requestRetransform(ctx, pool, schema, message.raw, bounds);
    if (outcome.kind === 'requested') {
      log.warn('staged data gone before it was loaded; transforming the raw file again', { why, retransform: outcome.count });
      await ctx.runs.stageFailed(runId, fileKey, 'load', `staged data gone (${why}); transforming the raw file again (${outcome.count} of ${MAX_RETRANSFORMS})`);
      return;
    }
    const error = outcome.kind === 'raw-gone'
      ? `staged data gone (${why}) before it was loaded, and the raw file ${message.raw.object} (generation ${message.raw.generation}) no longer exists`
      : `staged data gone (${why}) before it was loaded, after transforming the raw file again ${outcome.count} times`;
    log.error('file failed: staged data lost', { why, outcome: outcome.kind });
    await ctx.finishFile(runId, fileKey, 'failed', { stage: 'load', error });
  };

  const found = await readSidecar(bucket, message.schemaObject);
  if (!found) return whenStagedGone('sidecar missing', true);
  const { sidecar } = found;
  if (sidecar.staged.generation !== message.staged.generation) return whenStagedGone('sidecar describes another staged generation', false);

  const quarantine = async (reason: string, row?: number) => {
    const alsoDelete: ObjectRef[] = [message.staged, found.ref];
    log.warn('file quarantined', { reason, row });
    await ctx.quarantine({ runId, fileKey, object: message.raw, alsoDelete, reason: `${baseName(location.path)} (rule ${rule.name}): ${reason}`, row });
  };

  const started = Date.now();
  let result;
  try {
    result = await loadFile({
      pool, schema, rule, message, sidecar, bounds,
      // MD5 (OpenSSL) rather than the client's default CRC32C (JavaScript): same end-to-end check, less CPU.
      openStaged: () => bucket.file(message.staged.object, { generation: message.staged.generation }).createReadStream({ validation: 'md5' }),
    });
  } catch (error) {
    if (error instanceof StagedObjectGoneError) return whenStagedGone(error.message, true);
    if (error instanceof FileDataError) return quarantine(error.message, error.row);
    if (isPermanent(error)) return quarantine((error as Error).message);
    throw error;
  }

  if (result.kind === 'already-loaded') return finishRecorded(result.ledger, result.timeRanges);
  if (result.kind === 'superseded') {
    const by = result.by;
    const reason = result.scope === 'source'
      ? `a newer version of ${source.id} (${by.source.time ?? by.source.version}) was loaded before this one (${source.time ?? source.version}) arrived`
      // The mode's ordering guard: a late file never overwrites a newer one (a Monday snapshot after Tuesday's).
      : `${schema}.${rule.table} already holds a newer file (${by.source.id}, ${by.source.time}) than this one (${source.time}); a ${rule.mode} of an older file is not applied`;
    return endUnapplied('superseded', reason, { supersededBy: by.loadId, newerFrom: by.raw.object, scope: result.scope });
  }
  const replaced = result.replaced.map((r) => ({ loadId: r.loadId, raw: r.raw.object, version: r.source.version }));
  const { changes, rejected } = result;
  log.info('file loaded', { rows: result.rows, mode: rule.mode, ...result.counts, created: changes.created, added: changes.added, widened: changes.widened, replaced, removedRows: result.removedRows, ms: Date.now() - started });
  await finish(result.rows, result.timeRanges, {
    mode: rule.mode, ...result.counts, created: changes.created, columnsAdded: changes.added,
    ...(changes.widened.length > 0 ? { columnsWidened: changes.widened } : {}),
    ...(rejected > 0 ? { rejectsTable: `${schema}.${rejectsTableName(rule.table)}` } : {}),
    ...(replaced.length > 0 ? { superseded: replaced, removedRows: result.removedRows } : {}),
  }, rejected);
};

// Same handler under the name the other stages use (handleFetch, handleAggregate).
export const handleLoad = loadHandler;
