// The local Google API double: one HTTP server on loopback answering the Gmail v1 and Drive v3
// subsets Sluice uses and Google's OAuth endpoints, statefully, for the real `googleapis` client
// (rootUrl = apiRoot) and google-auth-library (endpoints.oauth2TokenUrl = tokenUrl). Tests seed
// and inspect it through /_double/ (double-client.ts) and arm faults there (faults.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../../shared/logger';
import type { DoubleContext, DoubleUrls, Route, RouteRequest } from './context';
import { GcsError } from '../gcs/errors';
import { ApiError, OAuthError, insufficientScopes, invalidCredentials } from './errors';
import { applyFaults, Faults } from './faults';
import { DriveContent } from './drive-content';
import { driveRoutes } from './drive-routes';
import { DriveState } from './drive-state';
import { UploadSessions } from './drive-uploads';
import { gmailRoutes } from './gmail-routes';
import { GmailState } from './gmail-state';
import { bearerOf, sendError } from './http';
import { oauthRoutes } from './oauth-routes';
import { OAuthState, type AccessTokenRecord } from './oauth-state';
import { RequestLog } from './request-log';
import { grants } from './scopes';
import { idTokenRoutes } from './id-token-routes';
import { seedRoutes } from './seed-routes';
import { attachWatchPublisher } from './watch-publisher';

export interface GoogleApiDoubleOptions {
  /** Default 127.0.0.1; the double refuses anything but a loopback address. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  logger?: Logger;
  /** The clock tokens, newer_than: and watches are judged by (tests may move it). */
  now?: () => number;
  /** host:port of the Pub/Sub emulator Gmail watches publish to; omitted: watches are only recorded. */
  pubsubEmulatorHost?: string;
}

export interface GoogleApiDouble extends DoubleUrls {
  port: number;
  stop(): Promise<void>;
}

const ROUTES: Route[] = [...oauthRoutes, ...gmailRoutes, ...driveRoutes, ...idTokenRoutes, ...seedRoutes];

async function drain(req: IncomingMessage): Promise<void> {
  try {
    for await (const _ of req) void _;
  } catch {
    // The client went away: nothing to answer.
  }
}

export async function startGoogleApiDouble(options: GoogleApiDoubleOptions = {}): Promise<GoogleApiDouble> {
  const host = options.host ?? '127.0.0.1';
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host)) throw new Error(`the Google API double listens on loopback only, not ${host}`);
  const logger = (options.logger ?? silentLogger).child({ component: 'google-api-double' });
  const urls: DoubleUrls = { apiRoot: '', tokenUrl: '', authUrl: '', seedUrl: '' };
  const content = await DriveContent.open();
  const ctx: DoubleContext = {
    oauth: new OAuthState(),
    gmail: new GmailState(),
    drive: new DriveState(),
    content,
    uploads: new UploadSessions(),
    faults: new Faults(),
    log: new RequestLog(),
    urls,
    logger,
    now: options.now ?? Date.now,
    async resetAll() {
      ctx.oauth.clear();
      ctx.gmail.clear();
      ctx.drive.clear();
      ctx.faults.clear();
      ctx.log.clear();
      await ctx.uploads.clear();
      await ctx.content.clear();
    },
  };
  const publisher = options.pubsubEmulatorHost ? attachWatchPublisher(ctx.gmail, options.pubsubEmulatorHost, logger) : undefined;
  ctx.watchTopicExists = publisher ? (topic) => publisher.topicExists(topic) : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://double');
    const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    const operation = route?.operation ?? 'unknown';
    let token: AccessTokenRecord | undefined;
    let fault: string | undefined;
    let principal: string | undefined;
    res.once('close', () => {
      if (!operation.startsWith('double.')) ctx.log.record({ method: req.method ?? '', path: url.pathname, operation, status: res.writableFinished ? res.statusCode : 0, principal: token?.principal ?? principal, fault });
    });
    try {
      if (!route) throw new ApiError(404, `The double does not serve ${req.method} ${url.pathname}.`, { reason: 'notFound' });
      if (route.scopes) {
        token = ctx.oauth.liveAccessToken(bearerOf(req), ctx.now());
        if (!token) throw invalidCredentials();
        if (!grants(token.scopes, route.scopes)) throw insufficientScopes();
      }
      // The token endpoint applies its faults itself, once it knows whose token is asked for.
      if (operation !== 'oauth.token') await applyFaults(ctx.faults, operation, token?.principal, (d) => (fault = d));
      const onFault = (d: string) => (fault = d);
      const match = route.pattern.exec(url.pathname);
      const params = (match?.slice(1) ?? []).map((p) => decodeURIComponent(p));
      const request: RouteRequest = { req, res, query: url.searchParams, params, token: token as AccessTokenRecord, onFault, setPrincipal: (p) => (principal = p) };
      await route.handle(ctx, request);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof ApiError || error instanceof OAuthError) {
        // Read what the client is still sending, so it gets the answer instead of a reset connection.
        if (!req.readableEnded && !req.destroyed) await drain(req);
        sendError(res, error);
      } else if (error instanceof GcsError) {
        // The multipart reader and field masks are shared with the GCS emulator.
        sendError(res, new ApiError(error.status, error.message, { reason: error.detail.reason, domain: error.detail.domain }));
      } else {
        logger.error('google api double request failed', { method: req.method, path: url.pathname, error });
        sendError(res, new ApiError(500, 'Internal error in the Google API double.', { reason: 'backendError' }));
      }
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  // Longer than clients keep idle sockets (undici: 4 s), so a reused socket is never one we just closed.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  Object.assign(urls, { apiRoot: `${origin}/`, tokenUrl: `${origin}/token`, authUrl: `${origin}/o/oauth2/v2/auth`, seedUrl: `${origin}/_double` });
  logger.info('google api double listening', { apiRoot: urls.apiRoot });

  let stopping: Promise<void> | undefined;
  return {
    ...urls,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })
        .then(() => publisher?.flush())
        .then(() => content.close())),
  };
}

