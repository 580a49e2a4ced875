// A run's stages over all its files, for the run page's timeline: per stage how many files entered
// it, are in it, are done and failed in it; the attempts; its first start and last end; how long
// it was busy (runningMs: first start → last end, or now) and how long the run waited before it
// (queuedMs: the previous stage's first end, or the run's start, → this stage's first start).
import { isTerminal, type FileRecord, type RunRecord, type StageTiming } from '../../runtime/run-record';
import type { StageView } from '../api-schemas';
import { stageOfFile } from './file-view';
import { isoOf } from './run-summary';

type FileStage = 'fetch' | 'transform' | 'load' | 'aggregate';
const FILE_STAGES: readonly FileStage[] = ['fetch', 'transform', 'load', 'aggregate'];

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
const minOf = (values: Array<number | undefined>) => values.reduce<number | undefined>((m, v) => (v === undefined ? m : m === undefined ? v : Math.min(m, v)), undefined);
const maxOf = (values: Array<number | undefined>) => values.reduce<number | undefined>((m, v) => (v === undefined ? m : m === undefined ? v : Math.max(m, v)), undefined);
const iso = (n: number | undefined) => (n === undefined ? undefined : new Date(n).toISOString());

function fileStageView(stage: FileStage, run: RunRecord, files: readonly FileRecord[], previousFirstEnd: number | undefined, now: number): StageView {
  const entered = files.filter((f) => f.stages?.[stage]);
  const timing = (f: FileRecord) => f.stages[stage] as StageTiming;
  const listing = stage === 'fetch' ? run.stages?.fetch : undefined;
  const done = entered.filter((f) => timing(f).endedAt);
  const failedFiles = files.filter((f) => (f.status === 'failed' || f.status === 'quarantined') && stageOfFile(f) === stage && !f.stages?.[stage]?.endedAt);
  const running = entered.filter((f) => !timing(f).endedAt && (f.status === 'pending' || f.status === undefined));
  const listingRunning = listing !== undefined && !listing.endedAt && !isTerminal(run.status);
  const startedAt = minOf([...entered.map((f) => ms(isoOf(timing(f).startedAt))), ms(isoOf(listing?.startedAt))]);
  const busy = running.length > 0 || listingRunning;
  const endedAt = busy || (entered.length === 0 && failedFiles.length === 0 && !listing?.endedAt)
    ? undefined
    : maxOf([...entered.map((f) => ms(isoOf(timing(f).endedAt))), ...failedFiles.map((f) => ms(isoOf(f.endedAt))), ms(isoOf(listing?.endedAt))]);
  const rows = entered.reduce<number | undefined>((sum, f) => (timing(f).rows === undefined ? sum : (sum ?? 0) + (timing(f).rows ?? 0)), undefined);
  const attempts = entered.reduce((sum, f) => sum + (timing(f).attempts ?? 0), 0) + (listing?.attempts ?? 0);
  const status: StageView['status'] = failedFiles.length > 0 ? 'failed'
    : busy ? 'running'
    : entered.length > 0 || listing?.endedAt ? 'done'
    : isTerminal(run.status) ? 'skipped'
    : 'waiting';
  return {
    stage,
    status,
    files: { total: entered.length, running: running.length, done: done.length, failed: failedFiles.length },
    attempts,
    ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
    ...(endedAt !== undefined ? { endedAt: iso(endedAt) } : {}),
    ...(startedAt !== undefined && previousFirstEnd !== undefined ? { queuedMs: Math.max(0, startedAt - previousFirstEnd) } : {}),
    ...(startedAt !== undefined ? { runningMs: Math.max(0, (endedAt ?? now) - startedAt) } : {}),
    ...(rows !== undefined ? { rows } : {}),
  };
}

function notifyView(run: RunRecord, now: number): StageView {
  const started = ms(isoOf(run.completedAt) ?? isoOf(run.finishedAt));
  const ended = ms(isoOf(run.notifications?.doneAt));
  const status: StageView['status'] = ended !== undefined ? 'done' : started !== undefined && isTerminal(run.status) ? (run.notifyPending ? 'running' : 'skipped') : 'waiting';
  return {
    stage: 'notify',
    status,
    files: { total: 0, running: 0, done: 0, failed: 0 },
    attempts: run.stages?.notify?.attempts ?? 0,
    ...(started !== undefined ? { startedAt: iso(started) } : {}),
    ...(ended !== undefined ? { endedAt: iso(ended) } : {}),
    ...(started !== undefined ? { runningMs: Math.max(0, (ended ?? now) - started) } : {}),
  };
}

export function stageViews(run: RunRecord, files: readonly FileRecord[], options: { aggregates: boolean; now: Date }): StageView[] {
  const now = options.now.getTime();
  const views: StageView[] = [];
  let previousFirstEnd = ms(isoOf(run.startedAt) ?? isoOf(run.createdAt));
  for (const stage of FILE_STAGES) {
    if (stage === 'aggregate' && !options.aggregates && !files.some((f) => f.stages?.aggregate)) continue;
    const view = fileStageView(stage, run, files, previousFirstEnd, now);
    views.push(view);
    // The next stage could start once this one's first file was through it.
    const firstEnd = minOf(files.map((f) => ms(isoOf(f.stages?.[stage]?.endedAt))));
    if (firstEnd !== undefined) previousFirstEnd = firstEnd;
  }
  views.push(notifyView(run, now));
  return views;
}
