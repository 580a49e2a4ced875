// STUB until its helper lands it: createRunControls builds the ops service's RunControls (ops-service.ts).
import type { OpsDeps } from '../ops-deps';
import type { RunControls } from '../ops-service';

export function createRunControls(_deps: OpsDeps): RunControls {
  throw new Error('createRunControls: not implemented yet');
}
