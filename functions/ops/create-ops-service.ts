// The ops service from its parts (ops-service.ts), the same in the cloud and the local cloud.
import { createBulkActions } from './bulk/create-bulk-actions';
import { createRunControls } from './controls/create-run-controls';
import { createDeadLetterOps } from './dead-letters/create-dead-letter-ops';
import { createHealthChecks } from './health/create-health-checks';
import type { OpsDeps } from './ops-deps';
import type { OpsService } from './ops-service';
import { createRunViews } from './views/create-run-views';

export function createOpsService(deps: OpsDeps): OpsService {
  const controls = createRunControls(deps);
  return {
    views: createRunViews(deps),
    controls,
    deadLetters: createDeadLetterOps(deps, controls),
    bulk: createBulkActions(deps, controls),
    health: createHealthChecks(deps),
    logs: { logsOf: (runId, options) => deps.logs.logsOf(runId, { limit: options.limit ?? 200, ...(options.pageToken ? { pageToken: options.pageToken } : {}) }) },
  };
}
