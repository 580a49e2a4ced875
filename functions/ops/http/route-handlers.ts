// One handler per route of routes.ts: each takes the validated request and calls one method of the
// OpsService (ops-service.ts). Nothing here decides anything about runs: the service does; this
// file only maps HTTP onto it (404 for what is not there, the answer's status).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller, RunListQuery } from '../api-schemas';
import type { OpsService } from '../ops-service';
import type { RouteName } from '../routes';
import { HttpError } from './api-error';
import { openEventStream } from './event-stream';

export interface RouteContext {
  service: OpsService;
  // Absent only on routes that need no token.
  caller: Caller | undefined;
  params: Record<string, string>;
  // Validated with the route's schemas (route-schemas.ts); {} when the route has none.
  query: any;
  body: any;
  req: IncomingMessage;
  res: ServerResponse;
  heartbeatMs?: number;
  openapi: () => unknown;
}

// 'streamed': the handler answered itself (server-sent events).
export type RouteAnswer = { status?: number; body: unknown } | 'streamed';
export type RouteHandler = (ctx: RouteContext) => Promise<RouteAnswer>;

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

function callerOf(ctx: RouteContext): Caller {
  if (!ctx.caller) throw new HttpError('unauthenticated', 'this route needs a token');
  return ctx.caller;
}

// A run id that cannot name a run is a run that is not there.
function runIdOf(ctx: RouteContext): string {
  const id = ctx.params.id ?? '';
  if (!RUN_ID.test(id)) throw new HttpError('not-found', `no run "${id}"`);
  return id;
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new HttpError('not-found', `no ${what}`);
  return value;
}

function unavailableLive(): never {
  throw new HttpError('unavailable', 'live updates are not available from this server; poll the list instead');
}

export const routeHandlers: Record<RouteName, RouteHandler> = {
  health: async (ctx) => ({ body: ctx.service.health.live() }),
  healthDetailed: async (ctx) => {
    const report = await ctx.service.health.detailed();
    return { status: report.status === 'down' ? 503 : 200, body: report };
  },
  openapi: async (ctx) => ({ body: ctx.openapi() }),
  whoami: async (ctx) => ({ body: callerOf(ctx) }),

  listPipelines: async (ctx) => ({ body: { pipelines: await ctx.service.views.listPipelines() } }),
  getPipeline: async (ctx) => ({ body: found(await ctx.service.views.getPipeline(ctx.params.name ?? ''), `pipeline "${ctx.params.name}"`) }),
  pausePipeline: async (ctx) => ({ body: await ctx.service.controls.pause(ctx.params.name ?? '', callerOf(ctx)) }),
  resumePipeline: async (ctx) => ({ body: await ctx.service.controls.resume(ctx.params.name ?? '', callerOf(ctx)) }),

  listRuns: async (ctx) => ({ body: await ctx.service.views.listRuns(ctx.query as RunListQuery) }),
  triggerRun: async (ctx) => ({ status: 202, body: await ctx.service.controls.trigger(ctx.body, callerOf(ctx)) }),
  getRun: async (ctx) => {
    const id = runIdOf(ctx);
    return { body: found(await ctx.service.views.getRun(id), `run "${id}"`) };
  },
  getRunFiles: async (ctx) => {
    const id = runIdOf(ctx);
    return { body: { files: found(await ctx.service.views.getRunFiles(id), `run "${id}"`) } };
  },
  getRunLogs: async (ctx) => {
    // A run that is not there simply has no log lines (Cloud Logging keeps them longer than TTL keeps runs).
    return { body: await ctx.service.logs.logsOf(runIdOf(ctx), ctx.query) };
  },
  rerunRun: async (ctx) => ({ status: 202, body: await ctx.service.controls.rerun(runIdOf(ctx), ctx.body, callerOf(ctx)) }),
  cancelRun: async (ctx) => ({ body: await ctx.service.controls.cancel(runIdOf(ctx), callerOf(ctx)) }),

  listDeadLetters: async (ctx) => ({ body: await ctx.service.deadLetters.list(ctx.query) }),
  getDeadLetter: async (ctx) => ({ body: found(await ctx.service.deadLetters.get(ctx.params.id ?? ''), `dead letter "${ctx.params.id}"`) }),
  replayDeadLetters: async (ctx) => ({ body: await ctx.service.deadLetters.replay(ctx.body, callerOf(ctx)) }),
  purgeDeadLetters: async (ctx) => ({ body: await ctx.service.deadLetters.purge(ctx.body, callerOf(ctx)) }),

  startBulkAction: async (ctx) => {
    const action = await ctx.service.bulk.start(ctx.body, callerOf(ctx));
    return { status: action.status === 'counted' ? 200 : 202, body: action };
  },
  getBulkAction: async (ctx) => ({ body: found(await ctx.service.bulk.get(ctx.params.id ?? ''), `bulk action "${ctx.params.id}"`) }),

  runEvents: async (ctx) => {
    const id = runIdOf(ctx);
    const watch = ctx.service.views.watchRun?.bind(ctx.service.views);
    if (!watch) unavailableLive();
    // Refuse a run that is not there before the stream opens, so the client sees a 404, not a stream.
    found(await ctx.service.views.getRunFiles(id), `run "${id}"`);
    const stream = openEventStream(ctx.req, ctx.res, { heartbeatMs: ctx.heartbeatMs });
    const stop = watch(id, (detail) => stream.send('run', detail ?? null), () => stream.close());
    stream.onClose(stop);
    return 'streamed';
  },
  runsEvents: async (ctx) => {
    const watch = ctx.service.views.watchRuns?.bind(ctx.service.views);
    if (!watch) unavailableLive();
    const stream = openEventStream(ctx.req, ctx.res, { heartbeatMs: ctx.heartbeatMs });
    const stop = watch(ctx.query, (list) => stream.send('runs', list), () => stream.close());
    stream.onClose(stop);
    return 'streamed';
  },
};
