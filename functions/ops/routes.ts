// The ops API's routes, one table: the server (functions/ops/http/) serves exactly these, the OpenAPI
// document lists them, the CLI and the dashboard build their URLs from them. Paths follow Google's
// custom-method style (`/runs/{id}:cancel`). `role`: the least role that may call it (health needs no
// token). Bodies and answers: api-schemas.ts.
export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  role: 'none' | 'viewer' | 'operator';
  summary: string;
}

export const routes = {
  health: { method: 'GET', path: '/health', role: 'none', summary: 'The process answers (no dependency touched)' },
  healthDetailed: { method: 'GET', path: '/health/detailed', role: 'viewer', summary: 'Each dependency with its latency; 503 when a required one is down' },
  openapi: { method: 'GET', path: '/openapi.json', role: 'none', summary: 'This API as an OpenAPI 3.1 document' },
  whoami: { method: 'GET', path: '/whoami', role: 'viewer', summary: 'The caller and their role' },
  listPipelines: { method: 'GET', path: '/pipelines', role: 'viewer', summary: 'Pipelines with schedule, next fire times, paused, last runs' },
  getPipeline: { method: 'GET', path: '/pipelines/{name}', role: 'viewer', summary: 'One pipeline' },
  pausePipeline: { method: 'POST', path: '/pipelines/{name}:pause', role: 'operator', summary: 'Pause: scheduled triggers are recorded as paused, the scheduler job is paused' },
  resumePipeline: { method: 'POST', path: '/pipelines/{name}:resume', role: 'operator', summary: 'Resume a paused pipeline' },
  listRuns: { method: 'GET', path: '/runs', role: 'viewer', summary: 'Runs, newest first, by cursor pages' },
  triggerRun: { method: 'POST', path: '/runs', role: 'operator', summary: 'Trigger a pipeline now (optionally for a date, or as a dry run)' },
  getRun: { method: 'GET', path: '/runs/{id}', role: 'viewer', summary: 'A run: its error, stages, files, lineage' },
  getRunFiles: { method: 'GET', path: '/runs/{id}/files', role: 'viewer', summary: "A run's files" },
  getRunLogs: { method: 'GET', path: '/runs/{id}/logs', role: 'viewer', summary: "A run's log lines" },
  rerunRun: { method: 'POST', path: '/runs/{id}:rerun', role: 'operator', summary: 'Rerun: all or failed files, from fetch, transform or load' },
  cancelRun: { method: 'POST', path: '/runs/{id}:cancel', role: 'operator', summary: 'Cancel a run cooperatively' },
  listDeadLetters: { method: 'GET', path: '/dead-letters', role: 'viewer', summary: 'Kept dead letters, newest first' },
  getDeadLetter: { method: 'GET', path: '/dead-letters/{id}', role: 'viewer', summary: 'One dead letter with its original message' },
  replayDeadLetters: { method: 'POST', path: '/dead-letters:replay', role: 'operator', summary: 'Publish dead letters again to their stage' },
  purgeDeadLetters: { method: 'POST', path: '/dead-letters:purge', role: 'operator', summary: 'Delete dead letters' },
  startBulkAction: { method: 'POST', path: '/bulk-actions', role: 'operator', summary: 'Rerun or cancel every run matching a filter (dryRun: count only)' },
  getBulkAction: { method: 'GET', path: '/bulk-actions/{id}', role: 'viewer', summary: "A bulk action's progress" },
  // Server-sent events: `run` events for one run, `runs` events for a runs-list query (same query
  // parameters as GET /runs, first page), each carrying the JSON of what changed.
  runEvents: { method: 'GET', path: '/runs/{id}/events', role: 'viewer', summary: 'Live changes of one run (text/event-stream)' },
  runsEvents: { method: 'GET', path: '/events/runs', role: 'viewer', summary: 'Live changes of a runs list (text/event-stream)' },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

// `/runs/{id}:cancel` with { id: 'r1' } → `/runs/r1:cancel` (each value URI-encoded).
export function pathOf(name: RouteName, params: Record<string, string> = {}): string {
  return routes[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name} needs {${key}}`);
    return encodeURIComponent(value);
  });
}

// The dashboard's static files are served under this path; `/` redirects to it.
export const DASHBOARD_PATH = '/ui/';
