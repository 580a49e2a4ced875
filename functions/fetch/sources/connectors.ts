// The runtime part of every source kind, by kind: what fetch drives for a pipeline's `source`.
// Adding a source is a folder under sources/ with its config (source-configs.ts) and its connector here.
import type { Source } from './source-configs';
import type { SourceConnector, SourceConnectors } from './source-connector';
import { gmailConnector } from './gmail/connector';
import { sftpConnector } from './sftp/connector';

export const connectors: SourceConnectors = { sftp: sftpConnector, gmail: gmailConnector };

// The connector for a source, typed for it (the mapped type cannot narrow by itself).
export function connectorFor(source: Source, from: SourceConnectors = connectors): SourceConnector {
  return from[source.kind] as SourceConnector;
}
