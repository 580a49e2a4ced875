// The Firestore PipelineStateStore (pipeline-state-store.ts). STUB until the controls land.
import type { Firestore } from '@google-cloud/firestore';
import type { PipelineStateStore } from './pipeline-state-store';

export function createFirestorePipelineStateStore(_firestore: Firestore, _options: { now?: () => Date } = {}): PipelineStateStore {
  throw new Error('createFirestorePipelineStateStore: not implemented yet');
}
