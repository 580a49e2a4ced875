// The ops API's runs list at scale (issue 11: GET /runs p95 ≤ 150 ms with 100,000 run records in the
// emulator). A Firestore emulator of its own is seeded with `--ops-runs` ended runs in the document
// shape the RunStore writes (list fields, counts, stage timings, TTL), by batched writes; then the
// real HTTP server (startOpsServer over createOpsApp) with the real run views over the Firestore
// RunStore answers GET /runs: the first page, pages deep behind cursors (reached by walking the list),
// and filtered queries. Each is measured against baselines from the same run: GET /health through the
// same server and token check (the HTTP floor), one document get from the emulator, and the cheapest
// query there is on the runs collection (50 documents, no filter, no order): the emulator evaluates
// every query by reading the whole collection (no indexes; measured: that query's time grows with
// the collection's size), so that query is the floor any list can reach on it, and the last column
// says what the list costs beyond it. Cloud Firestore serves the same queries from the composite
// indexes (shared/firestore-indexes.ts) whatever the collection's size.
import crypto from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { startFirestoreEmulator } from '../emulator/firestore-emulator';
import { createOpsAuth } from '../functions/ops/http/ops-auth';
import { startOpsServer } from '../functions/ops/http/start-ops-server';
import type { OpsDeps } from '../functions/ops/ops-deps';
import { OpsError, type OpsService } from '../functions/ops/ops-service';
import { createRunViews } from '../functions/ops/views/create-run-views';
import { createFirestorePipelineStateStore } from '../functions/runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore, type StoredRunRecord } from '../functions/runtime/firestore-run-store';
import { createLiveRunIndex, withLiveRunIndex } from '../functions/runtime/live-run-index';
import { encodeCursor } from '../functions/runtime/run-list-query';
import { RUNS_COLLECTION, type RunStatus } from '../functions/runtime/run-record';
import { restaurantPos } from '../pipelines/restaurant-pos';
import { vendorInbox } from '../pipelines/vendor-inbox';
import { createLogger } from '../shared/logger';
import { defineOps } from '../shared/ops-definition';
import { onCleanup } from './cleanup';
import { percentile } from './demo-latency';
import { count, formatTable, ratio } from './print-table';

export const OPS_GOAL = { p95UnderMs: 150 };
const PIPELINES = ['restaurant-pos', 'vendor-inbox', 'warehouse-stock', 'crm-sync'];
const BATCH = 500; // Firestore's most writes per batch
const CONCURRENT_BATCHES = 6;
const PAGE = 50;
const NEWEST = Date.parse('2026-11-30T23:00:00Z');

interface Timing { p50Ms: number; p95Ms: number }

export interface OpsCase {
  name: string;
  path: string;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  // p95 over the HTTP baseline's p95, and over the emulator's scan floor's p95.
  vsHealth: number;
  vsScan: number;
  runsPerPage: number;
}

export interface OpsPart {
  runs: number;
  seedMs: number;
  seedPerSec: number;
  baselines: { health: Timing; documentGet: Timing; scanFloor: Timing };
  // Through the Firestore emulator's queries (no indexes: each reads the whole collection).
  cases: OpsCase[];
  // The same requests as the local cloud serves them: the RunStore with the in-memory live index
  // (functions/runtime/live-run-index.ts), loaded from one snapshot of every run first.
  indexCases: OpsCase[];
  indexLoadMs: number;
  // Judged on the local cloud's path (indexCases); `emulatorQueriesMet`: on the raw emulator queries.
  goal: { p95UnderMs: number; met: boolean; emulatorQueriesMet: boolean };
}

// Deterministic: run i is ~2.6 minutes older than run i−1, so 100,000 runs span about six months.
function runOf(i: number, newest: number): StoredRunRecord {
  const random = crypto.createHash('sha256').update(String(i)).digest();
  const pick = (byte: number) => random[byte]! / 256;
  const pipeline = PIPELINES[i % PIPELINES.length]!;
  const roll = pick(0);
  const status: RunStatus = roll < 0.85 ? 'succeeded' : roll < 0.91 ? 'failed' : roll < 0.95 ? 'partial' : roll < 0.99 ? 'no-new-data' : 'cancelled';
  const manual = pick(1) < 0.1;
  const started = new Date(newest - i * 157_000);
  const durationMs = 2_000 + Math.floor(pick(2) * 120_000);
  const finished = new Date(started.getTime() + durationMs);
  const files = 1 + Math.floor(pick(3) * 12);
  const failedFiles = status === 'failed' || status === 'partial' ? 1 + Math.floor(pick(4) * Math.min(3, files)) : 0;
  const iso = (d: Date) => d.toISOString();
  const date = iso(started).slice(0, 10);
  return {
    runId: `bench-${String(100_000_000 - i).padStart(9, '0')}`,
    pipeline,
    trigger: manual ? 'manual' : 'schedule',
    messageId: String(1_000_000 + i),
    dates: [date],
    status,
    createdAt: iso(started),
    updatedAt: iso(finished),
    finishedAt: iso(finished),
    completedAt: iso(finished),
    logicalDate: date,
    startedAt: iso(started),
    durationMs,
    actor: manual ? 'user:ana@example.com' : 'scheduler',
    rows: (files - failedFiles) * (500 + Math.floor(pick(5) * 5_000)),
    ...(failedFiles > 0
      ? { failedStage: pick(6) < 0.5 ? 'load' : 'transform', errorSummary: `orders_${date}.csv row ${1 + Math.floor(pick(7) * 900)}: column "total" is not a number ("12,5O")` }
      : {}),
    expectedFiles: files,
    endedFiles: files,
    counts: {
      loaded: status === 'no-new-data' ? 0 : files - failedFiles, skipped: status === 'no-new-data' ? files : 0, superseded: 0,
      quarantined: status === 'partial' ? failedFiles : 0, failed: status === 'failed' ? failedFiles : 0, expanded: 0, cancelled: 0,
    },
    stages: {
      fetch: { attempts: 1, startedAt: iso(started), endedAt: iso(new Date(started.getTime() + 800)) },
      notify: { attempts: 1, startedAt: iso(new Date(finished.getTime() - 300)), endedAt: iso(finished) },
    },
    ...(failedFiles > 0 ? { error: { stage: 'load', message: 'column "total" is not a number' } } : {}),
    notifications: { doneAt: iso(finished), ...(status === 'succeeded' ? { reportSentAt: iso(finished) } : { alertSentAt: iso(finished) }) },
    expiresAt: new Date(finished.getTime() + 365 * 86_400_000),
  };
}

async function seed(firestore: Firestore, runs: number, log: (message: string) => void): Promise<number> {
  const newest = NEWEST;
  const collection = firestore.collection(RUNS_COLLECTION);
  const started = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < runs) {
      const from = next;
      const to = Math.min(runs, from + BATCH);
      next = to; // claimed before the await: the other workers take the batches after it
      const batch = firestore.batch();
      for (let i = from; i < to; i++) {
        const run = runOf(i, newest);
        batch.set(collection.doc(run.runId), run);
      }
      await batch.commit();
      done += to - from;
      if (done % 20_000 < BATCH) log(`ops: seeded ${count(done)} of ${count(runs)} runs`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_BATCHES }, worker));
  return performance.now() - started;
}

async function timed(samples: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 2; i++) await call(); // warm-up: connections, JIT, the emulator's caches
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  return times;
}

const unavailable = (): never => {
  throw new OpsError('unavailable', 'not part of the ops bench');
};

export async function benchOpsList(options: { runs: number; samples: number; log: (message: string) => void }): Promise<OpsPart> {
  const { log } = options;
  const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
  // No metadata server exists locally; without this the Firestore client probes for one and warns.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  log('ops: starting the Firestore emulator');
  const emulator = await startFirestoreEmulator({ env: process.env, logger: quiet });
  const stops: Array<() => Promise<void>> = [() => emulator.stop()];
  const stopAll = onCleanup('stop the ops bench', async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => log(`stop failed: ${(error as Error).message}`));
  });
  try {
    const projectId = 'sluice-bench-ops';
    const firestore = new Firestore({ projectId, host: emulator.host, ssl: false, ignoreUndefinedProperties: true });
    stops.push(() => firestore.terminate());
    log(`ops: seeding ${count(options.runs)} runs (batches of ${BATCH}, ${CONCURRENT_BATCHES} at a time)`);
    const seedMs = await seed(firestore, options.runs, log);

    // The real views over the real store. Only the list is measured, so the service's other parts
    // (which need Pub/Sub, Cloud Storage and the stages' stores) answer 'unavailable'.
    const deps = {
      pipelines: [restaurantPos, vendorInbox],
      runs: createFirestoreRunStore(firestore),
      pipelineStates: createFirestorePipelineStateStore(firestore),
      now: () => new Date(),
    } satisfies Partial<OpsDeps>;
    const service: OpsService = {
      views: createRunViews(deps),
      controls: { trigger: unavailable, rerun: unavailable, cancel: unavailable, pause: unavailable, resume: unavailable },
      deadLetters: { list: unavailable, get: unavailable, replay: unavailable, purge: unavailable },
      bulk: { start: unavailable, get: unavailable },
      health: { live: () => ({ status: 'ok' }), detailed: unavailable },
      logs: { logsOf: unavailable },
    };
    const token = crypto.randomBytes(24).toString('base64url');
    const server = await startOpsServer({ service, auth: createOpsAuth({ ops: defineOps({}), audiences: [], devToken: token }), logger: quiet });
    stops.push(() => server.stop());

    // The local cloud's ops server: the same views over the store with the live index (emulator/local-ops.ts).
    log('ops: loading the live run index (one snapshot of every run)');
    const indexStarted = Date.now();
    const liveIndex = createLiveRunIndex(firestore);
    stops.push(async () => liveIndex.stop());
    await liveIndex.ready;
    const indexLoadMs = Date.now() - indexStarted;
    const indexedService: OpsService = { ...service, views: createRunViews({ ...deps, runs: withLiveRunIndex(deps.runs, liveIndex) }) };
    const indexedServer = await startOpsServer({ service: indexedService, auth: createOpsAuth({ ops: defineOps({}), audiences: [], devToken: token }), logger: quiet });
    stops.push(() => indexedServer.stop());

    const get = async (path: string, base = server.url): Promise<{ runs?: unknown[]; nextCursor?: string }> => {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await response.json()) as { runs?: unknown[]; nextCursor?: string };
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
      return body;
    };

    // Cursors deep into the list. Walking there page by page would cost hundreds of emulator scans
    // (see above), so the cursor is made from the seeded run just before that depth, as the store
    // encodes a page's last run; the page read after it must then start at the run at that depth.
    const newest = NEWEST;
    const depths = [1_000, Math.floor(options.runs / 2), options.runs - PAGE].filter((d) => d > 0 && d < options.runs);
    const cursors = new Map<number, string>();
    for (const depth of depths) {
      const before = runOf(depth - 1, newest);
      const cursor = encodeCursor({ startedAt: before.startedAt!, runId: before.runId });
      const page = (await get(`/runs?limit=1&cursor=${encodeURIComponent(cursor)}`)) as { runs?: Array<{ runId?: string }> };
      if (page.runs?.[0]?.runId !== runOf(depth, newest).runId) throw new Error(`ops: the page after run ${depth} does not start at run ${depth + 1}`);
      cursors.set(depth, cursor);
    }

    const samples = options.samples;
    const health = await timed(samples, () => fetch(`${server.url}/health`).then((r) => r.arrayBuffer()));
    const someRun = runOf(Math.floor(options.runs / 2), newest).runId;
    const documentGet = await timed(samples, () => firestore.collection(RUNS_COLLECTION).doc(someRun).get());
    const scanFloor = await timed(samples, () => firestore.collection(RUNS_COLLECTION).limit(PAGE).get());
    const healthP95 = percentile(health, 95);
    const scanP95 = percentile(scanFloor, 95);

    const week = new Date(newest - 7 * 86_400_000).toISOString();
    const paths: Array<[string, string]> = [
      ['first page', `/runs?limit=${PAGE}`],
      ...[...cursors].map(([depth, c]): [string, string] => [`page after ${count(depth)} runs (cursor)`, `/runs?limit=${PAGE}&cursor=${encodeURIComponent(c)}`]),
      ['pipeline + status=failed', `/runs?limit=${PAGE}&pipeline=vendor-inbox&status=failed`],
      ['status in (failed,partial), since a week', `/runs?limit=${PAGE}&status=failed,partial&since=${encodeURIComponent(week)}`],
    ];
    const measure = async (base: string, label: string, samples: number): Promise<OpsCase[]> => {
      const measured: OpsCase[] = [];
      for (const [name, path] of paths) {
        let runsPerPage = 0;
        const times = await timed(samples, async () => (runsPerPage = (await get(path, base)).runs?.length ?? 0));
        measured.push({ name, path, samples, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), vsHealth: percentile(times, 95) / healthP95, vsScan: percentile(times, 95) / scanP95, runsPerPage });
        log(`ops (${label}): ${name}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`);
      }
      return measured;
    };
    const indexCases = await measure(indexedServer.url, 'local index', samples);
    // The emulator's own queries cost seconds each at 100,000 runs: a few samples show it.
    const cases = await measure(server.url, 'emulator queries', Math.min(samples, 5));
    // Both paths must give the same pages.
    for (const [, path] of paths) {
      const [a, b] = await Promise.all([get(path), get(path, indexedServer.url)]);
      if (JSON.stringify(a.runs?.map((r) => (r as { runId?: string }).runId)) !== JSON.stringify(b.runs?.map((r) => (r as { runId?: string }).runId))) {
        throw new Error(`ops: GET ${path} differs between the emulator's query and the live index`);
      }
    }
    return {
      runs: options.runs,
      seedMs,
      seedPerSec: Math.round(options.runs / (seedMs / 1000)),
      baselines: {
        health: { p50Ms: percentile(health, 50), p95Ms: healthP95 },
        documentGet: { p50Ms: percentile(documentGet, 50), p95Ms: percentile(documentGet, 95) },
        scanFloor: { p50Ms: percentile(scanFloor, 50), p95Ms: scanP95 },
      },
      cases,
      indexCases,
      indexLoadMs,
      goal: {
        p95UnderMs: OPS_GOAL.p95UnderMs,
        met: indexCases.every((c) => c.p95Ms <= OPS_GOAL.p95UnderMs),
        emulatorQueriesMet: cases.every((c) => c.p95Ms <= OPS_GOAL.p95UnderMs),
      },
    };
  } finally {
    await stopAll();
  }
}

export function formatOps(part: OpsPart): string {
  const ms = (v: number) => v.toFixed(1);
  const { health, documentGet, scanFloor } = part.baselines;
  const row = (name: string, runs: string, t: Timing) => [name, runs, ms(t.p50Ms), ms(t.p95Ms), ratio(t.p95Ms / health.p95Ms), ratio(t.p95Ms / scanFloor.p95Ms)];
  const lines = [
    row('GET /health (baseline: HTTP + token)', '', health),
    row('one document get (baseline: Firestore)', '', documentGet),
    row(`${PAGE} documents, no filter or order (baseline: emulator scan)`, String(PAGE), scanFloor),
    ...part.indexCases.map((c) => row(`GET /runs (local cloud: live index): ${c.name}`, String(c.runsPerPage), c)),
    ...part.cases.map((c) => row(`GET /runs (emulator queries): ${c.name}`, String(c.runsPerPage), c)),
  ];
  return [
    formatTable(['request', 'runs', 'p50 ms', 'p95 ms', 'p95 vs /health', 'p95 vs scan'], lines),
    '',
    `seeded ${count(part.runs)} runs in ${(part.seedMs / 1000).toFixed(1)} s (${count(part.seedPerSec)}/s); ${part.indexCases[0]?.samples ?? 0} requests per row (emulator queries: ${part.cases[0]?.samples ?? 0})`,
    `live index loaded ${count(part.runs)} runs in ${(part.indexLoadMs / 1000).toFixed(1)} s (once, when the local ops server starts); both paths gave the same pages`,
    `goal: every GET /runs p95 ≤ ${part.goal.p95UnderMs} ms on the local cloud (live index): ${part.goal.met ? 'met' : 'NOT met'}; ` +
      `through the emulator's own queries: ${part.goal.emulatorQueriesMet ? 'met' : 'NOT met'} (it has no indexes; Cloud Firestore serves these queries from shared/firestore-indexes.ts, not measured here)`,
  ].join('\n');
}
