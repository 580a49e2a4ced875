// The chaos harness: the demo pipeline over several days of exports, once clean and then once per
// trial under a fault, each in a world of its own on one local cloud; after recovery every trial's
// tables, roll-ups and mails are compared by checksum with the clean run's, every run must be
// terminal, and every source file loaded, skipped, superseded or quarantined with a reason.
import type { RunRecord } from '../../functions/runtime/run-record';
import type { FinishedRun } from '../run-watch';
import type { LocalCloudEndpoints } from '../stack';
import type { SftpFaults } from '../sftp-server';
import { FAULTS, type Fault } from './faults';
import { compareSnapshots, snapshotMails, snapshotRollups, snapshotTables, type Snapshot } from './snapshot';
import { startChaosWorld, type ChaosWorld, type ChaosWorldOptions } from './world';
import { seededRandom } from '../seeded-random';

export interface ChaosOptions {
  endpoints: LocalCloudEndpoints;
  seed: number;
  // Per fault; faults run in order, each trial in a world of its own.
  trials: number;
  faults?: readonly Fault[];
  dates: string[];
  ordersPerDay?: number;
  outageMs?: { load: number; notify: number };
  runTimeoutMs?: number;
  setSftpFaults(faults: SftpFaults | undefined): void;
  log?(line: string): void;
}

export interface TrialResult {
  fault: string;
  trial: number;
  passed: boolean;
  fired: boolean;
  problems: string[];
  ms: number;
  // What each run ended as, to read a failure by.
  runs: Array<{ runId: string; status: string; counts: Record<string, number>; files: Array<{ name: string; status: string; error?: string }> }>;
}

export interface ChaosReport {
  seed: number;
  dates: string[];
  baseline: Snapshot;
  trials: TrialResult[];
  summary: Array<{ fault: string; trials: number; passed: number }>;
}

const ENDED_WELL = new Set(['loaded', 'skipped', 'superseded', 'quarantined']);

function runProblems(runs: FinishedRun[]): string[] {
  const problems: string[] = [];
  for (const { run, files } of runs) {
    if (run.status === 'running') problems.push(`run ${run.runId} still running`);
    if (run.status === 'failed' || run.status === 'partial') problems.push(`run ${run.runId} ended ${run.status}: ${run.error?.message ?? files.find((f) => f.error)?.error?.message ?? ''}`);
    for (const file of files) {
      if (!ENDED_WELL.has(file.status)) problems.push(`file ${file.name} of ${run.runId} ended ${file.status}`);
      if (file.status === 'quarantined' && !file.error?.message) problems.push(`file ${file.name} quarantined without a reason`);
    }
  }
  return problems;
}

async function snapshotOf(world: ChaosWorld, outboxDir: string): Promise<Snapshot> {
  return {
    tables: await snapshotTables(world.db, world.pipeline),
    rollups: await snapshotRollups(world.clients.firestore, world.pipeline),
    mails: await snapshotMails(outboxDir, world.runIds),
  };
}

const DEFAULT_OUTAGES = { load: 30_000, notify: 60_000 };

// Retries must outlast an outage the trial expects to recover from, as the stages' own backoffs (10–30 s
// up to 600 s) do in the cloud, while staying short enough for a trial: backoff from an eighth of the
// longest outage up to half of it gives notify's 4 retries (the fewest of any stage) 1.9× the outage.
// A fault may set its own (one that must outlast every retry wants them short).
function withRetryWindow(options: Pick<ChaosWorldOptions, 'deploy' | 'wrapHandlers'>, outageMs: { load: number; notify: number }): Pick<ChaosWorldOptions, 'deploy' | 'wrapHandlers'> {
  if (options.deploy?.backoffOverride) return options;
  const longest = Math.max(outageMs.load, outageMs.notify) / 1000;
  const backoffOverride = { minSeconds: Math.max(1, Math.ceil(longest / 8)), maxSeconds: Math.max(3, Math.ceil(longest / 2)) };
  return { ...options, deploy: { ...options.deploy, backoffOverride } };
}

// The input every trial gets: each day's export in turn, then the first day's ItemSelectionDetails.csv
// re-sent with one line corrected and that day run again (its new version supersedes the old rows).
async function runSequence(world: ChaosWorld, o: ChaosOptions, problems: string[]): Promise<FinishedRun[]> {
  const runs: FinishedRun[] = [];
  const runOne = async (date: string) => {
    try {
      runs.push(await world.run(date, o.runTimeoutMs ?? 600_000));
    } catch (error) {
      problems.push(`run for ${date}: ${(error as Error).message}`);
    }
  };
  for (const date of o.dates) await runOne(date);
  world.reExport(o.dates[0]!);
  await runOne(o.dates[0]!);
  return runs;
}

// A fault that outlasts every retry: the run it strikes must end failed with exactly one alert.
async function runUntilFailed(world: ChaosWorld, o: ChaosOptions, problems: string[]): Promise<FinishedRun[]> {
  const date = o.dates[0]!;
  try {
    const ended = (run: RunRecord) => run.status !== 'running' && Boolean(run.notifications?.alertSentAt ?? run.notifications?.failureAlertSentAt);
    const finished = await world.run(date, o.runTimeoutMs ?? 600_000, ended);
    if (finished.run.status !== 'failed') problems.push(`run ${finished.run.runId} ended ${finished.run.status}, not failed`);
    return [finished];
  } catch (error) {
    problems.push(`run for ${date}: ${(error as Error).message}`);
    return [];
  }
}

async function runTrial(o: ChaosOptions, fault: Fault | undefined, trial: number, random: () => number): Promise<{ snapshot: Snapshot; runs: FinishedRun[]; fired: boolean; problems: string[] }> {
  const log = o.log ?? (() => undefined);
  const world = await startChaosWorld({
    endpoints: o.endpoints,
    name: fault ? `${fault.name}-${trial}` : 'clean',
    dates: o.dates,
    ordersPerDay: o.ordersPerDay ?? 60,
    exportSeed: o.seed,
    ...withRetryWindow(fault?.deploy ? fault.deploy(random) : {}, o.outageMs ?? DEFAULT_OUTAGES),
  });
  try {
    const armed = fault
      ? await fault.arm(world, { random, setSftpFaults: o.setSftpFaults, outageMs: o.outageMs ?? DEFAULT_OUTAGES, log })
      : undefined;
    const problems: string[] = [];
    let runs: FinishedRun[];
    try {
      runs = fault?.expect === 'failed-with-one-alert' ? await runUntilFailed(world, o, problems) : await runSequence(world, o, problems);
    } finally {
      await armed?.disarm();
    }
    const snapshot = await snapshotOf(world, o.endpoints.smtp.outboxDir);
    if (fault?.expect !== 'failed-with-one-alert') problems.push(...runProblems(runs));
    return { snapshot, runs, fired: armed?.fired() ?? true, problems };
  } finally {
    await world.close();
  }
}

// What a trial is checked against: the clean run's results, or one alert for a failed run.
function verdict(fault: Fault, clean: Snapshot, result: { snapshot: Snapshot; problems: string[]; fired: boolean }): string[] {
  const problems = [...result.problems];
  if (!result.fired) problems.push('the fault never struck');
  if (fault.expect === 'failed-with-one-alert') {
    if (result.snapshot.mails.alerts !== 1) problems.push(`${result.snapshot.mails.alerts} alerts, expected exactly 1`);
    return problems;
  }
  problems.push(...compareSnapshots(clean, result.snapshot));
  if (result.snapshot.mails.reports !== clean.mails.reports) problems.push(`${result.snapshot.mails.reports} report mails, clean run ${clean.mails.reports}`);
  if (result.snapshot.mails.alerts !== clean.mails.alerts) problems.push(`${result.snapshot.mails.alerts} alerts, clean run ${clean.mails.alerts} (${result.snapshot.mails.alertSubjects.join(' | ')})`);
  if (result.snapshot.mails.reportDigests.join() !== clean.mails.reportDigests.join()) problems.push('report attachments differ from the clean run');
  return problems;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const random = seededRandom(o.seed);
  const log = o.log ?? (() => undefined);
  log(`chaos seed ${o.seed}: clean run over ${o.dates.join(', ')}`);
  const clean = await runTrial(o, undefined, 0, random);
  if (clean.problems.length > 0) throw new Error(`the clean run itself failed: ${clean.problems.join('; ')}`);
  const trials: TrialResult[] = [];
  for (const fault of o.faults ?? FAULTS) {
    for (let trial = 1; trial <= o.trials; trial++) {
      const started = Date.now();
      const result = await runTrial(o, fault, trial, random);
      const problems = verdict(fault, clean.snapshot, result);
      const runs = result.runs.map(({ run, files }) => ({
        runId: run.runId, status: run.status, counts: run.counts as unknown as Record<string, number>,
        files: files.map((f) => ({ name: f.name, status: f.status, ...(f.error?.message ? { error: f.error.message } : {}) })),
      }));
      trials.push({ fault: fault.name, trial, passed: problems.length === 0, fired: result.fired, problems, ms: Date.now() - started, runs });
      const ended = runs.map((r) => `${r.runId.slice(-3)} ${r.status} ${JSON.stringify(r.counts)}`).join(', ');
      log(`${problems.length === 0 ? 'PASS' : 'FAIL'} ${fault.name} #${trial} (${Date.now() - started} ms)${problems.length ? `: ${problems.join('; ')} [runs: ${ended}]` : ''}`);
    }
  }
  const summary = [...new Set(trials.map((t) => t.fault))].map((fault) => ({
    fault,
    trials: trials.filter((t) => t.fault === fault).length,
    passed: trials.filter((t) => t.fault === fault && t.passed).length,
  }));
  return { seed: o.seed, dates: o.dates, baseline: clean.snapshot, trials, summary };
}
