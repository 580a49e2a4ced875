// A kept dead letter as the ops API shows it (api-schemas.ts DeadLetterView): the original message as
// a replay would publish it; what dead-lettering added and the TTL field are the store's.
import type { KeptDeadLetter } from '../../runtime/dead-letter-store';
import type { DeadLetterView } from '../api-schemas';

export function deadLetterViewOf(letter: KeptDeadLetter): DeadLetterView {
  return {
    id: letter.id,
    pipeline: letter.pipeline,
    stage: letter.stage,
    reason: letter.reason,
    ...(letter.attempts !== undefined ? { attempts: letter.attempts } : {}),
    receivedAt: letter.receivedAt,
    ...(letter.runId ? { runId: letter.runId } : {}),
    ...(letter.fileKey ? { fileKey: letter.fileKey } : {}),
    ...(letter.file ? { file: letter.file } : {}),
    message: letter.message,
    ...(letter.replays && letter.replays.length > 0 ? { replays: letter.replays } : {}),
  };
}
