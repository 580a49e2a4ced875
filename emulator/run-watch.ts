// Waits for a run to end (its record final and its notifications sent) through the RunStore's live
// view of its document, and renders its stage timeline for a person to read.
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreRunStore } from '../functions/runtime/firestore-run-store';
import { isTerminal, type FileRecord, type RunRecord } from '../functions/runtime/run-record';
import type { StageName } from '../shared/stage-declaration';

export interface FinishedRun {
  run: RunRecord;
  files: FileRecord[];
}

// A run is over for its watcher once its status is final and notify has sent what it owes (which
// notify records as notifications.doneAt, whatever reports and alerts that meant; a run recorded as
// paused owes nothing and has it from the start).
export function runIsOver(run: RunRecord): boolean {
  return isTerminal(run.status) && Boolean(run.notifications?.doneAt);
}

// `until` replaces runIsOver, for watchers that expect a run to end without notify finishing (a fault
// that keeps the database away from the report queries for good).
export function waitForRun(firestore: Firestore, runId: string, options: { timeoutMs?: number; until?: (run: RunRecord) => boolean } = {}): Promise<FinishedRun> {
  const over = options.until ?? runIsOver;
  const runs = createFirestoreRunStore(firestore);
  return new Promise((resolve, reject) => {
    let settled = false;
    let last: RunRecord | undefined;
    const timer = setTimeout(() => {
      settled = true;
      unsubscribe();
      const seen = last
        ? `last seen: status ${last.status}, expected ${last.expectedFiles}, ended ${last.endedFiles}, counts ${JSON.stringify(last.counts)}, notifications ${JSON.stringify(last.notifications ?? {})}`
        : 'no record seen';
      reject(new Error(`run ${runId} did not finish within ${options.timeoutMs ?? 120_000} ms (${seen})`));
    }, options.timeoutMs ?? 120_000);
    const unsubscribe = runs.watchRun(
      runId,
      (run) => {
        last = run ?? last;
        if (settled || !run || !over(run)) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        runs.getFiles(runId).then((files) => resolve({ run, files }), reject);
      },
      (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

const STAGES: StageName[] = ['fetch', 'transform', 'load', 'aggregate'];

function duration(startedAt?: string, endedAt?: string): string {
  if (!startedAt || !endedAt) return '-';
  return `${Date.parse(endedAt) - Date.parse(startedAt)} ms`;
}

// A plain-text table: one line per file, one column per stage with its duration and attempts.
export function renderTimeline({ run, files }: FinishedRun): string {
  const header = ['file', 'status', 'rows', ...STAGES];
  const rows = files
    .slice()
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))
    .map((f) => [
      f.name ?? f.fileKey,
      f.status,
      f.rows === undefined ? '-' : String(f.rows),
      ...STAGES.map((s) => {
        const t = f.stages?.[s];
        if (!t) return '-';
        return `${duration(t.startedAt, t.endedAt)}${t.attempts > 1 ? ` ×${t.attempts}` : ''}`;
      }),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const total = run.finishedAt ? `${Date.parse(run.finishedAt) - Date.parse(run.createdAt)} ms` : '-';
  const problems = files
    .filter((f) => f.error)
    .map((f) => `  ${f.name ?? f.fileKey}: ${f.error?.stage ?? ''} ${f.error?.row !== undefined ? `row ${f.error.row}: ` : ''}${f.error?.message}`);
  return [
    `run ${run.runId} (${run.pipeline}, ${run.trigger}): ${run.status} in ${total}; ` +
      `loaded ${run.counts.loaded}, skipped ${run.counts.skipped}, quarantined ${run.counts.quarantined}, failed ${run.counts.failed}` +
      (run.counts.expanded ? `, archives expanded ${run.counts.expanded}` : ''),
    line(header),
    ...rows.map(line),
    ...(problems.length ? ['problems:', ...problems] : []),
    ...(run.error ? [`run error in ${run.error.stage}: ${run.error.message}`] : []),
  ].join('\n');
}
