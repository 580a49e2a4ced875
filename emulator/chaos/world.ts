// One isolated deployment of the demo pipeline for a chaos trial: its own project id (Pub/Sub topics,
// Firestore data), bucket, PostgreSQL database behind a cuttable proxy, and SFTP export folder holding
// the same seeded export as every other trial, so their results can be compared by checksum.
import { seedPipelineDrive } from '../demo/pos-drive-seed';
import { GoogleApiDoubleClient } from '../google-apis/double-client';
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { handlers } from '../../functions/handlers';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { silentLogger } from '../../shared/logger';
import { definePipeline, type Pipeline } from '../../shared/pipeline-definition';
import { stageList } from '../../functions/stages';
import { writeBackOfficeFiles } from '../demo/back-office-files';
import { exportDirectory, generatePosExport } from '../demo/pos-export';
import type { BundleHost } from '../bundle-host';
import { deployPipelines, type LocalDeployment, type LocalDeploymentOptions } from '../deploy-pipelines';
import type { PushEvent } from '../pubsub-push/push-dispatcher';
import { createProxiedDatabase, type DatabaseProxy } from '../faults/database-proxy';
import { waitForRun, type FinishedRun } from '../run-watch';
import type { StageHandler } from '../../functions/runtime/context';
import type { RunRecord } from '../../functions/runtime/run-record';
import type { StageName } from '../../shared/stage-declaration';
import type { LocalCloudEndpoints } from '../stack';
import { watchdogJobName } from '../../shared/topology';

const WATCHDOG_EVERY_MS = 15_000;

export interface ChaosWorld {
  name: string;
  pipeline: Pipeline;
  // The business dates the world's runs are for, in order (run i is for dates[i]).
  dates: string[];
  deployment: LocalDeployment;
  // The functions' processes when deployed with bundles (one process each, killable); else undefined.
  bundleHost?: BundleHost;
  clients: GoogleClients;
  db: pg.Pool;
  proxy: DatabaseProxy;
  exportRoot: string;
  runIds: string[];
  // Every push delivery event of the world's dispatcher (attempts, acks, retries, dead letters), e.g.
  // for a fault to tell whether it interrupted a delivery; returns the unsubscribe.
  onPushEvent(listener: (event: PushEvent) => void): () => void;
  run(date: string, timeoutMs: number, until?: (run: RunRecord) => boolean): Promise<FinishedRun>;
  // The vendor re-sends one file of a day with a line corrected (new bytes, a later mtime).
  reExport(date: string): void;
  close(): Promise<void>;
}

export interface ChaosWorldOptions {
  endpoints: LocalCloudEndpoints;
  name: string;
  dates: string[];
  ordersPerDay: number;
  exportSeed: number;
  deploy?: ChaosDeploy;
  // Wraps stage handlers (a fault acting inside a function, e.g. deleting the staged data load is about
  // to read); in-process handlers only, not with `deploy.bundles`.
  wrapHandlers?: (handlers: Record<StageName, StageHandler>) => Record<StageName, StageHandler>;
}

export type ChaosDeploy = Partial<Pick<LocalDeploymentOptions, 'deliverTwice' | 'backoffOverride' | 'logLevel' | 'pushFaults'>> & {
  // Serve every function from the built bundles, each in its own functions-framework process (as
  // Cloud Functions runs them), instead of in-process handlers. `true`: dist/functions of this repository.
  bundles?: true | { dir: string };
};

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_BUNDLES_DIR = path.join(REPOSITORY_ROOT, 'dist', 'functions');

// Checked before anything is created, so a missing build fails the trial at once and says what to run.
function bundlesDirOf(bundles: true | { dir: string }): string {
  const dir = bundles === true ? DEFAULT_BUNDLES_DIR : bundles.dir;
  const missing = stageList.filter((stage) => !fs.existsSync(path.join(dir, stage.name, 'package.json'))).map((stage) => stage.name);
  if (missing.length > 0) {
    throw new Error(`this chaos fault runs the functions from their built bundles, and ${dir} has none for ${missing.join(', ')}: run \`npm run build\` first`);
  }
  return dir;
}

// Bundles read the pipeline definition built into them (pipelines/index.ts), so a world served by
// them cannot point the demo at an export folder of its own: it uses the definition's, and only one
// such world may exist at a time per SFTP root (trials run one after another).
const bundledWorldRoots = new Set<string>();

const safe = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '');

export async function startChaosWorld(o: ChaosWorldOptions): Promise<ChaosWorld> {
  const { endpoints } = o;
  const tag = `${safe(o.name).slice(0, 12)}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const { bundles, ...deployOptions } = o.deploy ?? {};
  const bundlesDir = bundles ? bundlesDirOf(bundles) : undefined;
  // A bundle carries its own handlers: a wrapped one would silently not run.
  if (bundlesDir && o.wrapHandlers) throw new Error('a chaos world served by bundles cannot wrap stage handlers (wrapHandlers)');
  const exportId = bundlesDir ? String(sftpSourceOf(restaurantPos).params.exportId) : `c${tag}`;
  const pipeline = bundlesDir ? restaurantPos : definePipeline({ ...restaurantPos, source: { ...sftpSourceOf(restaurantPos), params: { exportId } }, destinations: restaurantPos.destinations.map((d) => ({ ...d, folderId: `pos${exportId}` })) });
  if (bundlesDir) {
    if (bundledWorldRoots.has(endpoints.sftp.root)) throw new Error(`another chaos world served by bundles is using ${endpoints.sftp.root}/exports/${exportId}; close it first`);
    bundledWorldRoots.add(endpoints.sftp.root);
  }
  const releaseRoot = () => {
    if (bundlesDir) bundledWorldRoots.delete(endpoints.sftp.root);
  };
  try {
    return await deployWorld(o, { tag, exportId, pipeline, bundlesDir, deployOptions, releaseRoot });
  } catch (error) {
    releaseRoot();
    throw error;
  }
}

interface WorldPlan {
  tag: string;
  exportId: string;
  pipeline: Pipeline;
  bundlesDir: string | undefined;
  deployOptions: Omit<ChaosDeploy, 'bundles'>;
  releaseRoot: () => void;
}

async function deployWorld(o: ChaosWorldOptions, { tag, exportId, pipeline, bundlesDir, deployOptions, releaseRoot }: WorldPlan): Promise<ChaosWorld> {
  const { endpoints } = o;
  const projectId = `chaos-${tag}`.slice(0, 30).replace(/-$/, '');
  generatePosExport({ root: endpoints.sftp.root, dates: o.dates, exportId, ordersPerDay: o.ordersPerDay, seed: o.exportSeed });
  // Each day also brings the supplier workbooks (.xlsx price list merged by item code, .xls delivery note).
  for (const date of o.dates) await writeBackOfficeFiles({ root: endpoints.sftp.root, exportId, date });

  const dbName = `chaos_${tag}`;
  const { directUrl, proxy } = await createProxiedDatabase(endpoints.databaseUrl, dbName);
  const pushListeners = new Set<(event: PushEvent) => void>();
  const driveSecrets = await seedPipelineDrive(new GoogleApiDoubleClient(endpoints.google), pipeline);
  const deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers: o.wrapHandlers ? o.wrapHandlers(handlers) : handlers,
    projectId,
    secrets: {
      ...driveSecrets,
      'pos-sftp-password': endpoints.sftp.password,
      'pos-database-url': proxy.url,
      'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`,
    },
    backoffOverride: { minSeconds: 1, maxSeconds: 3 },
    logger: silentLogger,
    logLevel: 'ERROR',
    onPushEvent: (event) => {
      for (const listener of pushListeners) listener(event);
    },
    ...(bundlesDir
      ? {
          // The children get no environment of ours but this: emulator clients would otherwise probe
          // the GCE metadata server.
          bundles: { dir: bundlesDir, env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: 'none' } },
        }
      : {}),
    ...deployOptions,
  });
  const clients = createGoogleClients({ projectId, firestoreHost: endpoints.firestoreHost });
  const db = new pg.Pool({ connectionString: directUrl, max: 2 });
  const runIds: string[] = [];
  return {
    name: o.name,
    pipeline,
    dates: [...o.dates],
    deployment,
    ...(deployment.bundleHost ? { bundleHost: deployment.bundleHost } : {}),
    clients,
    db,
    proxy,
    exportRoot: path.join(endpoints.sftp.root, 'exports', exportId),
    runIds,
    onPushEvent(listener) {
      pushListeners.add(listener);
      return () => pushListeners.delete(listener);
    },
    async run(date, timeoutMs, until) {
      const runId = `${projectId}-r${runIds.length + 1}`;
      runIds.push(runId);
      await deployment.trigger(pipeline.name, { runId, date });
      // The watchdog, as its schedule would fire it (every 10 minutes in a deployment; often here, so a
      // trial sees it re-drive a notification whose sender was killed once the claim's lease is over).
      const watchdog = setInterval(() => {
        deployment.scheduler.fire(watchdogJobName(deployment.prefix, pipeline.name)).catch(() => undefined);
      }, WATCHDOG_EVERY_MS);
      try {
        return await waitForRun(clients.firestore, runId, { timeoutMs, ...(until ? { until } : {}) });
      } finally {
        clearInterval(watchdog);
      }
    },
    reExport(date) {
      correctOneLine(exportDirectory(endpoints.sftp.root, exportId, date));
    },
    async close() {
      await deployment.stop();
      await clients.close();
      await db.end();
      await proxy.close();
      fs.rmSync(path.join(endpoints.sftp.root, 'exports', exportId), { recursive: true, force: true });
      releaseRoot();
    },
  };
}

// A corrected re-export: the second data line of ItemSelectionDetails.csv gets quantity 1 more (and its
// line total to match), and the file a modification time a minute later, as a vendor's resend has.
export function correctOneLine(dir: string): void {
  const file = path.join(dir, 'ItemSelectionDetails.csv');
  const lines = fs.readFileSync(file, 'utf8').split('\r\n');
  const cells = (lines[2] ?? '').split(',');
  if (cells.length < 8) throw new Error(`cannot correct ${file}: no second data line`);
  const quantity = Number(cells[4]) + 1;
  cells[4] = String(quantity);
  cells[6] = (Number(cells[5]) * quantity).toFixed(2);
  lines[2] = cells.join(',');
  const { mtime } = fs.statSync(file);
  fs.writeFileSync(file, lines.join('\r\n'));
  const later = new Date(mtime.getTime() + 60_000);
  fs.utimesSync(file, later, later);
}
