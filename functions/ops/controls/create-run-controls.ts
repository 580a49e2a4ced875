// The ops service's RunControls (ops-service.ts): trigger, rerun, cancel, pause and resume, each
// recorded with who did it and when. One file per control; this one only puts them together.
import type { OpsDeps } from '../ops-deps';
import type { RunControls } from '../ops-service';
import { cancelRun } from './cancel';
import { setPipelinePaused } from './pause';
import { rerunRun } from './rerun';
import { triggerRun } from './trigger';

export function createRunControls(deps: OpsDeps): RunControls {
  return {
    trigger: (request, caller) => triggerRun(deps, request, caller),
    rerun: (runId, request, caller) => rerunRun(deps, runId, request, caller),
    cancel: (runId, caller) => cancelRun(deps, runId, caller),
    pause: (pipeline, caller) => setPipelinePaused(deps, pipeline, true, caller),
    resume: (pipeline, caller) => setPipelinePaused(deps, pipeline, false, caller),
  };
}
