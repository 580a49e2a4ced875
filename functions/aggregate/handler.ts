// The aggregate stage: after a file is loaded, recompute the roll-ups it touched from PostgreSQL (the
// source of truth) and SET them in Firestore, then end the file.
//
// Why concurrent files are safe: two files touching the same date may be aggregated at the same time.
// Each recompute runs under a PostgreSQL advisory lock per (pipeline, aggregate), held from before the
// GROUP BY until after the last Firestore batch committed. The load stage commits a file's rows before
// it publishes `loaded`, so whichever recompute takes the lock second reads (its statements start after
// the lock is granted, READ COMMITTED) every row the first one read plus anything committed since, and
// writes after the first finished writing. The last write is therefore always from the newest read, and
// an older, smaller result can never overwrite a newer one. Replays are harmless for the same reason:
// they recompute and set the same values. (Limit: the lock cannot fence a Firestore commit that an
// instance sent just before it died; such a late write is corrected by the next recompute of that date.)
//
// Why recomputes are not coalesced: in the demo bench a recompute waits 0–26 ms for the lock and takes
// 60–450 ms in all (SQL 3–100 ms, Firestore 12–335 ms), so skipping one would save little and need a
// visibility proof; the seconds the stage used to take were in finishFile (see run-recorder.ts).
import { InvalidMessageError } from '../../shared/errors';
import { loadedMessageSchema, parseMessage, type LoadedMessage } from '../../shared/messages';
import type { AggregateDefinition } from '../../shared/pipeline-definition';
import type { IncomingMessage, StageContext } from '../runtime/context';
import { endIfCancelled } from '../runtime/stage-cancellation';
import { affectedDateRange, type DateRange } from './affected-dates';
import { bucketsCollection, replaceBuckets } from './rollup-documents';
import { computeBuckets, timeColumnKind, type RollupBucket } from './rollup-sql';
import { lockForTransaction } from '../runtime/advisory-lock';
import { toStageError } from '../runtime/postgres/classify-pg-error';
import { databaseBounds } from '../runtime/postgres/database-bounds';
import { withTransaction } from '../runtime/postgres/with-transaction';

export interface AggregateOutcome {
  aggregate: string;
  from?: string;
  to?: string;
  written: number;
  deleted: number;
}

export function decodeLoadedMessage(ctx: StageContext, message: IncomingMessage): LoadedMessage {
  let data: unknown;
  try {
    data = JSON.parse(message.data.toString('utf8'));
  } catch {
    throw new InvalidMessageError('invalid loaded message: data is not JSON');
  }
  const loaded = parseMessage(loadedMessageSchema, data, 'loaded');
  if (loaded.pipeline !== ctx.pipeline.name) throw new InvalidMessageError(`loaded message for pipeline "${loaded.pipeline}" reached "${ctx.pipeline.name}"`);
  return loaded;
}

export async function handleAggregate(ctx: StageContext, message: IncomingMessage): Promise<void> {
  const loaded = decodeLoadedMessage(ctx, message);
  const { runId, fileKey } = loaded;
  const log = ctx.logger.child({ runId, fileKey, table: loaded.table });
  const aggregates = ctx.pipeline.aggregates.filter((a) => a.table === loaded.table);
  if (aggregates.length === 0) {
    log.info('no aggregate reads this table; file done');
    await ctx.finishFile(runId, fileKey, 'loaded', { stage: 'aggregate' });
    return;
  }

  // An operator cancelled the run: its roll-ups are not recomputed for this file (the rows load
  // committed stay; the next file touching those dates recomputes them from PostgreSQL).
  if (await endIfCancelled(ctx, runId, fileKey, 'aggregate', log)) return;
  await ctx.runs.stageStarted(runId, fileKey, 'aggregate');
  const outcomes: AggregateOutcome[] = [];
  for (const aggregate of aggregates) outcomes.push(await rollUp(ctx, loaded, aggregate));
  const buckets = outcomes.reduce((n, o) => n + o.written, 0);
  await ctx.runs.stageSucceeded(runId, fileKey, 'aggregate', { details: { buckets, deleted: outcomes.reduce((n, o) => n + o.deleted, 0), aggregates: outcomes } });
  log.info('roll-ups recomputed', { buckets, aggregates: outcomes });
  await ctx.finishFile(runId, fileKey, 'loaded', { stage: 'aggregate' });
}

async function rollUp(ctx: StageContext, loaded: LoadedMessage, aggregate: AggregateDefinition): Promise<AggregateOutcome> {
  const schema = ctx.pipeline.database.schema;
  const what = `aggregate ${aggregate.name}`;
  try {
    return await withTransaction(await ctx.database(), { bounds: databaseBounds(ctx.stage.timeoutSeconds), what }, async (client) => {
      // Transaction-scoped: released by COMMIT/ROLLBACK, or by the server when this connection dies.
      // Waiting longer than the bound's lock_timeout for another instance's recompute fails transient.
      await lockForTransaction(client, `sluice:aggregate:${ctx.pipeline.name}/${aggregate.name}`);
      const kind = await timeColumnKind(client, schema, aggregate.table, aggregate.time);
      const range: DateRange | null = affectedDateRange(loaded.timeRanges[aggregate.time], aggregate.timeZone, kind !== 'timestamptz');
      if (!range) {
        ctx.logger.info('file has no values in the time column; nothing to recompute', { runId: loaded.runId, aggregate: aggregate.name, column: aggregate.time });
        return { aggregate: aggregate.name, written: 0, deleted: 0 };
      }
      const buckets: RollupBucket[] = [];
      for (const granularity of aggregate.granularities) buckets.push(...(await computeBuckets(client, aggregate, schema, kind, granularity, range)));
      // Still under the lock: the documents are written before anyone else may recompute.
      const result = await replaceBuckets(ctx.firestore, bucketsCollection(ctx.firestore, ctx.pipeline.name, aggregate.name), range, buckets, {
        runId: loaded.runId,
        updatedAt: new Date().toISOString(),
      });
      return { aggregate: aggregate.name, from: range.from, to: range.to, ...result };
    });
  } catch (error) {
    // Firestore errors (numeric gRPC codes) pass through, retried as transient; database ones are sorted.
    if (typeof (error as { code?: unknown }).code === 'number') throw error;
    throw toStageError(error, what);
  }
}
