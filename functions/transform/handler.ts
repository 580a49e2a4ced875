// The transform stage: a raw object finalized in the bucket (CSV, a workbook, an HTML table) → normalized CSV + sidecar in the staged
// area → a StagedMessage to load. Files that can never be read are quarantined (and the message
// acknowledged); storage trouble is thrown so Pub/Sub redelivers. A redelivery rewrites the same
// staged objects and publishes again; load keeps one load per raw generation.
import type { StagedMessage } from '../../shared/messages';
import { readSourceIdentity } from '../../shared/source-identity';
import { baseName, fileKeyOf } from '../../shared/object-names';
import type { IncomingMessage, StageContext, StageHandler } from '../runtime/context';
import { endIfCancelled } from '../runtime/stage-cancellation';
import { settleQuarantinedFile } from '../runtime/settle-moved-file';
import { expandIfArchive } from './archives/expand-into-run';
import { isMalformedFileError } from './malformed-file-error';
import { allowedImportRules } from './allowed-import-rules';
import { matchImportRule, noRuleReason } from './match-import-rule';
import { parseObjectEvent } from './parse-object-event';
import { newStagedToken, RawObjectGoneError, writeStaged } from './write-staged';
import { STAGED_MESSAGE_DETAIL } from '../runtime/staged-for-rerun';

export interface TransformOptions {
  resumableThresholdBytes?: number;
  maxRecordChars?: number;
}

export function createTransformHandler(options: TransformOptions = {}): StageHandler {
  return async (ctx: StageContext, message: IncomingMessage): Promise<void> => {
    const outcome = parseObjectEvent(message.attributes, message.data, ctx.pipeline.name);
    if (outcome.kind === 'ignore') {
      ctx.logger.info('storage event ignored', { reason: outcome.reason, messageId: message.messageId });
      return;
    }
    const { raw, location, size } = outcome.event;
    const { runId } = location;
    const fileKey = fileKeyOf(location.path);
    const log = ctx.logger.child({ runId, fileKey, object: raw.object, generation: raw.generation });
    // An operator cancelled the run: this file goes no further (its raw object stays for a rerun).
    if (await endIfCancelled(ctx, runId, fileKey, 'transform', log)) return;
    const token = newStagedToken();
    await ctx.runs.stageStarted(runId, fileKey, 'transform', { name: location.path, raw, stagedToken: token });

    // Archives (.gz, a .zip that is no workbook), told by their first bytes, are expanded into raw
    // objects of their own members, which come back here one by one (functions/transform/archives/).
    if (await expandIfArchive(ctx, { raw, location }, log)) return;

    const fileName = baseName(location.path);
    const allowed = await allowedImportRules(ctx.storage.bucket(raw.bucket), raw, message.data);
    const rule = matchImportRule(ctx.pipeline.imports, fileName, allowed);
    if (!rule) {
      const reason = noRuleReason(ctx.pipeline.imports, fileName, allowed);
      log.warn('file quarantined', { reason });
      await ctx.quarantine({ runId, fileKey, object: raw, reason });
      return;
    }

    const started = Date.now();
    let result;
    try {
      result = await writeStaged({
        bucket: ctx.storage.bucket(raw.bucket),
        raw,
        rawSize: size,
        location,
        rule,
        token,
        resumableThresholdBytes: options.resumableThresholdBytes,
        csv: { maxRecordChars: options.maxRecordChars },
      });
    } catch (error) {
      if (isMalformedFileError(error)) {
        const reason = `${fileName} (rule ${rule.name}): ${error.message}`;
        log.warn('file quarantined', { reason, row: error.row });
        await ctx.quarantine({ runId, fileKey, object: raw, reason, row: error.row });
        return;
      }
      if (error instanceof RawObjectGoneError) {
        // That generation is gone: quarantined by an earlier delivery (which may have died before
        // ending the file or announcing the run's end: finish that), or loaded and archived (load's
        // own redeliveries finish that file).
        const settled = await settleQuarantinedFile(ctx, runId, fileKey, location);
        log.info('raw object generation no longer exists; nothing to transform', { settled });
        return;
      }
      throw error;
    }

    if (result.kind === 'archive') {
      // Archives never get here: expandIfArchive above expanded them (told by the central directory,
      // which the first bytes writeStaged sees cannot show). What does is a zip package that the
      // expansion left as a document (an OOXML or ODF package) but whose first entry does not say
      // which workbook it is, or a document that is not a workbook at all (.docx, .pptx).
      const what = result.archive === 'gzip' ? 'gzip-compressed data' : 'a zip package (an Office document?)';
      const reason = `${fileName} (rule ${rule.name}): the file is ${what} that is not a workbook Sluice can tell (xlsx, xlsb, ods); if it is one, declare the rule's format`;
      log.warn('file quarantined', { reason });
      await ctx.quarantine({ runId, fileKey, object: raw, reason });
      return;
    }

    const staged: StagedMessage = {
      v: 1,
      type: 'sluice.staged',
      pipeline: ctx.pipeline.name,
      runId,
      fileKey,
      raw,
      staged: result.staged,
      schemaObject: result.schemaObject,
      rule: rule.name,
      table: rule.table,
      rows: result.sidecar.rows,
      source: await readSourceIdentity(ctx.storage.bucket(raw.bucket), raw),
    };
    await ctx.publish('load', staged);
    log.info('file transformed', {
      rule: rule.name, rows: result.sidecar.rows, columns: result.sidecar.columns.length, parse: result.facts, ms: Date.now() - started,
    });
    await ctx.runs.stageSucceeded(runId, fileKey, 'transform', {
      rows: result.sidecar.rows,
      details: {
        rule: rule.name, table: rule.table, staged: result.staged.object, columns: result.sidecar.columns.map((c) => `${c.name}:${c.type}`),
        // How the source was read (format, and what the name said when it differs; encoding, delimiter, sheet…).
        parse: result.facts,
        // The message as published, for a rerun from load (functions/runtime/staged-for-rerun.ts).
        [STAGED_MESSAGE_DETAIL]: staged,
      },
    });
  };
}

export const transformHandler: StageHandler = createTransformHandler();
// Same handler under the name the other stages use (handleFetch, handleAggregate).
export const handleTransform = transformHandler;
