// A run in progress as `sluice runs watch` shows it: one line for the run, one per stage with its
// files (done/total, running, failed) and rows. The same lines serve the live redraw on a TTY and,
// compared with the previous ones, the one-line-per-change log otherwise.
import type { RunDetail, StageView } from '../../functions/ops/api-schemas';
import { statusColor, type Colors } from '../output';
import { formatDuration } from '../time-format';

export function runLine(detail: RunDetail, c: Colors): string {
  const r = detail.run;
  const rows = r.rows !== undefined ? `  ${r.rows.toLocaleString('en-US')} rows` : '';
  return `run ${r.runId} (${r.pipeline})  ${statusColor(r.status, c)}  files ${r.endedFiles}/${r.expectedFiles ?? '?'} ended${rows}`;
}

// Padded before colouring: escape codes have no width.
const padded = (status: string, width: number, c: Colors): string => statusColor(status, c) + ' '.repeat(Math.max(0, width - status.length));

// withTime: the live view shows how long each stage has run; the change log leaves it out, or every
// poll would be a change.
export function stageLine(s: StageView, c: Colors, withTime = true): string {
  const files = `files ${s.files.done}/${s.files.total}`;
  const running = s.files.running > 0 ? `, ${s.files.running} running` : '';
  const failed = s.files.failed > 0 ? `, ${c.red(`${s.files.failed} failed`)}` : '';
  const rows = s.rows !== undefined ? `  rows ${s.rows.toLocaleString('en-US')}` : '';
  const time = withTime && s.runningMs !== undefined ? `  ${formatDuration(s.runningMs)}` : '';
  return `  ${s.stage.padEnd(9)} ${padded(s.status, 7, c)}  ${files}${running}${failed}${rows}${time}`;
}

export function progressLines(detail: RunDetail, c: Colors, withTime = true): string[] {
  return [runLine(detail, c), ...detail.stages.map((s) => stageLine(s, c, withTime))];
}
