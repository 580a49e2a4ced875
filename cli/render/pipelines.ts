// Pipelines as a table: schedule, next fire time, paused, and the last run.
import type { PipelineSummary } from '../../functions/ops/api-schemas';
import { statusColor, type Output } from '../output';
import { formatTime } from '../time-format';

export function pipelinesTable(out: Output, pipelines: readonly PipelineSummary[]): void {
  const c = out.color;
  out.table(
    ['PIPELINE', 'SOURCE', 'SCHEDULE', 'NEXT FIRE', 'PAUSED', 'LAST RUN', 'STATUS', 'STARTED'],
    pipelines.map((p) => {
      const last = p.lastRuns[0];
      return [
        p.name, p.source, p.schedule ? `${p.schedule.cron} (${p.schedule.timeZone})` : 'none',
        p.paused ? '' : formatTime(p.schedule?.nextFireTimes[0], out.time),
        p.paused ? c.yellow(`paused${p.pausedBy ? ` by ${p.pausedBy}` : ''}`) : 'no',
        last?.runId ?? '', last ? statusColor(last.status, c) : '', formatTime(last?.startedAt, out.time),
      ];
    }),
  );
}
