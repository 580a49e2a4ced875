import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger';
import type { BlobStore } from './blob-store';
import type { Access, IamPolicies } from './iam';
import type { GcsState } from './state';
import type { UploadSessions } from './upload-sessions';

/** What every handler gets: the shared emulator parts... */
export interface GcsContext {
  state: GcsState;
  blobs: BlobStore;
  sessions: UploadSessions;
  /** Simulated IAM: registered identities and their bindings. */
  iam: IamPolicies;
  logger: Logger;
}

/** ...and the request, already parsed by the router. */
export interface GcsRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** `http://host:port` as the client addressed us; links in resources use it. */
  baseUrl: string;
  /** What the caller may do (unrestricted for the operator). */
  access: Access;
}

export type Handler = (ctx: GcsContext, r: GcsRequest) => Promise<void>;
