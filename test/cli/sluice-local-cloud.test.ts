// The sluice CLI end to end on the local cloud: the demo pipeline deployed on the shared local cloud,
// the real run views and controls (over the Firestore stores) behind the real ops API, Google ID
// tokens minted and verified as in the cloud (the Google API double's keys), and the CLI as a child
// process. Proves: trigger --wait follows the run's event stream to succeeded and exits 0; a run
// cancelled while it runs makes `cancel --wait` exit 5; pause/resume reach the local scheduler's job;
// rerun --failed --wait re-fetches the cancelled run's files to succeeded; dlq list and a bulk rerun
// work through the real service; an unknown run exits 3; a viewer's cancel exits 4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idTokenCertsUrl, mintIdToken } from '../../emulator/google-apis/id-token-routes';
import { createOpsService } from '../../functions/ops/create-ops-service';
import { createOpsAuth } from '../../functions/ops/http/ops-auth';
import { startOpsServer, type OpsServer } from '../../functions/ops/http/start-ops-server';
import type { OpsDeps } from '../../functions/ops/ops-deps';
import { createFirestoreDeadLetterStore } from '../../functions/runtime/firestore-dead-letter-store';
import { createFirestorePipelineStateStore } from '../../functions/runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore } from '../../functions/runtime/firestore-run-store';
import { createSecretReader } from '../../functions/runtime/secret-reader';
import { silentLogger } from '../../shared/logger';
import { defineOps } from '../../shared/ops-definition';
import { startDemoHarness, type DemoHarness } from '../e2e/demo-harness';
import { localCloud } from '../support/local-cloud';
import { sluice, startSluice } from './run-sluice';

const AUDIENCE = 'https://sluice-ops.test';
const DEV_TOKEN = 'cli-e2e-dev-token';
const DATE = '2026-11-30';
// Another day's export for the cancelled run, written after the first run (which would fetch it
// too: a file is fetched once, the ledger decides).
const CANCEL_DATE = '2026-11-29';

let h: DemoHarness;
let server: OpsServer;
let viewerToken: string;
let cancelledRunId: string;
const api = () => ['--api', server.url, '--token', DEV_TOKEN];

beforeAll(async () => {
  const endpoints = localCloud();
  h = await startDemoHarness();
  h.generate([DATE], 20);
  const ops = defineOps({ viewers: ['user:viewer@example.com'], operators: ['user:operator@example.com'] });
  const deps: OpsDeps = {
    pipelines: [h.pipeline],
    ops,
    projectId: h.deployment.projectId,
    prefix: h.deployment.prefix,
    bucket: h.deployment.bucket,
    firestore: h.firestore,
    pubsub: h.deployment.pubsub,
    storage: h.deployment.storage,
    runs: createFirestoreRunStore(h.firestore),
    pipelineStates: createFirestorePipelineStateStore(h.firestore),
    deadLetters: createFirestoreDeadLetterStore(h.firestore),
    // The local cloud's own: pausing pauses the pipeline's local schedule job.
    schedules: h.deployment.schedules,
    logs: { logsOf: async () => ({ entries: [] }) },
    secrets: createSecretReader({ env: {}, projectId: h.deployment.projectId, allowed: [] }),
    localEndpoints: {},
    dashboardUrl: 'http://127.0.0.1/ui/',
    logger: silentLogger,
    now: () => new Date(),
  };
  // The real ops service, as the local cloud serves it.
  const service = createOpsService(deps);
  server = await startOpsServer({
    service,
    auth: createOpsAuth({ ops, audiences: [AUDIENCE], certsUrl: idTokenCertsUrl(endpoints.google), devToken: DEV_TOKEN }),
  });
  viewerToken = await mintIdToken(endpoints.google, { email: 'viewer@example.com', audience: AUDIENCE });
});

afterAll(async () => {
  await server?.stop();
  await h?.close();
});

describe('sluice on the local cloud', () => {
  it('trigger --wait follows the demo run to succeeded and exits 0', async () => {
    // An interval no test waits for: the run's event stream (the views' live watch) must carry it.
    const result = await sluice([...api(), 'trigger', h.pipeline.name, '--date', DATE, '--wait', '--interval', '600']);
    expect(result.stderr).toContain(`(${h.pipeline.name}) is queued`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^load\s+(running|done)\s+files \d+\/\d+/m);
    expect(result.stdout).toMatch(new RegExp(`^\\S+\\s+${h.pipeline.name}\\s+succeeded`));
    const runId = /triggered: run (\S+)/.exec(result.stderr)![1]!;
    const got = await sluice([...api(), 'runs', 'get', runId, '-o', 'json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ run: { runId, status: 'succeeded', logicalDate: DATE, actor: 'dev', trigger: 'manual' } });
  });

  it('a run cancelled while it runs: cancel --wait exits 5', async () => {
    // The database down holds the run in load (retrying), so the cancel surely lands before it ends.
    h.generate([CANCEL_DATE], 20);
    h.proxy.down();
    try {
      const triggered = await sluice([...api(), 'trigger', h.pipeline.name, '--date', CANCEL_DATE, '-o', 'json']);
      expect(triggered.code, triggered.stderr).toBe(0);
      const { runId } = JSON.parse(triggered.stdout) as { runId: string };
      cancelledRunId = runId;
      const cancel = startSluice([...api(), 'cancel', runId, '--wait', '--interval', '0.2']);
      await cancel.stderrMatches(/cancel requested/);
      h.proxy.up();
      const result = await cancel.done;
      expect(result.code, result.stderr).toBe(5);
      expect(result.stdout).toMatch(new RegExp(`^${runId}\\s+${h.pipeline.name}\\s+cancelled`));
    } finally {
      h.proxy.up();
    }
  });

  it('pause and resume the local schedule job; rerun --failed --wait re-fetches a cancelled run; dlq list and bulk rerun', async () => {
    const job = `${h.deployment.prefix}-${h.pipeline.name}-schedule`;
    const paused = await sluice([...api(), 'pause', h.pipeline.name]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(h.deployment.scheduler.isPaused(job)).toBe(true);
    const listed = JSON.parse((await sluice([...api(), 'pipelines', 'list', '-o', 'json'])).stdout) as Array<{ name: string; paused: boolean; pausedBy?: string }>;
    expect(listed.find((p) => p.name === h.pipeline.name)).toMatchObject({ paused: true, pausedBy: 'dev' });
    const resumed = await sluice([...api(), 'resume', h.pipeline.name]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(h.deployment.scheduler.isPaused(job)).toBe(false);

    // The cancelled run's files, fetched again by a rerun (its fetch-ledger claims released on purpose).
    const rerun = await sluice([...api(), 'rerun', cancelledRunId, '--failed', '--wait', '--interval', '0.5']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(new RegExp(`\\s${h.pipeline.name}\\s+succeeded`));

    const letters = await sluice([...api(), 'dlq', 'list', '--pipeline', h.pipeline.name, '-o', 'json']);
    expect(letters.code, letters.stderr).toBe(0);
    expect(JSON.parse(letters.stdout)).toHaveProperty('deadLetters');

    // Every cancelled run of the pipeline (the one above): counted, then rerun, with progress to the end.
    const bulk = await sluice([...api(), 'bulk', 'rerun', '--pipeline', h.pipeline.name, '--status', 'cancelled', '--yes', '--interval', '0.2']);
    expect(bulk.code, bulk.stderr).toBe(0);
    expect(bulk.stderr).toContain('1 run(s) match');
    expect(bulk.stdout).toMatch(/bulk rerun \S+ done: 1\/1 done, 0 failed/);
  });

  it('an unknown run exits 3; a viewer may look (exit 0) but their cancel exits 4', async () => {
    const [unknown, viewerList, viewerCancel] = await Promise.all([
      sluice([...api(), 'runs', 'get', 'no-such-run']),
      sluice(['--api', server.url, '--token', viewerToken, 'runs', 'list', '-o', 'jsonl']),
      sluice(['--api', server.url, '--token', viewerToken, 'cancel', 'no-such-run']),
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^sluice: no run "no-such-run"\n$/);
    expect(viewerList.code, viewerList.stderr).toBe(0);
    expect(viewerList.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(viewerCancel.code).toBe(4);
    expect(viewerCancel.stderr).toMatch(/^sluice: .*user:viewer@example\.com is a viewer/);
  });
});
