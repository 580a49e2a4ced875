// STUB until its helper lands it: createHealthChecks builds the ops service's HealthChecks (ops-service.ts).
import type { OpsDeps } from '../ops-deps';
import type { HealthChecks } from '../ops-service';

export function createHealthChecks(_deps: OpsDeps): HealthChecks {
  throw new Error('createHealthChecks: not implemented yet');
}
