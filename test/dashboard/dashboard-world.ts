// One real ops server for a dashboard test file: the ops service composed by createOpsService from
// the Firestore stores on the local cloud's emulator (a project id of its own), served by
// startOpsServer with the dashboard's files, and one headless Chromium (Debian's, never a download).
// Two tokens: an operator's and a viewer's. Runs are seeded through the same RunStore the stages use
// (seed-runs.ts), with a clock the test moves so runs get distinct start times.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { processRedactor } from '../../shared/redact';
import { silentLogger } from '../../shared/logger';
import { defineOps } from '../../shared/ops-definition';
import type { Pipeline } from '../../shared/pipeline-definition';
import { STAGE_NAMES } from '../../shared/stage-declaration';
import { topicName } from '../../shared/topology';
import { pipelines as declaredPipelines } from '../../pipelines/index';
import { createDashboardHandler } from '../../functions/ops/dashboard/serve-dashboard';
import { createOpsService } from '../../functions/ops/create-ops-service';
import type { LogEntry } from '../../functions/ops/api-schemas';
import { HttpError } from '../../functions/ops/http/api-error';
import type { OpsAuth } from '../../functions/ops/http/ops-auth';
import { startOpsServer, type OpsServer } from '../../functions/ops/http/start-ops-server';
import type { OpsDeps } from '../../functions/ops/ops-deps';
import type { OpsService } from '../../functions/ops/ops-service';
import { createFirestoreDeadLetterStore } from '../../functions/runtime/firestore-dead-letter-store';
import { createFirestorePipelineStateStore } from '../../functions/runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import type { RunStore } from '../../functions/runtime/run-store';
import type { DeadLetterStore } from '../../functions/runtime/dead-letter-store';
import crypto from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';

export const OPERATOR_TOKEN = 'operator-token-for-dashboard-tests';
export const VIEWER_TOKEN = 'viewer-token-for-dashboard-tests';

// The two callers of these tests. The ID-token path is the API's own tests' business (ops-auth.ts);
// here the role is what matters.
export const testAuth: OpsAuth = {
  async authenticate(token) {
    if (token === OPERATOR_TOKEN) return { principal: 'dev', role: 'operator' };
    if (token === VIEWER_TOKEN) return { principal: 'user:viewer@example.com', role: 'viewer' };
    throw new HttpError('unauthenticated', 'The token is missing, expired or not valid for this API.');
  },
};

// A clock the seeding moves: each seeded run starts at its own instant.
export interface TestClock {
  now: () => Date;
  set(instant: Date | string): void;
  // Back to the real time.
  real(): void;
}

export function testClock(): TestClock {
  let fixed: Date | undefined;
  return {
    now: () => (fixed ? new Date(fixed) : new Date()),
    set: (instant) => { fixed = new Date(instant); },
    real: () => { fixed = undefined; },
  };
}

export interface DashboardWorld {
  url: string;
  server: OpsServer;
  service: OpsService;
  runs: RunStore;
  // The kept dead letters the ops service reads (for seeding them as notify keeps them).
  deadLetters: DeadLetterStore;
  clock: TestClock;
  // Another RunStore on the same Firestore with a clock of its own: for seeding runs in parallel.
  storeWithClock(clock: TestClock): RunStore;
  pipelines: readonly Pipeline[];
  projectId: string;
  prefix: string;
  browser: Browser;
  logLines: LogEntry[];
  // A page signed in with a role's token (its own browser context: own cookies and localStorage).
  // 'cookie': the API's /ui/?token= sign-in; 'fragment': the link npm start prints, /ui/#token=,
  // which the page keeps in localStorage and sends as a bearer header.
  pageAs(role: 'operator' | 'viewer', path?: string, viewport?: { width: number; height: number }, signIn?: 'cookie' | 'fragment'): Promise<Page>;
  stop(): Promise<void>;
}

// What of the local cloud the world uses: the tests pass localCloud()'s endpoints, the screenshot
// script its own Firestore emulator's (Pub/Sub and Cloud Storage are only reached by controls).
export interface WorldEndpoints {
  firestoreHost: string;
  pubsubHost?: string;
  storageUrl?: string;
}

const unique = (prefix: string) => `${prefix}-${crypto.randomBytes(5).toString('hex')}`;

export async function startDashboardWorld(endpoints: WorldEndpoints): Promise<DashboardWorld> {
  const projectId = unique('dash');
  const prefix = unique('d');
  const firestore = new Firestore({ projectId, host: endpoints.firestoreHost, ssl: false });
  const pubsub = new PubSub({ projectId, apiEndpoint: endpoints.pubsubHost ?? '127.0.0.1:9', emulatorMode: true });
  const storage = new Storage({ projectId, apiEndpoint: endpoints.storageUrl ?? 'http://127.0.0.1:9' });
  const clock = testClock();
  const runs = createFirestoreRunStore(firestore, { redactor: processRedactor, now: clock.now });
  const logLines: LogEntry[] = [];
  const deadLetters = createFirestoreDeadLetterStore(firestore);
  const deps: OpsDeps = {
    pipelines: declaredPipelines,
    ops: defineOps({}),
    projectId,
    prefix,
    bucket: unique('dash-bucket'),
    firestore,
    pubsub,
    storage,
    runs,
    pipelineStates: createFirestorePipelineStateStore(firestore),
    deadLetters,
    schedules: { pause: async () => undefined, resume: async () => undefined },
    logs: { logsOf: async () => ({ entries: logLines }) },
    secrets: { read: async (name) => { throw new Error(`no secret ${name} in the dashboard tests`); } },
    localEndpoints: {},
    dashboardUrl: 'http://127.0.0.1/ui/',
    logger: silentLogger,
    now: () => new Date(),
  };
  // The stage topics controls publish to (a rerun's trigger, a cancel's run-complete); nothing
  // consumes them here: the tests look at the runs the controls record.
  if (endpoints.pubsubHost) {
    await Promise.all(declaredPipelines.flatMap((p) => STAGE_NAMES.map((stage) => pubsub.createTopic(topicName(prefix, p.name, stage)))));
  }
  const service = createOpsService(deps);
  const server = await startOpsServer({ service, auth: testAuth, dashboard: createDashboardHandler(), logger: silentLogger });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const contexts: BrowserContext[] = [];
  return {
    url: server.url,
    server,
    service,
    runs,
    deadLetters,
    clock,
    storeWithClock: (own) => createFirestoreRunStore(firestore, { redactor: processRedactor, now: own.now }),
    pipelines: declaredPipelines,
    projectId,
    prefix,
    browser,
    logLines,
    async pageAs(role, path = '#/runs', viewport = { width: 1280, height: 800 }, signIn = 'cookie') {
      // A zone that is not UTC, so the UTC/local toggle shows a difference.
      const context = await browser.newContext({ viewport, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
      contexts.push(context);
      const page = await context.newPage();
      const token = role === 'operator' ? OPERATOR_TOKEN : VIEWER_TOKEN;
      if (signIn === 'fragment') {
        await page.goto(`${server.url}/ui/#token=${encodeURIComponent(token)}`);
        await page.waitForURL((url) => url.hash === '#/runs');
        await page.goto(`${server.url}/ui/${path}`);
        return page;
      }
      // The server keeps the token in a cookie and drops it from the address bar.
      await page.goto(`${server.url}/ui/?token=${encodeURIComponent(token)}${path}`);
      return page;
    },
    async stop() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await server.stop();
      // The API's watches end when their event streams close, which the server's stop only starts:
      // Firestore refuses to terminate while one is still listening, so try again, bounded. A
      // stream whose client left while the API was still checking the run (before it opened) never
      // sees its close, so its watch stays (reported to the API's owner): then the client is left to
      // the test process's end rather than failing the file for it.
      const deadline = Date.now() + 3000;
      for (;;) {
        try {
          await firestore.terminate();
          break;
        } catch (error) {
          if (Date.now() > deadline) {
            process.stderr.write(`dashboard world: Firestore kept listeners after the ops server stopped (${error instanceof Error ? error.message : String(error)})\n`);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      await pubsub.close();
    },
  };
}
