// STUB until its helper lands it: createDeadLetterOps builds the ops service's DeadLetterOps (ops-service.ts).
import type { OpsDeps } from '../ops-deps';
import type { DeadLetterOps } from '../ops-service';

export function createDeadLetterOps(_deps: OpsDeps): DeadLetterOps {
  throw new Error('createDeadLetterOps: not implemented yet');
}
