// The Firestore RunStore (run-store.ts). STUB until the store lands: the helper owning it replaces
// this file with the implementation (absorbing run-recorder.ts and notify's run-state.ts).
import type { Firestore } from '@google-cloud/firestore';
import type { Redactor } from '../../shared/redact';
import type { RunRetention, RunStore } from './run-store';

export interface FirestoreRunStoreOptions {
  redactor?: Redactor;
  retention?: RunRetention;
  now?: () => Date;
}

export function createFirestoreRunStore(_firestore: Firestore, _options: FirestoreRunStoreOptions = {}): RunStore {
  throw new Error('createFirestoreRunStore: not implemented yet');
}
