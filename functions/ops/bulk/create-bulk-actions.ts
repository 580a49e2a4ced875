// STUB until its helper lands it: createBulkActions builds the ops service's BulkActions
// (ops-service.ts) on the run controls (a bulk rerun is many reruns).
import type { OpsDeps } from '../ops-deps';
import type { BulkActions, RunControls } from '../ops-service';

export function createBulkActions(_deps: OpsDeps, _controls: RunControls): BulkActions {
  throw new Error('createBulkActions: not implemented yet');
}
