// Dead letters kept for operators: notify stores each dead-lettered message it handles (one document
// per message in `sluice_dead_letters`, keyed so a redelivered dead letter is stored once) before it
// ends the file or run the message was about. The ops API lists, replays and purges them.
// The only code that reads or writes that collection.
import type { StageName } from '../../shared/stage-declaration';
import type { Actor } from './run-record';

export const DEAD_LETTERS_COLLECTION = 'sluice_dead_letters';

export interface KeptDeadLetter {
  id: string;
  pipeline: string;
  stage: StageName | 'unknown';
  reason: string;
  attempts?: number;
  receivedAt: string;
  runId?: string;
  fileKey?: string;
  file?: string;
  // The original message: data (base64), its own attributes (the dead-letter ones removed, so a replay
  // publishes what the stage first got), the original message id when known.
  message: { data: string; attributes: Record<string, string>; messageId?: string; publishTime?: string };
  // What the dead-lettering added: Pub/Sub's CloudPubSubDeadLetter* attributes, the runner's sluice*
  // ones (sluiceError, sluiceSourceStage, sluiceSourceMessageId), and the copy's own message id.
  deadLetter?: { messageId?: string; attributes: Record<string, string> };
  // Each replay: who, when, and what it did (the message it published, or the rerun it created).
  replays?: DeadLetterReplay[];
  // Firestore TTL (ops retention.deadLetterDays).
  expiresAt?: Date;
}

export interface DeadLetterReplay {
  actor: Actor;
  at: string;
  // The id of the message the replay published (for a rerun: the new run's id).
  messageId: string;
  // A replay of a letter whose run had ended reruns that run's failed files (dead-letter ops).
  rerunId?: string;
}

export interface DeadLetterFilter {
  pipeline?: string;
  stage?: StageName;
  since?: string;
  until?: string;
}

export interface DeadLetterStore {
  // Stores it once per original message (a redelivery of the dead letter finds it and adds nothing).
  keep(letter: Omit<KeptDeadLetter, 'id' | 'receivedAt' | 'replays'> & { receivedAt?: string }): Promise<KeptDeadLetter>;
  list(filter: DeadLetterFilter, page: { limit: number; cursor?: string }): Promise<{ deadLetters: KeptDeadLetter[]; nextCursor?: string }>;
  get(id: string): Promise<KeptDeadLetter | undefined>;
  // Every id matching a filter (for replay/purge of all matching), newest first, capped.
  idsMatching(filter: DeadLetterFilter, cap: number): Promise<string[]>;
  recordReplay(id: string, replay: DeadLetterReplay): Promise<void>;
  remove(ids: string[]): Promise<number>;
}
