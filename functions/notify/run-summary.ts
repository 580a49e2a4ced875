// The short run summary every report and alert carries: file outcomes, rows, and how long each stage took.
import type { FileOutcome } from '../runtime/context';
import type { FileRecord, RunRecord, StageTiming } from '../runtime/run-record';
import { escapeHtml, htmlTable, textTable } from './html';

export interface StageTimingSummary {
  stage: string;
  // Files (or, for run-level stages, 1) with a start and an end recorded.
  timed: number;
  totalSeconds: number;
  longestSeconds: number;
}

export interface RunSummary {
  runId: string;
  pipeline: string;
  status: string;
  runDate: string;
  files: Record<FileOutcome, number> & { total: number };
  rows: number;
  durationSeconds?: number;
  stages: StageTimingSummary[];
  // What the source did not deliver (RunRecord.warnings).
  warnings: string[];
}

const OUTCOMES: FileOutcome[] = ['loaded', 'skipped', 'superseded', 'quarantined', 'failed', 'expanded', 'cancelled'];
const STAGE_ORDER = ['fetch', 'transform', 'load', 'aggregate', 'notify'];

function seconds(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

// The date a run is about: its export date(s), else the day it started.
export function runDateOf(run: Pick<RunRecord, 'dates' | 'createdAt'>): string {
  if (run.dates?.length) return run.dates.length === 1 ? run.dates[0]! : `${[...run.dates].sort()[0]}..${[...run.dates].sort().at(-1)}`;
  return (run.createdAt ?? new Date().toISOString()).slice(0, 10);
}

export function summarizeRun(run: RunRecord, files: FileRecord[]): RunSummary {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, run.counts?.[o] ?? files.filter((f) => f.status === o).length])) as Record<FileOutcome, number>;
  const timings = new Map<string, StageTimingSummary>();
  const addTiming = (stage: string, timing: StageTiming | undefined) => {
    const s = seconds(timing?.startedAt, timing?.endedAt);
    if (s === undefined) return;
    const entry = timings.get(stage) ?? { stage, timed: 0, totalSeconds: 0, longestSeconds: 0 };
    entry.timed += 1;
    entry.totalSeconds += s;
    entry.longestSeconds = Math.max(entry.longestSeconds, s);
    timings.set(stage, entry);
  };
  for (const [stage, timing] of Object.entries(run.stages ?? {})) addTiming(stage, timing);
  for (const file of files) for (const [stage, timing] of Object.entries(file.stages ?? {})) addTiming(stage, timing);
  const stages = [...timings.values()].sort((a, b) => STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage));
  const duration = seconds(run.createdAt, run.finishedAt ?? run.completedAt);
  return {
    runId: run.runId,
    pipeline: run.pipeline,
    status: run.status,
    runDate: runDateOf(run),
    files: { ...counts, total: OUTCOMES.reduce((n, o) => n + counts[o], 0) },
    rows: files.filter((f) => f.status === 'loaded').reduce((n, f) => n + (typeof f.rows === 'number' ? f.rows : 0), 0),
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    stages,
    warnings: run.warnings ?? [],
  };
}

const round = (s: number) => Math.round(s * 10) / 10;

function stageRows(summary: RunSummary): Array<Record<string, unknown>> {
  return summary.stages.map((s) => ({ stage: s.stage, timed: s.timed, 'total s': round(s.totalSeconds), 'longest s': round(s.longestSeconds) }));
}

const STAGE_COLUMNS = ['stage', 'timed', 'total s', 'longest s'];

// Said in so many words, so a report over a run that found nothing is never read as fresh data.
export function nothingNewLine(summary: RunSummary): string | undefined {
  if (summary.status !== 'no-new-data') return undefined;
  return summary.files.skipped > 0
    ? `Nothing new: all ${summary.files.skipped} file(s) this run saw had already been fetched by earlier runs; no rows were loaded.`
    : 'Nothing new: the source offered no file for this run; no rows were loaded.';
}

// An expanded archive is not data itself: its members are counted as files of their own.
function filesLine(summary: RunSummary): string {
  const f = summary.files;
  const archives = f.expanded > 0 ? ` (${f.expanded} archive(s) expanded into their members)` : '';
  return `Files: ${f.loaded} loaded, ${f.skipped} skipped, ${f.quarantined} quarantined, ${f.failed} failed${archives}. Rows loaded: ${summary.rows}.`;
}

export function summaryHtml(summary: RunSummary): string {
  const lines = [
    `<h3>Run summary</h3>`,
    `<p>Pipeline <b>${escapeHtml(summary.pipeline)}</b>, run <code>${escapeHtml(summary.runId)}</code> for ${escapeHtml(summary.runDate)}: <b>${escapeHtml(summary.status)}</b>` +
      (summary.durationSeconds !== undefined ? ` in ${round(summary.durationSeconds)} s` : '') + '.</p>',
    `<p>${escapeHtml(filesLine(summary))}</p>`,
  ];
  const nothingNew = nothingNewLine(summary);
  if (nothingNew) lines.push(`<p><b>${escapeHtml(nothingNew)}</b></p>`);
  if (summary.warnings.length) lines.push(`<p><b>Warning:</b></p>\n<ul>${summary.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  if (summary.stages.length) lines.push(htmlTable(STAGE_COLUMNS, stageRows(summary)));
  return lines.join('\n');
}

export function summaryText(summary: RunSummary): string {
  const lines = [
    `Run summary: pipeline ${summary.pipeline}, run ${summary.runId} for ${summary.runDate}: ${summary.status}` +
      (summary.durationSeconds !== undefined ? ` in ${round(summary.durationSeconds)} s` : '') + '.',
    filesLine(summary),
  ];
  const nothingNew = nothingNewLine(summary);
  if (nothingNew) lines.push(nothingNew);
  for (const warning of summary.warnings) lines.push(`Warning: ${warning}`);
  if (summary.stages.length) lines.push('', textTable(STAGE_COLUMNS, stageRows(summary)));
  return lines.join('\n');
}
