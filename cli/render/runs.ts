// Runs as tables and as the one-run page of `sluice runs get`: the error first (stage, file, row,
// message), then stages, files, lineage and the command that retries it.
import type { RunDetail, RunSummary } from '../../functions/ops/api-schemas';
import { statusColor, type Output } from '../output';
import { formatDuration, formatTime } from '../time-format';

const num = (n: number | undefined): string => (n === undefined ? '' : n.toLocaleString('en-US'));
const oneLine = (text: string | undefined, max = 80): string => {
  if (text === undefined) return '';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export function runsTable(out: Output, runs: readonly RunSummary[]): void {
  const c = out.color;
  out.table(
    ['RUN', 'PIPELINE', 'STATUS', 'TRIGGER', 'STARTED', 'DURATION', 'ROWS', 'FAILED STAGE', 'ERROR'],
    runs.map((r) => [
      r.runId, r.pipeline, statusColor(r.status, c), r.trigger, formatTime(r.startedAt, out.time), formatDuration(r.durationMs),
      num(r.rows), r.failedStage ?? '', c.red(oneLine(r.errorSummary, 60)),
    ]),
  );
}

export function runDetailText(out: Output, detail: RunDetail): void {
  const c = out.color;
  const { run } = detail;
  const lines: string[] = [];
  const by = run.actor ? ` by ${run.actor}` : '';
  lines.push(`${c.bold(run.runId)}  ${run.pipeline}  ${statusColor(run.status, c)}  (${run.trigger}${by})`);
  const facts = [
    `started ${formatTime(run.startedAt, out.time)}`,
    run.finishedAt ? `finished ${formatTime(run.finishedAt, out.time)}` : '',
    run.durationMs !== undefined ? `took ${formatDuration(run.durationMs)}` : '',
    run.rows !== undefined ? `${num(run.rows)} rows` : '',
    run.logicalDate ? `for ${run.logicalDate}` : '',
    `files ${run.endedFiles}/${run.expectedFiles ?? '?'} ended`,
  ].filter(Boolean);
  lines.push(facts.join('  ·  '));
  if (detail.error) {
    const e = detail.error;
    const where = [e.stage, e.file, e.row !== undefined ? `row ${e.row}` : '', e.attempt !== undefined ? `attempt ${e.attempt}` : ''].filter(Boolean).join(' · ');
    lines.push(`${c.red(c.bold('error'))}  ${where}: ${e.message}`);
  }
  if (run.cancel) lines.push(`cancel requested by ${run.cancel.requestedBy} at ${formatTime(run.cancel.requestedAt, out.time, true)}`);
  if (run.skippedReason) lines.push(`skipped: ${run.skippedReason}`);
  for (const warning of run.warnings ?? []) lines.push(`${c.yellow('warning')}  ${warning}`);
  if (run.rerun) lines.push(`rerun of ${run.rerun.of}: ${run.rerun.files} files from ${run.rerun.fromStage}`);
  if (run.status === 'failed' || run.status === 'partial') lines.push(`retry  ${detail.retryCommand}`);
  out.data(lines.join('\n'));

  out.data('');
  out.table(
    ['STAGE', 'STATUS', 'FILES', 'RUNNING', 'DONE', 'FAILED', 'ATTEMPTS', 'ROWS', 'STARTED', 'TIME'],
    detail.stages.map((s) => [
      s.stage, statusColor(s.status, c), String(s.files.total), String(s.files.running), String(s.files.done), String(s.files.failed),
      String(s.attempts), num(s.rows), formatTime(s.startedAt, out.time, true), formatDuration(s.runningMs),
    ]),
  );
  if (detail.files.length > 0) {
    out.data('');
    out.table(
      ['FILE', 'STATUS', 'STAGE', 'TABLE', 'ROWS', 'REASON'],
      detail.files.map((f) => [f.name, statusColor(f.status, c), f.stage ?? '', f.table ?? '', num(f.rows), oneLine(f.reason, 70)]),
    );
  }
  if (run.dryRun) {
    out.data('');
    out.data(`dry run, listed ${formatTime(run.dryRun.listedAt, out.time, true)}: ${run.dryRun.items.length} file(s) would be fetched`);
    out.table(['NAME', 'SIZE', 'KEY'], run.dryRun.items.map((i) => [i.name, num(i.size), i.key]));
  }
  const lineage = [
    detail.parent ? `parent ${detail.parent.runId} (${detail.parent.status})` : '',
    detail.children.length > 0 ? `reruns ${detail.children.map((r) => `${r.runId} (${r.status})`).join(', ')}` : '',
  ].filter(Boolean);
  if (lineage.length > 0) {
    out.data('');
    out.data(`lineage  ${lineage.join('  ·  ')}`);
  }
  if (run.actions && run.actions.length > 0) {
    out.data('');
    out.table(['ACTION', 'BY', 'AT', 'DETAIL'], run.actions.map((a) => [
      a.action, a.actor, formatTime(a.at, out.time, true), Object.entries(a.detail ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' '),
    ]));
  }
}
