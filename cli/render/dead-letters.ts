// Kept dead letters as a table: which stage gave up on what, why, and when.
import type { DeadLetterView } from '../../functions/ops/api-schemas';
import type { Output } from '../output';
import { formatTime } from '../time-format';

export function deadLettersTable(out: Output, deadLetters: readonly DeadLetterView[]): void {
  out.table(
    ['ID', 'PIPELINE', 'STAGE', 'RECEIVED', 'ATTEMPTS', 'RUN', 'FILE', 'REASON', 'REPLAYS'],
    deadLetters.map((d) => [
      d.id, d.pipeline, d.stage, formatTime(d.receivedAt, out.time), d.attempts === undefined ? '' : String(d.attempts), d.runId ?? '',
      d.file ?? d.fileKey ?? '', out.color.red(d.reason.replace(/\s+/g, ' ').slice(0, 60)), String(d.replays?.length ?? 0),
    ]),
  );
}
