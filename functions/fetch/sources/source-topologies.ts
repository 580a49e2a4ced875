// What each source kind needs from the cloud besides the stage functions (push topics, recurring
// actions, Google APIs), as one plain-data table: shared/topology.ts reads it for every kind alike.
// Adding a source is one entry here (a kind with no needs returns NO_SOURCE_NEEDS).
import type { SourceTopologyNeeds } from '../../../shared/topology';
import { gmailTopology } from './gmail/topology';
import type { Source, SourceKind } from './source-configs';

export const NO_SOURCE_NEEDS: SourceTopologyNeeds = { services: [], pushTopics: [], actions: [] };

const sourceTopologies: { [K in SourceKind]: (source: Extract<Source, { kind: K }>) => SourceTopologyNeeds } = {
  sftp: () => NO_SOURCE_NEEDS,
  gmail: gmailTopology,
};

export function sourceTopologyOf(source: Source): SourceTopologyNeeds {
  return (sourceTopologies[source.kind] as (s: Source) => SourceTopologyNeeds)(source);
}
