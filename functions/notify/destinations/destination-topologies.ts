// The Google APIs each destination kind calls, as one plain-data table: the Pulumi program enables
// them in the project (shared/topology.ts collects them per pipeline). One entry per kind.
import type { DestinationConfig, DestinationKind } from './destination-configs';

const destinationServices: { [K in DestinationKind]: (destination: Extract<DestinationConfig, { kind: K }>) => string[] } = {
  drive: () => ['drive.googleapis.com'],
};

export function destinationServicesOf(destination: DestinationConfig): string[] {
  return (destinationServices[destination.kind] as (d: DestinationConfig) => string[])(destination);
}
