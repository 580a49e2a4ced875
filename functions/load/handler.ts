// The load stage: StagedMessage → rows in PostgreSQL (once per raw generation, see load-file.ts) →
// raw file archived, staged objects deleted → LoadedMessage to aggregate. Every step after the commit
// is idempotent, so any redelivery or crash ends in the same state: rows once, file archived.
import { InvalidMessageError, isPermanent } from '../../shared/errors';
import { parseMessage, stagedMessageSchema, type LoadedMessage, type ObjectRef, type StagedMessage } from '../../shared/messages';
import { baseName, objectName, parseObjectName } from '../../shared/object-names';
import { rawObjectIdentity } from '../../shared/source-identity';
import type { IncomingMessage, StageContext, StageHandler } from '../runtime/context';
import { databaseBounds } from '../runtime/postgres/database-bounds';
import { archiveRaw, deleteObject } from './archive';
import { FileDataError, StagedObjectGoneError } from './file-data-error';
import { findLoad, type LedgerRow } from './load-ledger';
import { loadFile } from './load-file';
import { readSidecar } from './read-sidecar';
import { unionTimeRanges } from './time-ranges';

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
  await ctx.runs.stageStarted(runId, fileKey, 'load', { name: location.path, raw: message.raw });
  const pool = await ctx.database();

  const source = message.source ?? rawObjectIdentity(message.raw);

  // Moves the raw file to the archive and removes the staged objects: after the commit, and again on
  // every redelivery.
  const cleanUp = async () => {
    const archived = await archiveRaw(rawBucket, message.raw, objectName('archive', location), log);
    await deleteObject(bucket, message.staged.object, message.staged.generation);
    await deleteObject(bucket, message.schemaObject);
    return archived;
  };
  const finish = async (rows: number, timeRanges: LoadedMessage['timeRanges'], details: Record<string, unknown>) => {
    const archived = await cleanUp();
    const loaded: LoadedMessage = {
      v: 1, type: 'sluice.loaded', pipeline: ctx.pipeline.name, runId, fileKey, raw: message.raw, table: rule.table, rule: rule.name, rows, timeRanges,
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
      return endUnapplied('superseded', `a newer version of ${source.id} was loaded before this one arrived`, { supersededBy: ledger.supersededBy });
    }
    if (!sameRaw) {
      return endUnapplied('skipped', `this version of ${source.id} was already loaded from ${ledger.raw.object} (run ${ledger.runId})`, { source: source.id, version: source.version, loadedFrom: ledger.raw.object });
    }
    log.info('file was already loaded by an earlier delivery; finishing', { rows: ledger.rows, loadedAt: ledger.loadedAt, status: ledger.status });
    return finish(ledger.rows, timeRanges, { redelivered: true });
  };
  // No staged data to load: loaded before (finish again) or superseded/quarantined (nothing to do).
  const whenStagedGone = async (why: string) => {
    const ledger = await findLoad(pool, schema, source, message.raw);
    if (ledger) return finishRecorded(ledger, unionTimeRanges([ledger.timeRanges, ...ledger.replacedRanges]));
    log.warn('staged file gone and never loaded: superseded by a newer transform or quarantined; nothing to do', { why });
  };

  const found = await readSidecar(bucket, message.schemaObject);
  if (!found) return whenStagedGone('sidecar missing');
  const { sidecar } = found;
  if (sidecar.staged.generation !== message.staged.generation) return whenStagedGone('sidecar describes another staged generation');

  const quarantine = async (reason: string, row?: number) => {
    const alsoDelete: ObjectRef[] = [message.staged, found.ref];
    log.warn('file quarantined', { reason, row });
    await ctx.quarantine({ runId, fileKey, object: message.raw, alsoDelete, reason: `${baseName(location.path)} (rule ${rule.name}): ${reason}`, row });
  };

  const started = Date.now();
  let result;
  try {
    result = await loadFile({
      pool, schema, rule, message, sidecar, bounds: databaseBounds(ctx.stage.timeoutSeconds),
      // MD5 (OpenSSL) rather than the client's default CRC32C (JavaScript): same end-to-end check, less CPU.
      openStaged: () => bucket.file(message.staged.object, { generation: message.staged.generation }).createReadStream({ validation: 'md5' }),
    });
  } catch (error) {
    if (error instanceof StagedObjectGoneError) return whenStagedGone(error.message);
    if (error instanceof FileDataError) return quarantine(error.message, error.row);
    if (isPermanent(error)) return quarantine((error as Error).message);
    throw error;
  }

  if (result.kind === 'already-loaded') return finishRecorded(result.ledger, result.timeRanges);
  if (result.kind === 'superseded') {
    const by = result.by;
    return endUnapplied('superseded', `a newer version of ${source.id} (${by.source.time ?? by.source.version}) was loaded before this one (${source.time ?? source.version}) arrived`, { supersededBy: by.loadId, newerFrom: by.raw.object });
  }
  const replaced = result.replaced.map((r) => ({ loadId: r.loadId, raw: r.raw.object, version: r.source.version }));
  log.info('file loaded', { rows: result.rows, mode: rule.mode, created: result.changes.created, added: result.changes.added, replaced, removedRows: result.removedRows, ms: Date.now() - started });
  await finish(result.rows, result.timeRanges, {
    mode: rule.mode, created: result.changes.created, columnsAdded: result.changes.added,
    ...(replaced.length > 0 ? { superseded: replaced, removedRows: result.removedRows } : {}),
  });
};

// Same handler under the name the other stages use (handleFetch, handleAggregate).
export const handleLoad = loadHandler;
