// The Firestore DeadLetterStore (dead-letter-store.ts). STUB until the dead-letter store lands.
import type { Firestore } from '@google-cloud/firestore';
import type { DeadLetterStore } from './dead-letter-store';

export function createFirestoreDeadLetterStore(_firestore: Firestore, _options: { retentionDays?: number; now?: () => Date } = {}): DeadLetterStore {
  throw new Error('createFirestoreDeadLetterStore: not implemented yet');
}
