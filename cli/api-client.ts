// The ops API over HTTP, one method per route the CLI uses. URLs come from the routes table
// (functions/ops/routes.ts), answers are checked against the wire schemas (api-schemas.ts), and
// every error answer becomes a CliError whose exit code follows the API's stable error code.
import { z } from 'zod';
import {
  bulkActionSchema, deadLetterActionResultSchema, deadLetterListSchema, deadLetterSchema, errorBodySchema, healthSchema, logPageSchema,
  pipelineSummarySchema, queuedRunSchema, runDetailSchema, runListSchema, runSummarySchema, callerSchema,
  type BulkRequest, type DeadLetterSelection, type RerunRequest, type RunDetail, type TriggerRequest,
} from '../functions/ops/api-schemas';
import { pathOf, routes, type RouteName } from '../functions/ops/routes';
import type { Endpoint } from './endpoint';
import { serverEvents } from './event-stream';
import { CliError, EXIT, exitCodeOfApiError } from './exit-codes';

export type Query = Record<string, string | number | undefined>;

const REQUEST_TIMEOUT_MS = 30_000;

export function createOpsClient(endpoint: Endpoint, fetchImpl: typeof fetch = fetch) {
  async function call<S extends z.ZodType>(
    name: RouteName, schema: S, options: { params?: Record<string, string>; query?: Query; body?: unknown; okStatuses?: number[] } = {},
  ): Promise<z.infer<S>> {
    const url = new URL(endpoint.url + pathOf(name, options.params));
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (endpoint.token !== undefined) headers.authorization = `Bearer ${endpoint.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: routes[name].method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      const hint = endpoint.source.endsWith('ops.json') ? '; is `npm start` still running?' : '';
      throw new CliError(`cannot reach the ops API at ${endpoint.url} (from ${endpoint.source}): ${cause}${hint}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    // An answer that is not 2xx is the API's error body, except where the route answers with its
    // own body on that status (health's 503 carries the report).
    if (!response.ok && !((options.okStatuses ?? []).includes(response.status) && parsed.success)) throw errorOf(response.status, json, text);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(`unexpected answer from ${routes[name].method} ${url.pathname}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  // GET /runs/{id}/events: the run's detail on every change. undefined when the server has no live
  // views (503) or answers otherwise: the caller polls instead.
  async function runEvents(id: string, signal: AbortSignal): Promise<AsyncGenerator<RunDetail | undefined> | undefined> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (endpoint.token !== undefined) headers.authorization = `Bearer ${endpoint.token}`;
    let response: Response;
    try {
      response = await fetchImpl(new URL(endpoint.url + pathOf('runEvents', { id })), { headers, signal });
    } catch {
      return undefined;
    }
    if (!response.ok || response.body === null || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    const body = response.body;
    return (async function* () {
      for await (const event of serverEvents(body)) {
        if (event.event !== 'run') continue;
        const json: unknown = JSON.parse(event.data);
        if (json === null) {
          yield undefined;
          continue;
        }
        const parsed = runDetailSchema.safeParse(json);
        if (!parsed.success) throw new CliError(`unexpected event from GET ${pathOf('runEvents', { id })}: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        yield parsed.data;
      }
    })();
  }

  return {
    endpoint,
    runEvents,
    whoami: () => call('whoami', callerSchema),
    // 503 carries the report too: a required dependency is down, which is what the caller wants to see.
    healthDetailed: () => call('healthDetailed', healthSchema, { okStatuses: [503] }),
    listPipelines: async () => (await call('listPipelines', z.object({ pipelines: pipelineSummarySchema.array() }))).pipelines,
    getPipeline: (name: string) => call('getPipeline', pipelineSummarySchema, { params: { name } }),
    pause: (name: string) => call('pausePipeline', pipelineSummarySchema, { params: { name }, body: {} }),
    resume: (name: string) => call('resumePipeline', pipelineSummarySchema, { params: { name }, body: {} }),
    listRuns: (query: Query) => call('listRuns', runListSchema, { query }),
    getRun: (id: string) => call('getRun', runDetailSchema, { params: { id } }),
    getRunLogs: (id: string, query: Query) => call('getRunLogs', logPageSchema, { params: { id }, query }),
    trigger: (request: TriggerRequest) => call('triggerRun', queuedRunSchema, { body: request }),
    rerun: (id: string, request: RerunRequest) => call('rerunRun', queuedRunSchema, { params: { id }, body: request }),
    cancel: (id: string) => call('cancelRun', runSummarySchema, { params: { id }, body: {} }),
    getDeadLetter: (id: string) => call('getDeadLetter', deadLetterSchema, { params: { id } }),
    listDeadLetters: (query: Query) => call('listDeadLetters', deadLetterListSchema, { query }),
    replayDeadLetters: (selection: DeadLetterSelection) => call('replayDeadLetters', deadLetterActionResultSchema, { body: selection }),
    purgeDeadLetters: (selection: DeadLetterSelection) => call('purgeDeadLetters', deadLetterActionResultSchema, { body: selection }),
    startBulk: (request: BulkRequest) => call('startBulkAction', bulkActionSchema, { body: request }),
    getBulk: (id: string) => call('getBulkAction', bulkActionSchema, { params: { id } }),
  };
}
export type OpsClient = ReturnType<typeof createOpsClient>;

function errorOf(status: number, json: unknown, text: string): CliError {
  const body = errorBodySchema.safeParse(json);
  if (body.success) {
    const { code, message, issues } = body.data.error;
    const detail = issues && issues.length > 0 ? ` (${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')})` : '';
    const hint = code === 'unauthenticated' ? ' — pass --token or set SLUICE_TOKEN (an ID token for the ops API)' : '';
    return new CliError(`${message}${detail}${hint}`, exitCodeOfApiError(code));
  }
  // Not the API's error body (a proxy, a load balancer): say what came back, briefly.
  const exitCode = status === 401 || status === 403 ? EXIT.auth : status === 404 ? EXIT.notFound : EXIT.failed;
  return new CliError(`ops API answered HTTP ${status}${text ? `: ${text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`, exitCode);
}
