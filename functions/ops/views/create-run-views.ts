// STUB until its helper lands it: createRunViews builds the ops service's RunViews (ops-service.ts).
import type { OpsDeps } from '../ops-deps';
import type { RunViews } from '../ops-service';

export function createRunViews(_deps: OpsDeps): RunViews {
  throw new Error('createRunViews: not implemented yet');
}
