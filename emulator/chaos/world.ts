// One isolated deployment of the demo pipeline for a chaos trial: its own project id (Pub/Sub topics,
// Firestore data), bucket, PostgreSQL database behind a cuttable proxy, and SFTP export folder holding
// the same seeded export as every other trial, so their results can be compared by checksum.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { handlers } from '../../functions/handlers';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { silentLogger } from '../../shared/logger';
import { definePipeline, type Pipeline } from '../../shared/pipeline-definition';
import { exportDirectory, generatePosExport } from '../demo/pos-export';
import { deployPipelines, type LocalDeployment, type LocalDeploymentOptions } from '../deploy-pipelines';
import { startDatabaseProxy, type DatabaseProxy } from '../faults/database-proxy';
import { waitForRun, type FinishedRun } from '../run-watch';
import type { StageHandler } from '../../functions/runtime/context';
import type { RunRecord } from '../../functions/runtime/run-record';
import type { StageName } from '../../shared/stage-declaration';
import type { LocalCloudEndpoints } from '../stack';

export interface ChaosWorld {
  name: string;
  pipeline: Pipeline;
  deployment: LocalDeployment;
  clients: GoogleClients;
  db: pg.Pool;
  proxy: DatabaseProxy;
  exportRoot: string;
  runIds: string[];
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
  deploy?: Partial<Pick<LocalDeploymentOptions, 'deliverTwice' | 'backoffOverride' | 'logLevel' | 'pushFaults'>>;
  // Wraps stage handlers (a fault acting inside a function, e.g. deleting the staged data load is about to read).
  wrapHandlers?: (handlers: Record<StageName, StageHandler>) => Record<StageName, StageHandler>;
}

const safe = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '');

export async function startChaosWorld(o: ChaosWorldOptions): Promise<ChaosWorld> {
  const { endpoints } = o;
  const tag = `${safe(o.name).slice(0, 12)}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const projectId = `chaos-${tag}`.slice(0, 30).replace(/-$/, '');
  const exportId = `c${tag}`;
  const pipeline = definePipeline({ ...restaurantPos, source: { ...restaurantPos.source, params: { exportId } } });
  generatePosExport({ root: endpoints.sftp.root, dates: o.dates, exportId, ordersPerDay: o.ordersPerDay, seed: o.exportSeed });

  const dbName = `chaos_${tag}`;
  const admin = new pg.Client({ connectionString: endpoints.databaseUrl });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  await admin.end();
  const direct = new URL(endpoints.databaseUrl);
  direct.pathname = `/${dbName}`;
  const proxy = await startDatabaseProxy(direct.toString());
  const deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers: o.wrapHandlers ? o.wrapHandlers(handlers) : handlers,
    projectId,
    secrets: {
      'pos-sftp-password': endpoints.sftp.password,
      'pos-database-url': proxy.url,
      'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`,
    },
    backoffOverride: { minSeconds: 1, maxSeconds: 3 },
    logger: silentLogger,
    logLevel: 'ERROR',
    ...o.deploy,
  });
  const clients = createGoogleClients({ projectId, firestoreHost: endpoints.firestoreHost });
  const db = new pg.Pool({ connectionString: direct.toString(), max: 2 });
  const runIds: string[] = [];
  return {
    name: o.name,
    pipeline,
    deployment,
    clients,
    db,
    proxy,
    exportRoot: path.join(endpoints.sftp.root, 'exports', exportId),
    runIds,
    async run(date, timeoutMs, until) {
      const runId = `${projectId}-r${runIds.length + 1}`;
      runIds.push(runId);
      await deployment.trigger(pipeline.name, { runId, date });
      return waitForRun(clients.firestore, runId, { timeoutMs, ...(until ? { until } : {}) });
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
