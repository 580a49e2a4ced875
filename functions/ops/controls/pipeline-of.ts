// The declared pipeline a control names, or the ops API's not-found.
import type { Pipeline } from '../../../shared/pipeline-definition';
import type { OpsDeps } from '../ops-deps';
import { OpsError } from '../ops-service';

export function pipelineOf(deps: Pick<OpsDeps, 'pipelines'>, name: string): Pipeline {
  const pipeline = deps.pipelines.find((p) => p.name === name);
  if (!pipeline) throw new OpsError('not-found', `no pipeline "${name}" is deployed`);
  return pipeline;
}
