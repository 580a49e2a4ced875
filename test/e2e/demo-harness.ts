// One isolated deployment of the demo pipeline on the shared local cloud, for an end-to-end test file:
// its own project id (Pub/Sub topics, Firestore data), bucket, PostgreSQL database, SFTP export folder,
// and a TCP proxy in front of PostgreSQL that a test can cut to play "database down".
import { seedPipelineDrive } from '../../emulator/demo/pos-drive-seed';
import { GoogleApiDoubleClient } from '../../emulator/google-apis/double-client';
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import fs from 'node:fs';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { simpleParser, type ParsedMail } from 'mailparser';
import pg from 'pg';
import { createProxiedDatabase, type DatabaseProxy } from '../../emulator/faults/database-proxy';
import { deployPipelines, type BundleOptions, type LocalDeployment } from '../../emulator/deploy-pipelines';
import { generatePosExport, type PosExportSummary } from '../../emulator/demo/pos-export';
import { waitForRun, type FinishedRun } from '../../emulator/run-watch';
import { handlers } from '../../functions/handlers';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { silentLogger } from '../../shared/logger';
import { definePipeline, type Pipeline } from '../../shared/pipeline-definition';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';

export interface DemoHarness {
  pipeline: Pipeline;
  deployment: LocalDeployment;
  clients: GoogleClients;
  firestore: Firestore;
  db: pg.Pool;
  databaseUrl: string;
  proxy: DatabaseProxy;
  exportRoot: string;
  generate(dates: string[], ordersPerDay?: number, seed?: number): PosExportSummary;
  runOnce(options?: { date?: string; timeoutMs?: number }): Promise<FinishedRun>;
  mailsFor(runId: string): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export interface DemoHarnessOptions {
  deliverTwice?: 'sequential' | 'concurrent';
  pipelineOverrides?: (p: Pipeline) => Pipeline;
  // Serve the functions from built bundles (see deployPipelines). The bundles run the pipeline as
  // defined in pipelines/, so the export folder is the definition's own, not a unique one: one test
  // file at a time may use this.
  bundles?: BundleOptions;
  logLevel?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
}

export async function startDemoHarness(options: DemoHarnessOptions = {}): Promise<DemoHarness> {
  const endpoints = localCloud();
  const projectId = uniqueProjectId('e2e');
  if (options.bundles && options.pipelineOverrides) throw new Error('pipelineOverrides cannot reach the pipeline built into bundles');
  const exportId = options.bundles ? sftpSourceOf(restaurantPos).params.exportId : uniqueName('x').replace(/-/g, '');
  if (exportId === undefined) throw new Error('the demo pipeline names no exportId');
  // Its own export folder and its own Drive folder, so test files running at once never share one.
  const base = definePipeline({
    ...restaurantPos,
    source: { ...sftpSourceOf(restaurantPos), params: { exportId } },
    // (Bundles serve the definition as built: its own folder.)
    destinations: options.bundles ? restaurantPos.destinations : restaurantPos.destinations.map((d) => ({ ...d, folderId: `pos${exportId}` })),
  });
  const pipeline = options.pipelineOverrides ? options.pipelineOverrides(base) : base;

  const dbName = uniqueName('e2e').replace(/-/g, '_');
  const { directUrl, proxy } = await createProxiedDatabase(endpoints.databaseUrl, dbName);

  const driveSecrets = await seedPipelineDrive(new GoogleApiDoubleClient(endpoints.google), pipeline);
  const deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers,
    projectId,
    secrets: {
      ...driveSecrets,
      'pos-sftp-password': endpoints.sftp.password,
      'pos-database-url': proxy.url,
      'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`,
    },
    backoffOverride: { minSeconds: 1, maxSeconds: 2 },
    ...(options.deliverTwice ? { deliverTwice: options.deliverTwice } : {}),
    ...(options.bundles ? { bundles: options.bundles } : {}),
    logger: silentLogger,
    logLevel: options.logLevel ?? 'ERROR',
  });
  const clients = createGoogleClients({ projectId, firestoreHost: endpoints.firestoreHost });
  const db = new pg.Pool({ connectionString: directUrl, max: 2 });
  let runs = 0;

  return {
    pipeline,
    deployment,
    clients,
    firestore: clients.firestore,
    db,
    databaseUrl: directUrl,
    proxy,
    exportRoot: path.join(endpoints.sftp.root, 'exports', exportId),
    generate(dates, ordersPerDay = 60, seed = 7) {
      return generatePosExport({ root: endpoints.sftp.root, dates, exportId, ordersPerDay, seed });
    },
    async runOnce(runOptions = {}) {
      const runId = `${projectId}-run${++runs}`;
      await deployment.trigger(pipeline.name, { runId, ...(runOptions.date ? { date: runOptions.date } : {}) });
      return waitForRun(clients.firestore, runId, { timeoutMs: runOptions.timeoutMs ?? 90_000 });
    },
    async mailsFor(runId) {
      const dir = endpoints.smtp.outboxDir;
      const mails: ParsedMail[] = [];
      for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.eml'))) {
        const raw = fs.readFileSync(path.join(dir, name));
        if (!raw.includes(runId)) continue;
        mails.push(await simpleParser(raw));
      }
      return mails;
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
