// Cloud entry point of the ops function: the ops API (and the dashboard under /ui/) registered with
// the functions framework under the entry point "ops", configured from the function's environment.
// Configuration is parsed at load, so a bad setting fails the first request loudly, naming the field.
import * as functions from '@google-cloud/functions-framework';
import { pipelines } from '../../pipelines/index';
import { ops } from '../../pipelines/ops';
import { createLogger } from '../../shared/logger';
import { createDashboardHandler, type DashboardHandler } from './dashboard/serve-dashboard';
import { createOpsRuntime } from './ops-runtime';

// The dashboard's files travel in the package's dashboard/ folder (scripts/build-functions.ts; the
// function runs with the package as its working directory). Without them the API still serves, and
// the log says why /ui/ answers 404.
function bundledDashboard(): DashboardHandler | undefined {
  try {
    return createDashboardHandler();
  } catch (error) {
    createLogger({ component: 'ops' }).error('dashboard files not found: /ui/ is not served', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

const dashboard = bundledDashboard();
const runtime = createOpsRuntime({ env: process.env, pipelines, ops, ...(dashboard ? { dashboard } : {}) });
functions.http('ops', (req, res) => void runtime.handler(req, res));
