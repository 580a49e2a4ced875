// The one error a run page shows first: the run's own (a failure no file got past), else its first
// failed file's, else its first quarantined file's — with the stage, the file, the row and the
// attempt it happened on.
import type { FileRecord, RunRecord } from '../../runtime/run-record';
import type { RunDetail } from '../api-schemas';
import { stageOfFile } from './file-view';

type RunError = NonNullable<RunDetail['error']>;

function fileError(file: FileRecord): RunError | undefined {
  const message = file.error?.message ?? (file.status === 'quarantined' ? (file.skippedReason ?? `quarantined as ${file.quarantinedAs ?? 'unknown'}`) : undefined);
  if (!message) return undefined;
  const stage = stageOfFile(file) ?? 'fetch';
  const attempt = file.stages?.[stage as keyof FileRecord['stages']]?.attempts;
  return {
    stage,
    message,
    file: file.name ?? file.fileKey,
    ...(file.error?.row !== undefined ? { row: file.error.row } : {}),
    ...(attempt !== undefined ? { attempt } : {}),
  };
}

const endedAtOf = (f: FileRecord) => String(f.endedAt ?? '');

export function runErrorOf(run: RunRecord, files: readonly FileRecord[]): RunError | undefined {
  if (run.error) {
    const attempt = run.stages?.[run.error.stage as keyof RunRecord['stages']]?.attempts;
    return { stage: run.error.stage, message: run.error.message, ...(attempt !== undefined ? { attempt } : {}) };
  }
  for (const status of ['failed', 'quarantined'] as const) {
    const first = files.filter((f) => f.status === status).sort((a, b) => endedAtOf(a).localeCompare(endedAtOf(b)))[0];
    const error = first && fileError(first);
    if (error) return error;
  }
  return undefined;
}
