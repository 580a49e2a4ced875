// A run's page (RunDetail): the run with every field an operator needs, the error to show first,
// its stages, its files, its lineage, the pipeline's medians and the retry command.
import type { FileRecord, RunRecord } from '../../runtime/run-record';
import type { RunDetail, RunSummary } from '../api-schemas';
import { runErrorOf } from './run-error';
import { retryCommandOf } from './retry-command';
import { isoOf, toRunSummary } from './run-summary';
import { stageViews } from './stage-views';
import { toFileView } from './file-view';

export interface RunDetailParts {
  run: RunRecord;
  files: readonly FileRecord[];
  parent?: RunSummary;
  children: RunSummary[];
  medianStageMs?: Record<string, number>;
  aggregates: boolean;
  now: Date;
}

function scalarDetail(detail: Record<string, unknown> | undefined): Record<string, string | number | boolean> | undefined {
  if (!detail) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(detail)) if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  return out;
}

export function buildRunDetail(parts: RunDetailParts): RunDetail {
  const { run, files } = parts;
  const error = runErrorOf(run, files);
  const fileViews = files.map(toFileView).sort((a, b) => a.name.localeCompare(b.name) || a.fileKey.localeCompare(b.fileKey));
  const listedAt = isoOf(run.dryRun?.listedAt);
  return {
    run: {
      ...toRunSummary(run),
      dates: run.dates ?? [],
      expectedFiles: run.expectedFiles ?? null,
      endedFiles: run.endedFiles ?? 0,
      ...(run.warnings?.length ? { warnings: run.warnings } : {}),
      ...(run.cancel ? { cancel: { requestedBy: run.cancel.requestedBy, requestedAt: isoOf(run.cancel.requestedAt) ?? '' } } : {}),
      ...(run.rerun ? { rerun: run.rerun } : {}),
      ...(run.skippedReason ? { skippedReason: run.skippedReason } : {}),
      ...(run.dryRun ? { dryRun: { items: run.dryRun.items, listedAt: listedAt ?? '' } } : {}),
      ...(run.actions?.length
        ? { actions: run.actions.map((a) => ({ action: a.action, actor: a.actor, at: isoOf(a.at) ?? '', ...(a.detail ? { detail: scalarDetail(a.detail) } : {}) })) }
        : {}),
    },
    ...(error ? { error } : {}),
    stages: stageViews(run, files, { aggregates: parts.aggregates, now: parts.now }),
    files: fileViews,
    ...(parts.parent ? { parent: parts.parent } : {}),
    children: parts.children,
    ...(parts.medianStageMs && Object.keys(parts.medianStageMs).length > 0 ? { medianStageMs: parts.medianStageMs } : {}),
    retryCommand: retryCommandOf(run),
  };
}
