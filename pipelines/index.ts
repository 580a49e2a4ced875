// Every pipeline this deployment runs. The runtime, the local cloud and the Pulumi program all read
// this list; add a pipeline by adding its file and listing it here.
import { PipelineDefinitionError, type Pipeline } from '../shared/pipeline-definition';
import { restaurantPos } from './restaurant-pos';
import { vendorInbox } from './vendor-inbox';

export const pipelines: readonly Pipeline[] = [restaurantPos, vendorInbox];

// Two pipelines of one name would share topics, functions and run records: refused when this loads,
// before anything starts, naming the name.
const seen = new Set<string>();
for (const { name } of pipelines) {
  if (seen.has(name)) throw new PipelineDefinitionError(`two pipelines are named "${name}" (pipelines/index.ts lists both); give each its own name`);
  seen.add(name);
}

export function pipelineNamed(name: string): Pipeline {
  const found = pipelines.find((p) => p.name === name);
  if (!found) throw new Error(`no pipeline named "${name}" (known: ${pipelines.map((p) => p.name).join(', ')})`);
  return found;
}
