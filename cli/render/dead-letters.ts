// Kept dead letters as a table: which stage gave up on what, why, and when.
import type { DeadLetterView } from '../../functions/ops/api-schemas';
import type { Output } from '../output';
import { formatTime } from '../time-format';

// One dead letter in full: why it was given up, and the original message (its data as text when it
// is text, else its size), so the cause can be read before a replay.
export function deadLetterText(out: Output, d: DeadLetterView): void {
  const data = Buffer.from(d.message.data, 'base64');
  const text = data.toString('utf8');
  const printable = !text.includes('\uFFFD') && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  const lines = [
    `${out.color.bold(d.id)}  ${d.pipeline}  ${d.stage}  received ${formatTime(d.receivedAt, out.time, true)}${d.attempts !== undefined ? `  after ${d.attempts} attempts` : ''}`,
    `${out.color.red('reason')}  ${d.reason}`,
    ...(d.runId ? [`run     ${d.runId}`] : []),
    ...(d.file ?? d.fileKey ? [`file    ${d.file ?? d.fileKey}`] : []),
    `message ${d.message.messageId ?? ''}${d.message.publishTime ? ` published ${formatTime(d.message.publishTime, out.time, true)}` : ''}`,
    ...Object.entries(d.message.attributes).map(([k, v]) => `  ${k}=${v}`),
    printable ? `  data ${text}` : `  data (${data.length} bytes, not text)`,
    // rerunId: a replay of a letter whose run had ended is a rerun of that run (when the API says so).
    ...(d.replays ?? []).map((r: { actor: string; at: string; messageId: string; rerunId?: string }) =>
      `replayed by ${r.actor} at ${formatTime(r.at, out.time, true)} ${r.rerunId ? `as rerun ${r.rerunId}` : `as message ${r.messageId}`}`),
  ];
  out.data(lines.join('\n'));
}

export function deadLettersTable(out: Output, deadLetters: readonly DeadLetterView[]): void {
  out.table(
    ['ID', 'PIPELINE', 'STAGE', 'RECEIVED', 'ATTEMPTS', 'RUN', 'FILE', 'REASON', 'REPLAYS'],
    deadLetters.map((d) => [
      d.id, d.pipeline, d.stage, formatTime(d.receivedAt, out.time), d.attempts === undefined ? '' : String(d.attempts), d.runId ?? '',
      d.file ?? d.fileKey ?? '', out.color.red(d.reason.replace(/\s+/g, ' ').slice(0, 60)), String(d.replays?.length ?? 0),
    ]),
  );
}
