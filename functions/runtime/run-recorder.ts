// Moved into the RunStore (firestore-run-store.ts); kept for the callers not yet moved to it.
export { createFirestoreRunStore as createRunRecorder } from './firestore-run-store';
