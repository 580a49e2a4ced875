// What every route handler gets: the double's state and the request at hand.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger';
import type { DriveContent } from './drive-content';
import type { DriveState } from './drive-state';
import type { UploadSessions } from './drive-uploads';
import type { Faults } from './faults';
import type { GmailState } from './gmail-state';
import type { AccessTokenRecord, OAuthState } from './oauth-state';
import type { RequestLog } from './request-log';

export interface DoubleUrls {
  /** http://127.0.0.1:PORT/ (trailing slash): the googleapis rootUrl. */
  apiRoot: string;
  tokenUrl: string;
  authUrl: string;
  /** Base of the seeding and inspection API (double-client.ts). */
  seedUrl: string;
}

export interface DoubleContext {
  oauth: OAuthState;
  gmail: GmailState;
  drive: DriveState;
  content: DriveContent;
  uploads: UploadSessions;
  faults: Faults;
  log: RequestLog;
  urls: DoubleUrls;
  logger: Logger;
  now(): number;
  /** Set when watches publish to a Pub/Sub emulator: users.watch refuses a topic that does not exist. */
  watchTopicExists?: (topicName: string) => Promise<boolean>;
  /** Forget every client, token, mailbox, file, fault and logged request. */
  resetAll(): Promise<void>;
}

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** The pattern's capture groups, URL-decoded. */
  params: string[];
  /** The checked bearer token (routes with scopes only). */
  token: AccessTokenRecord;
  /** Marks the request as answered by an injected fault (request log). */
  onFault(description: string): void;
  /** Names the principal in the request log when no bearer token did (the token endpoint). */
  setPrincipal(principal: string): void;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** Name in the request log and fault rules, e.g. gmail.users.messages.get. */
  operation: string;
  /** Scopes of which the bearer token needs one; undefined: no bearer token checked. */
  scopes?: readonly string[];
  handle(ctx: DoubleContext, r: RouteRequest): Promise<void>;
}
