// The ops API as one request handler `(req, res)`: the same function behind the functions framework
// (express's req/res are node's, with the body already parsed) and behind a plain node server
// (start-ops-server.ts, the local cloud, tests). Per request: find the route (routes.ts), check the
// caller's token and role, validate the query and body (route-schemas.ts), call the service, answer
// JSON — or an error body with a stable code (api-error.ts). Paths under /ui/ go to the dashboard.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { silentLogger, type Logger } from '../../../shared/logger';
import { processRedactor, type Redactor } from '../../../shared/redact';
import type { Caller } from '../api-schemas';
import type { OpsService } from '../ops-service';
import { DASHBOARD_PATH, type RouteSpec } from '../routes';
import { errorAnswer, HttpError, invalidRequest, sendJson } from './api-error';
import { startDashboardSession } from './dashboard-session';
import { buildOpenApiDocument } from './openapi';
import type { OpsAuth } from './ops-auth';
import { readJsonBody } from './read-body';
import { routeHandlers } from './route-handlers';
import { routeSchemas } from './route-schemas';
import { matchRoute } from './route-table';
import { sameOrigin, tokenOf } from './request-token';

export type OpsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface OpsAppOptions {
  service: OpsService;
  auth: OpsAuth;
  // Serves the dashboard's files for every path under /ui/ (after the ?token= sign-in); absent: 404.
  dashboard?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  logger?: Logger;
  redactor?: Redactor;
  // Server-sent events heartbeat (default 15 s).
  heartbeatMs?: number;
  // A path prefix the platform leaves on the URL (e.g. `/ops` behind a path-routing proxy).
  basePath?: string;
  // The URL the OpenAPI document names as its server.
  publicUrl?: string;
}

const ROLE_RANK = { none: 0, viewer: 1, operator: 2 } as const;

async function callerFor(req: IncomingMessage, spec: RouteSpec, auth: OpsAuth): Promise<Caller | undefined> {
  if (spec.role === 'none') return undefined;
  const token = tokenOf(req);
  if (!token) throw new HttpError('unauthenticated', 'This route needs `Authorization: Bearer <Google ID token>`.', undefined, { 'www-authenticate': 'Bearer' });
  const caller = await auth.authenticate(token.token);
  if (ROLE_RANK[caller.role] < ROLE_RANK[spec.role]) {
    throw new HttpError('forbidden', `${spec.method} ${spec.path} is for operators; ${caller.principal} is a viewer.`);
  }
  // A cookie travels with any request the browser makes, including one another site's page
  // starts: a mutation carried by the cookie alone must come from our own page.
  if (token.via === 'cookie' && spec.method !== 'GET' && !sameOrigin(req)) {
    throw new HttpError('forbidden', 'A mutation signed by the dashboard cookie must come from the dashboard itself.');
  }
  return caller;
}

function parse(schema: import('zod').ZodType | undefined, value: unknown, what: string): unknown {
  if (!schema) return {};
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(what, parsed.error);
  return parsed.data;
}

export function createOpsApp(options: OpsAppOptions): OpsRequestHandler {
  const logger = (options.logger ?? silentLogger).child({ component: 'ops-api' });
  const redactor = options.redactor ?? processRedactor;
  const basePath = (options.basePath ?? '').replace(/\/$/, '');
  let openapi: unknown;
  const openapiDocument = () => (openapi ??= buildOpenApiDocument(options.publicUrl ? { serverUrl: options.publicUrl } : {}));

  return async (req, res) => {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    let routeName = 'unknown';
    let principal: string | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://ops.invalid');
      let pathname = url.pathname;
      if (basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`))) pathname = pathname.slice(basePath.length) || '/';

      if (pathname === '/' && options.dashboard && (method === 'GET' || method === 'HEAD')) {
        res.writeHead(302, { location: `${basePath}${DASHBOARD_PATH}${url.search}` });
        res.end();
        return;
      }
      if (pathname === DASHBOARD_PATH.slice(0, -1) || pathname.startsWith(DASHBOARD_PATH)) {
        routeName = 'dashboard';
        if (!options.dashboard) throw new HttpError('not-found', 'this server has no dashboard');
        if (method === 'GET' && (await startDashboardSession(req, res, url, options.auth))) return;
        await options.dashboard(req, res);
        return;
      }

      const matched = matchRoute(method, pathname);
      if (!matched) throw new HttpError('not-found', `${method} ${pathname} is not a route of the ops API (see /openapi.json)`);
      if ('allowed' in matched) {
        sendJson(res, 405, { error: { code: 'invalid-request', message: `${pathname} takes ${matched.allowed.join(', ')}, not ${method}` } }, { allow: matched.allowed.join(', ') });
        return;
      }
      const { route } = matched;
      routeName = route.name;
      const caller = await callerFor(req, route.spec, options.auth);
      principal = caller?.principal;
      const schemas = routeSchemas[route.name];
      const query = parse(schemas.query, Object.fromEntries(url.searchParams), 'the query');
      const body = route.spec.method === 'POST' ? parse(schemas.body, await readJsonBody(req), 'the request body') : {};
      const answer = await routeHandlers[route.name]({
        service: options.service,
        caller,
        params: route.params,
        query,
        body,
        req,
        res,
        ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
        openapi: openapiDocument,
      });
      if (answer === 'streamed') return;
      sendJson(res, answer.status ?? schemas.status, answer.body);
    } catch (error) {
      const answer = errorAnswer(error, redactor);
      if (answer.internal) logger.error('ops api request failed', { method, route: routeName, principal, error });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, answer.status, answer.body, answer.headers);
    } finally {
      logger.debug('ops api request', { method, route: routeName, principal, status: res.statusCode, ms: Date.now() - started });
    }
  };
}
