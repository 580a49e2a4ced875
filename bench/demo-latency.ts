// The demo pipeline's end-to-end time on the local cloud: trigger published → run terminal (status
// final and its report mailed), over several runs of 9 new files each. One local cloud and one
// deployment; run i asks for export date base + 3i, so its three-day window (lookbackDays 3) holds
// three dates no earlier run fetched, and fetch loads all 9 files again instead of skipping them.
// Goal (issue 8): p50 < 3 s, p95 < 4 s over 10 runs.
import { sftpSourceOf } from '../functions/fetch/sources/sftp/config';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { deployPipelines } from '../emulator/deploy-pipelines';
import type { PushEvent } from '../emulator/pubsub-push/push-dispatcher';
import { generatePosExport } from '../emulator/demo/pos-export';
import { waitForRun, type FinishedRun } from '../emulator/run-watch';
import { startLocalCloud } from '../emulator/stack';
import { addDays } from '../functions/fetch/export-dates';
import { handlers } from '../functions/handlers';
import { restaurantPos } from '../pipelines/restaurant-pos';
import { createGoogleClients } from '../shared/google-clients';
import { createLogger } from '../shared/logger';
import { definePipeline } from '../shared/pipeline-definition';
import { benchTempDir, onCleanup } from './cleanup';

export interface DemoLatencyResult {
  runs: number;
  filesPerRun: number;
  // trigger → run terminal, per run, in order.
  samplesMs: number[];
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  goal: { p50UnderMs: number; p95UnderMs: number; met: boolean };
  statuses: string[];
  // Publish → first push request, per message, over all runs: the local cloud's delivery delay.
  pushWait: { messages: number; p50Ms: number; p95Ms: number; maxMs: number };
  // Failed push attempts (the function answered 500, or no answer), by subscription: each costs a backoff.
  failedAttempts: Record<string, number>;
}

export const DEMO_GOAL = { p50UnderMs: 3000, p95UnderMs: 4000 };

// Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it.
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

export async function benchDemoLatency(options: { runs: number; log: (message: string) => void }): Promise<DemoLatencyResult> {
  const { dir: tmp, remove } = benchTempDir('sluice-bench-demo-');
  const quiet = createLogger({}, (line) => process.stderr.write(line + '\n'), 'ERROR');
  options.log('demo: starting the local cloud');
  const cloud = await startLocalCloud({ dataDir: tmp, fastPostgres: true, env: { ...process.env, PUBSUB_EMULATOR_HOST: undefined, FIRESTORE_EMULATOR_HOST: undefined, STORAGE_EMULATOR_HOST: undefined, DATABASE_URL: undefined }, logger: quiet });
  const { endpoints } = cloud;
  const stops: Array<() => Promise<void>> = [() => cloud.stop()];
  // Also run on Ctrl-C (cleanup.ts), newest first, then the temp folder goes.
  const stopAll = onCleanup('stop the demo\'s local cloud', async () => {
    for (const stop of stops.splice(0)) await stop().catch((error: unknown) => options.log(`stop failed: ${(error as Error).message}`));
  });
  try {
    const admin = new pg.Client({ connectionString: endpoints.databaseUrl });
    await admin.connect();
    await admin.query('create database "sluice_bench_demo"');
    await admin.end();
    const databaseUrl = new URL(endpoints.databaseUrl);
    databaseUrl.pathname = '/sluice_bench_demo';

    const exportId = 'bench';
    const pushWaits: number[] = [];
    const failedAttempts: Record<string, number> = {};
    let runAttempts: Array<Extract<PushEvent, { kind: 'attempt' }>> = [];
    const pipeline = definePipeline({ ...restaurantPos, source: { ...sftpSourceOf(restaurantPos), params: { exportId } }, destinations: [] });
    // Warnings and errors of the functions and the dispatcher, to see why a slow run was slow.
    const logPath = path.resolve(import.meta.dirname, '..', '.sluice', 'bench-demo.log');
    fs.mkdirSync(path.dirname(logPath), { recursive: true });
    fs.writeFileSync(logPath, '');
    const functionLog = createLogger({}, (line) => fs.appendFileSync(logPath, line + '\n'), 'WARNING');
    const deployment = await deployPipelines({
      endpoints,
      pipelines: [pipeline],
      handlers,
      secrets: {
        'pos-sftp-password': endpoints.sftp.password,
        'pos-database-url': databaseUrl.toString(),
        'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`,
      },
      logger: functionLog,
      logLevel: 'WARNING',
      onPushEvent: (event) => {
        if (event.kind === 'attempt') runAttempts.push(event);
        if (event.kind === 'attempt' && event.attempt === 1) pushWaits.push(event.sentAt - event.publishedAt);
        if (event.kind === 'attempt' && !event.outcome.ok) {
          const key = event.subscription.replace(/^sluice-restaurant-pos-/, '');
          failedAttempts[key] = (failedAttempts[key] ?? 0) + 1;
        }
      },
    });
    stops.unshift(() => deployment.stop());
    const clients = createGoogleClients({ projectId: deployment.projectId, firestoreHost: endpoints.firestoreHost });
    stops.unshift(() => clients.close());

    const base = '2026-01-05';
    const samplesMs: number[] = [];
    const statuses: string[] = [];
    let filesPerRun = 0;
    for (let i = 0; i < options.runs; i++) {
      const date = addDays(base, 3 * i);
      const exported = generatePosExport({ root: endpoints.sftp.root, dates: [addDays(date, -2), addDays(date, -1), date], exportId, seed: 100 + i });
      filesPerRun = exported.files.length;
      const runId = `bench-demo-${i + 1}`;
      runAttempts = [];
      const triggeredAt = Date.now();
      const started = performance.now();
      await deployment.trigger(pipeline.name, { runId, date });
      const finished = await waitForRun(clients.firestore, runId, { timeoutMs: 120_000 });
      const ms = Math.round(performance.now() - started);
      samplesMs.push(ms);
      statuses.push(finished.run.status);
      options.log(`demo: run ${i + 1}/${options.runs} ${finished.run.status} in ${ms} ms (${finished.run.counts.loaded ?? 0} of ${exported.files.length} files loaded); ${stageSpans(runAttempts, triggeredAt)}`);
      fs.appendFileSync(logPath, `${runId} ${ms} ms\n${fileTimeline(finished, triggeredAt)}\n`);
    }
    const p50Ms = percentile(samplesMs, 50);
    const p95Ms = percentile(samplesMs, 95);
    return {
      runs: options.runs,
      filesPerRun,
      samplesMs,
      p50Ms,
      p95Ms,
      maxMs: Math.max(...samplesMs),
      goal: { ...DEMO_GOAL, met: p50Ms < DEMO_GOAL.p50UnderMs && p95Ms < DEMO_GOAL.p95UnderMs && statuses.every((s) => s === 'succeeded') },
      statuses,
      failedAttempts,
      pushWait: { messages: pushWaits.length, p50Ms: percentile(pushWaits, 50), p95Ms: percentile(pushWaits, 95), maxMs: Math.max(...pushWaits) },
    };
  } finally {
    await stopAll();
    await remove();
  }
}

// Per file, from its record: each stage's start→end and the file's end, in ms after the trigger. The gap
// between a stage's end and the file's end is the time finishFile took to commit.
function fileTimeline(finished: FinishedRun, triggeredAt: number): string {
  const at = (iso?: string) => (iso ? String(Date.parse(iso) - triggeredAt) : '?');
  const fetch = finished.run.stages.fetch;
  const lines = [`  run: fetch ${at(fetch?.startedAt)}→${at(fetch?.endedAt)}, completed ${at(finished.run.completedAt)}, notified ${at(finished.run.notifications?.doneAt)}`];
  for (const file of [...finished.files].sort((a, b) => a.name.localeCompare(b.name) || a.fileKey.localeCompare(b.fileKey))) {
    const stages = (['transform', 'load', 'aggregate'] as const)
      .map((name) => {
        const s = file.stages[name];
        return s ? `${name} ${at(s.startedAt)}→${at(s.endedAt)}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}` : undefined;
      })
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${file.name} ${file.table ?? ''}: ${stages}; ended ${at(file.endedAt)} ${file.status}`);
  }
  return lines.join('\n');
}

// Per subscription: first push sent → last answer, relative to the trigger, and the slowest answer.
function stageSpans(attempts: Array<Extract<PushEvent, { kind: 'attempt' }>>, triggeredAt: number): string {
  const by = new Map<string, Array<Extract<PushEvent, { kind: 'attempt' }>>>();
  for (const a of attempts) by.set(a.subscription, [...(by.get(a.subscription) ?? []), a]);
  return [...by.entries()]
    .map(([sub, list]) => `${sub.replace(/^sluice-restaurant-pos-/, '').replace(/-push$/, '')} ${Math.min(...list.map((a) => a.sentAt)) - triggeredAt}→${Math.max(...list.map((a) => a.at)) - triggeredAt} ms (slowest ${Math.max(...list.map((a) => a.outcome.ms))})`)
    .join(', ');
}

export function formatDemoLatency(r: DemoLatencyResult): string {
  const header = ['demo runs', 'files/run', 'p50 ms', 'p95 ms', 'max ms', 'goal p50 < 3 s, p95 < 4 s'];
  const cells = [String(r.runs), String(r.filesPerRun), String(r.p50Ms), String(r.p95Ms), String(r.maxMs), r.goal.met ? 'met' : 'NOT met'];
  const widths = header.map((h, i) => Math.max(h.length, cells[i]!.length));
  const row = (c: string[]) => `| ${c.map((x, i) => x.padStart(widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, row(cells), `samples (ms, in run order): ${r.samplesMs.join(', ')}`,
    `publish → first push request over ${r.pushWait.messages} messages: p50 ${r.pushWait.p50Ms} ms, p95 ${r.pushWait.p95Ms} ms, max ${r.pushWait.maxMs} ms`,
    `failed push attempts (each waits out a backoff): ${JSON.stringify(r.failedAttempts)}`].join('\n');
}
