// The ops API end to end over its real parts: the Firestore RunStore on the emulator, the run views,
// Google ID tokens minted by the local cloud's Google API double and verified by the real
// google-auth-library. Runs list by cursor pages newest first, a run page with its error first, the
// files, roles by token, and the live streams: an event per change, heartbeats, and the watch closed
// when the client goes. Controls are a stand-in here (their own tests cover them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idTokenCertsUrl, mintIdToken } from '../../../emulator/google-apis/id-token-routes';
import { createOpsAuth } from '../../../functions/ops/http/ops-auth';
import { startOpsServer, type OpsServer } from '../../../functions/ops/http/start-ops-server';
import type { OpsService } from '../../../functions/ops/ops-service';
import { createRunViews } from '../../../functions/ops/views/create-run-views';
import { createFirestoreRunStore } from '../../../functions/runtime/firestore-run-store';
import type { PipelineStateStore } from '../../../functions/runtime/pipeline-state-store';
import type { RunStore } from '../../../functions/runtime/run-store';
import { restaurantPos } from '../../../pipelines/restaurant-pos';
import { fileViewSchema, runDetailSchema, runListSchema, type RunDetail, type RunList } from '../../../functions/ops/api-schemas';
import { firestoreFor, localCloud, uniqueProjectId } from '../../support/local-cloud';
import { createFakeOpsService } from './fake-ops-service';

const AUDIENCE = 'https://ops.sluice.test';
const firestore = firestoreFor(uniqueProjectId('ops-api'));
let clock = Date.parse('2026-12-01T06:00:00.000Z');
const now = () => new Date(clock);
const store = createFirestoreRunStore(firestore, { now });
let openWatches = 0;
// The store, counting the live watches the API holds open.
const runs: RunStore = {
  ...store,
  watchRun: (id, onChange, onError) => counted(store.watchRun(id, onChange, onError)),
  watchFiles: (id, onChange, onError) => counted(store.watchFiles(id, onChange, onError)),
  watchRuns: (query, onChange, onError) => counted(store.watchRuns(query, onChange, onError)),
};
function counted(stop: () => void): () => void {
  openWatches++;
  let stopped = false;
  return () => {
    if (!stopped) openWatches--;
    stopped = true;
    stop();
  };
}
const pipelineStates: PipelineStateStore = {
  async get(pipeline) { return { pipeline, paused: false }; },
  async setPaused() { throw new Error('not here'); },
  async claimScheduleCheck() { return true; },
};

let server: OpsServer;
let operator: string;
let viewer: string;

async function seedRun(runId: string, outcome: 'loaded' | 'failed') {
  clock += 60_000;
  await runs.startRun(runId, { pipeline: 'restaurant-pos', trigger: 'schedule', messageId: `m-${runId}`, dates: ['2026-11-30'] });
  await runs.stageStarted(runId, 'f1', 'transform', { name: '20261130/OrderDetails.csv' });
  await runs.setExpectedFiles(runId, 1);
  if (outcome === 'failed') {
    await runs.stageStarted(runId, 'f1', 'load');
    await runs.finishFile(runId, 'f1', 'failed', { stage: 'load', error: 'value too long for type character varying(10)', row: 42 });
  } else {
    await runs.stageSucceeded(runId, 'f1', 'transform', { rows: 3 });
    await runs.finishFile(runId, 'f1', 'loaded', { stage: 'load' });
  }
}

beforeAll(async () => {
  const cloud = localCloud();
  const views = createRunViews({ pipelines: [restaurantPos], runs, pipelineStates, now });
  const service: OpsService = { ...createFakeOpsService(), views };
  const auth = createOpsAuth({ ops: { viewers: [], operators: ['user:ana@example.com'] }, audiences: [AUDIENCE], certsUrl: idTokenCertsUrl(cloud.google) });
  server = await startOpsServer({ service, auth, heartbeatMs: 100 });
  operator = await mintIdToken(cloud.google, { email: 'ana@example.com', audience: AUDIENCE });
  viewer = await mintIdToken(cloud.google, { email: 'bo@example.com', audience: AUDIENCE });
  for (let i = 1; i <= 7; i++) await seedRun(`run-${i}`, i === 3 ? 'failed' : 'loaded');
});
afterAll(async () => {
  await server?.stop();
  await firestore.terminate();
});

const get = async <T>(path: string, token = viewer): Promise<T> => {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

// Reads server-sent events from a streaming fetch, one parsed event at a time.
function openEvents(path: string, token = viewer) {
  const controller = new AbortController();
  const events: Array<{ event: string; data: unknown }> = [];
  let comments = 0;
  const waiters: Array<() => void> = [];
  const ready = fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal }).then(async (response) => {
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(':')) comments++;
            const event = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
            waiters.splice(0).forEach((w) => w());
          }
        }
      } catch {
        // aborted
      }
    })();
  });
  const until = async (what: string, condition: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 200); });
    }
  };
  return { ready, events, comments: () => comments, until, close: () => controller.abort() };
}

describe('ops API on the real RunStore', () => {
  it('pages every run by cursor, newest first, for a verified caller', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page: RunList = await get(`/runs?pipeline=restaurant-pos&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.runs.length).toBeLessThanOrEqual(3);
      runListSchema.parse(page);
      seen.push(...page.runs.map((r) => r.runId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['run-7', 'run-6', 'run-5', 'run-4', 'run-3', 'run-2', 'run-1']);
    const failed: RunList = await get('/runs?status=failed');
    expect(failed.runs.map((r) => [r.runId, r.failedStage])).toEqual([['run-3', 'load']]);
  });

  it('shows a failed run with its error first and its files', async () => {
    const detail: RunDetail = runDetailSchema.parse(await get('/runs/run-3'));
    expect(detail.error).toEqual({ stage: 'load', message: 'value too long for type character varying(10)', file: '20261130/OrderDetails.csv', row: 42, attempt: 1 });
    expect(detail.run.status).toBe('failed');
    expect(detail.retryCommand).toBe('npx sluice rerun run-3 --failed');
    const { files } = await get<{ files: Array<{ fileKey: string; status: string }> }>('/runs/run-3/files');
    expect(files).toEqual([expect.objectContaining({ fileKey: 'f1', status: 'failed' })]);
    fileViewSchema.array().parse(files);
    expect((await fetch(`${server.url}/runs/nope`, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(404);
    // A cursor the list never gave is the caller's mistake.
    const badCursor = await fetch(`${server.url}/runs?cursor=bogus`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(badCursor.status).toBe(400);
    expect(((await badCursor.json()) as { error: { code: string } }).error.code).toBe('invalid-request');
  });

  it('tells callers their role, refuses a viewer\'s mutation and a missing token', async () => {
    expect(await get('/whoami', operator)).toEqual({ principal: 'user:ana@example.com', role: 'operator' });
    expect(await get('/whoami', viewer)).toEqual({ principal: 'user:bo@example.com', role: 'viewer' });
    expect((await fetch(`${server.url}/runs/run-1:cancel`, { method: 'POST', headers: { authorization: `Bearer ${viewer}` } })).status).toBe(403);
    expect((await fetch(`${server.url}/runs/run-1:cancel`, { method: 'POST', headers: { authorization: `Bearer ${operator}` } })).status).toBe(200);
    expect((await fetch(`${server.url}/runs`)).status).toBe(401);
  });

  it('streams a run\'s changes as `run` events, with heartbeats, and stops watching when the client goes', async () => {
    const before = openWatches;
    const stream = openEvents('/runs/run-live/events');
    // A run that is not there yet is a 404, not a stream.
    await expect(stream.ready).rejects.toThrow();
    clock += 60_000;
    await runs.startRun('run-live', { pipeline: 'restaurant-pos', trigger: 'manual', messageId: 'm-live', dates: ['2026-11-30'] });
    await runs.stageStarted('run-live', 'f1', 'transform', { name: '20261130/OrderDetails.csv' });
    const live = openEvents('/runs/run-live/events');
    await live.ready;
    await live.until('the first run event', () => live.events.length > 0);
    expect(live.events[0]).toMatchObject({ event: 'run', data: { run: { runId: 'run-live', status: 'running' } } });
    await runs.stageStarted('run-live', 'f1', 'load');
    await live.until('load running', () => live.events.some((e) => (e.data as RunDetail).stages?.find((s) => s.stage === 'load')?.status === 'running'));
    await live.until('a heartbeat', () => live.comments() > 0);
    expect(openWatches).toBe(before + 2);
    live.close();
    await live.until('the watches closed', () => openWatches === before);
  });

  it('streams the runs list as `runs` events when a run in it changes', async () => {
    const before = openWatches;
    const live = openEvents('/events/runs?pipeline=restaurant-pos&limit=5');
    await live.ready;
    await live.until('the first runs event', () => live.events.length > 0);
    clock += 60_000;
    await runs.startRun('run-new', { pipeline: 'restaurant-pos', trigger: 'manual', messageId: 'm-new', dates: ['2026-11-30'] });
    await live.until('the new run listed', () => live.events.some((e) => (e.data as RunList).runs[0]?.runId === 'run-new'));
    live.close();
    await live.until('the watch closed', () => openWatches === before);
  });
});
