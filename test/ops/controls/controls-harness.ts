// One deployment of the demo pipeline on the shared local cloud for the controls' tests (without its
// Drive destination: the controls do not concern it), with the ops service's RunControls built on the
// real stores, and latches on fetch and load: a test can hold a run's trigger (to see it queued) or its
// files before load (to cancel the run while they are in flight); and the database behind a proxy a
// test can take down.
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import pg from 'pg';
import { deployPipelines, type LocalDeployment } from '../../../emulator/deploy-pipelines';
import { generatePosExport, type PosExportSummary } from '../../../emulator/demo/pos-export';
import { createProxiedDatabase, type DatabaseProxy } from '../../../emulator/faults/database-proxy';
import { sftpSourceOf } from '../../../functions/fetch/sources/sftp/config';
import { handlers } from '../../../functions/handlers';
import { createRunControls } from '../../../functions/ops/controls/create-run-controls';
import type { OpsDeps, ScheduleControl } from '../../../functions/ops/ops-deps';
import type { RunControls } from '../../../functions/ops/ops-service';
import type { StageHandler } from '../../../functions/runtime/context';
import type { DeadLetterStore } from '../../../functions/runtime/dead-letter-store';
import { createFirestorePipelineStateStore } from '../../../functions/runtime/firestore-pipeline-state-store';
import { createFirestoreRunStore } from '../../../functions/runtime/firestore-run-store';
import type { RunStore } from '../../../functions/runtime/run-store';
import { ops } from '../../../pipelines/ops';
import { restaurantPos } from '../../../pipelines/restaurant-pos';
import { createGoogleClients, type GoogleClients } from '../../../shared/google-clients';
import { silentLogger } from '../../../shared/logger';
import { definePipeline, type Pipeline } from '../../../shared/pipeline-definition';
import { localCloud, uniqueName, uniqueProjectId } from '../../support/local-cloud';

// Holds a stage's messages of the runs a test names until released (bounded, so a failed test never hangs).
export interface StageLatch {
  hold(runs: (runId: string) => boolean): void;
  // Resolves once the first held message arrived.
  arrived(): Promise<void>;
  release(): void;
}

function stageLatch(): StageLatch & { wrap(handler: StageHandler): StageHandler } {
  let held: ((runId: string) => boolean) | undefined;
  let signalArrived: () => void = () => undefined;
  let arrived = new Promise<void>((resolve) => (signalArrived = resolve));
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (release = resolve));
  return {
    hold(runs) {
      held = runs;
      arrived = new Promise<void>((resolve) => (signalArrived = resolve));
      released = new Promise<void>((resolve) => (release = resolve));
    },
    arrived: () => arrived,
    release: () => {
      held = undefined;
      release();
    },
    wrap: (handler) => async (ctx, message) => {
      const runId = (JSON.parse(message.data.toString('utf8')) as { runId?: string }).runId;
      if (held !== undefined && runId !== undefined && held(runId)) {
        signalArrived();
        await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
      }
      return handler(ctx, message);
    },
  };
}

// The local cloud's ScheduleControl (the deployment's, over its scheduler), with every call recorded
// so the tests can say what the controls asked of it.
export interface RecordingSchedules extends ScheduleControl { calls: string[] }

function recordingSchedules(deployment: LocalDeployment): RecordingSchedules {
  const calls: string[] = [];
  return {
    calls,
    async pause(pipeline) { calls.push(`pause ${pipeline}`); await deployment.schedules.pause(pipeline); },
    async resume(pipeline) { calls.push(`resume ${pipeline}`); await deployment.schedules.resume(pipeline); },
  };
}

export interface ControlsHarness {
  pipeline: Pipeline;
  deployment: LocalDeployment;
  clients: GoogleClients;
  runs: RunStore;
  controls: RunControls;
  deps: OpsDeps;
  schedules: RecordingSchedules;
  latches: { fetch: StageLatch; load: StageLatch };
  db: pg.Pool;
  // Between the stages and PostgreSQL: down() takes the database away from them (the tests' db stays).
  proxy: DatabaseProxy;
  exportRoot: string;
  generate(dates: string[], ordersPerDay?: number, seed?: number): PosExportSummary;
  mailsFor(runId: string): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function startControlsHarness(): Promise<ControlsHarness> {
  const endpoints = localCloud();
  const projectId = uniqueProjectId('controls');
  const exportId = uniqueName('c').replace(/-/g, '');
  const pipeline = definePipeline({ ...restaurantPos, source: { ...sftpSourceOf(restaurantPos), params: { exportId } }, destinations: [] });
  const { directUrl, proxy }: { directUrl: string; proxy: DatabaseProxy } = await createProxiedDatabase(endpoints.databaseUrl, uniqueName('ctl').replace(/-/g, '_'));
  const latches = { fetch: stageLatch(), load: stageLatch() };
  const deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers: { ...handlers, fetch: latches.fetch.wrap(handlers.fetch), load: latches.load.wrap(handlers.load) },
    projectId,
    secrets: {
      'pos-sftp-password': endpoints.sftp.password,
      'pos-database-url': proxy.url,
      'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}`,
    },
    backoffOverride: { minSeconds: 1, maxSeconds: 2 },
    logger: silentLogger,
    logLevel: 'ERROR',
  });
  const clients = createGoogleClients({ projectId, firestoreHost: endpoints.firestoreHost });
  const runs = createFirestoreRunStore(clients.firestore);
  const schedules = recordingSchedules(deployment);
  const deps: OpsDeps = {
    pipelines: [pipeline],
    ops,
    projectId,
    prefix: deployment.prefix,
    bucket: deployment.bucket,
    firestore: clients.firestore,
    pubsub: deployment.pubsub,
    storage: deployment.storage,
    runs,
    pipelineStates: createFirestorePipelineStateStore(clients.firestore),
    deadLetters: {} as DeadLetterStore,
    schedules,
    logs: { logsOf: async () => ({ entries: [] }) },
    secrets: { read: async (name) => { throw new Error(`no secret ${name} in the controls tests`); } },
    localEndpoints: {},
    dashboardUrl: 'http://127.0.0.1/ui/',
    logger: silentLogger,
    now: () => new Date(),
  };
  const db = new pg.Pool({ connectionString: directUrl, max: 2 });
  const exportRoot = path.join(endpoints.sftp.root, 'exports', exportId);
  return {
    pipeline, deployment, clients, runs, controls: createRunControls(deps), deps, schedules, latches, db, proxy, exportRoot,
    generate: (dates, ordersPerDay = 20, seed = 7) => generatePosExport({ root: endpoints.sftp.root, dates, exportId, ordersPerDay, seed }),
    async mailsFor(runId) {
      const dir = endpoints.smtp.outboxDir;
      const mails: ParsedMail[] = [];
      for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.eml'))) {
        const raw = fs.readFileSync(path.join(dir, name));
        if (raw.includes(runId)) mails.push(await simpleParser(raw));
      }
      return mails;
    },
    async close() {
      latches.fetch.release();
      latches.load.release();
      await deployment.stop();
      await clients.close();
      await db.end();
      await proxy.close();
      fs.rmSync(exportRoot, { recursive: true, force: true });
    },
  };
}
