// A run's log lines as text: time (with seconds), severity, stage, message.
import type { LogEntry } from '../../functions/ops/api-schemas';
import type { Colors, Output } from '../output';
import { formatTime } from '../time-format';

function severityColor(severity: string, c: Colors): string {
  const padded = severity.padEnd(7);
  if (/^(ERROR|CRITICAL|ALERT|EMERGENCY)$/.test(severity)) return c.red(padded);
  if (severity === 'WARNING') return c.yellow(padded);
  if (severity === 'DEBUG') return c.dim(padded);
  return padded;
}

export function logLines(out: Output, entries: readonly LogEntry[]): void {
  for (const e of entries) {
    out.data(`${formatTime(e.timestamp, out.time, true)}  ${severityColor(e.severity, out.color)}  ${(e.stage ?? '').padEnd(9)}  ${e.message}`);
  }
}
