// The runtime registry of destination kinds: one entry per kind of destination-configs.ts, checked by
// the Destinations type (a kind without an implementation does not compile).
import type { Destination, Destinations } from './destination';
import type { DestinationConfig } from './destination-configs';
import { driveDestination } from './drive/drive-destination';

export const destinations: Destinations = { drive: driveDestination };

export function destinationFor<C extends DestinationConfig>(config: C, registry: Destinations = destinations): Destination<C> {
  return registry[config.kind as C['kind']] as unknown as Destination<C>;
}
