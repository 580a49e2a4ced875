// Every pipeline this deployment runs. The runtime, the local cloud and the Pulumi program all read
// this list; add a pipeline by adding its file and listing it here.
import type { Pipeline } from '../shared/pipeline-definition';
import { restaurantPos } from './restaurant-pos';
import { vendorInbox } from './vendor-inbox';

export const pipelines: readonly Pipeline[] = [restaurantPos, vendorInbox];

export function pipelineNamed(name: string): Pipeline {
  const found = pipelines.find((p) => p.name === name);
  if (!found) throw new Error(`no pipeline named "${name}" (known: ${pipelines.map((p) => p.name).join(', ')})`);
  return found;
}
