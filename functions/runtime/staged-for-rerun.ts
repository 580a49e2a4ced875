// What a rerun from load reuses: transform records on the file the whole staged message it published
// (under this detail of its stage), and a file whose load failed keeps the staged objects that message
// names past its run's end (functions/notify/cleanup-run.ts), so an operator can load it again once
// the cause is fixed (functions/ops/controls/rerun.ts) without transforming it again. The staged
// area's lifecycle rule (infra/storage.ts, sluice:stagedRetentionDays, 7 days by default) deletes
// them in the end.
import { stagedMessageSchema, type StagedMessage } from '../../shared/messages';
import type { FileRecord } from './run-record';

export const STAGED_MESSAGE_DETAIL = 'stagedMessage';

// The staged message transform published for this file, if it recorded one (older records did not).
export function recordedStagedMessage(file: FileRecord): StagedMessage | undefined {
  const parsed = stagedMessageSchema.safeParse(file.stages.transform?.details?.[STAGED_MESSAGE_DETAIL]);
  return parsed.success ? parsed.data : undefined;
}

// A file that ended failed in load: its staged objects are what a rerun from load reuses.
export function keepsStagedForRerun(file: FileRecord): boolean {
  return file.status === 'failed' && file.error?.stage === 'load' && recordedStagedMessage(file) !== undefined;
}

// The staged objects (data and sidecar) a file keeps for a rerun from load; none for any other file.
export function stagedObjectsKept(file: FileRecord): string[] {
  const message = keepsStagedForRerun(file) ? recordedStagedMessage(file) : undefined;
  return message ? [message.staged.object, message.schemaObject] : [];
}
