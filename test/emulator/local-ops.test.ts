// The operations surface of the local cloud, as `npm start` and `npm run emulator` set it up
// (local-session.ts): a user's own pipeline gets its secrets from the local secrets file (with
// `${NAME}` local values), is deployed with the demo's, and the ops API on loopback answers with the
// dev token written to ops.json (owner-only, gone on stop): it triggers the pipeline (what
// `sluice trigger` sends), serves the run's function log lines by run id from the local log stream,
// and pauses the pipeline's local schedule job. Real parts: Pub/Sub, Firestore, GCS, PostgreSQL, SFTP,
// SMTP of the shared local cloud, in-process functions, the real ops service and HTTP server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePosExport } from '../../emulator/demo/pos-export';
import { setLocalSecret } from '../../emulator/local-secrets';
import { MissingSecretsError, localValuesOf, startLocalSession, type LocalSession } from '../../emulator/local-session';
import { waitForRun } from '../../emulator/run-watch';
import { endpointsToEnv } from '../../emulator/stack';
import { sftpSourceOf } from '../../functions/fetch/sources/sftp/config';
import { handlers } from '../../functions/handlers';
import { restaurantPos } from '../../pipelines/restaurant-pos';
import { createGoogleClients, type GoogleClients } from '../../shared/google-clients';
import { silentLogger } from '../../shared/logger';
import { defineOps } from '../../shared/ops-definition';
import { definePipeline } from '../../shared/pipeline-definition';
import { scheduleJobName } from '../../shared/topology';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';

const endpoints = localCloud();
const projectId = uniqueProjectId('localops');
const exportId = uniqueName('x').replace(/-/g, '');
// "A copied pipeline": the demo's POS pipeline under another name, its own export folder, no Drive copy.
const myPos = definePipeline({
  ...restaurantPos,
  name: 'my-pos',
  source: { ...sftpSourceOf(restaurantPos), params: { exportId } },
  destinations: [],
  secrets: ['pos-sftp-password', 'pos-database-url', 'smtp-url'],
});

let dataDir: string;
let session: LocalSession;
let clients: GoogleClients;
let databaseUrl: string;
const dbName = uniqueName('localops').replace(/-/g, '_');

async function api(pathAndQuery: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: any }> {
  const token = init.token === undefined ? session.ops!.token : init.token;
  const response = await fetch(`${session.ops!.url}${pathAndQuery}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-local-ops-'));
  const admin = new pg.Client({ connectionString: endpoints.databaseUrl });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  await admin.end();
  const url = new URL(endpoints.databaseUrl);
  url.pathname = `/${dbName}`;
  databaseUrl = url.toString();

  // What a user writes with `npx sluice secrets set <name>`: the local cloud's own values by name.
  setLocalSecret(dataDir, 'pos-sftp-password', '${SFTP_PASSWORD}');
  setLocalSecret(dataDir, 'pos-database-url', '${DATABASE_URL}');
  setLocalSecret(dataDir, 'smtp-url', '${SMTP_URL}');
  session = await startLocalSession({
    endpoints, projectId, pipelines: [myPos], handlers, ops: defineOps({}), dataDir, seeds: {},
    localValues: localValuesOf(endpointsToEnv(endpoints), endpoints, databaseUrl),
    logger: silentLogger, runSchedules: false, serveOps: true,
  });
  clients = createGoogleClients({ projectId, firestoreHost: endpoints.firestoreHost });
}, 120_000);

afterAll(async () => {
  await session?.stop();
  await clients?.close();
  fs.rmSync(path.join(endpoints.sftp.root, 'exports', exportId), { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: endpoints.databaseUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
});

describe('the local ops server', () => {
  it('writes ops.json for the CLI, owner-only, and answers with its dev token only', async () => {
    const opsFile = path.join(dataDir, 'ops.json');
    const written = JSON.parse(fs.readFileSync(opsFile, 'utf8'));
    expect(written).toEqual({ url: session.ops!.url, token: session.ops!.token, dashboard: `${session.ops!.url}/ui/` });
    expect(written.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fs.statSync(opsFile).mode & 0o777).toBe(0o600);
    expect(session.ops!.dashboardSignIn).toBe(`${session.ops!.url}/ui/#token=${session.ops!.token}`);

    expect((await api('/health', { token: null })).status).toBe(200);
    expect((await api('/runs', { token: null })).status).toBe(401);
    expect((await api('/runs', { token: 'not-the-token' })).status).toBe(401);
    const pipelines = await api('/pipelines');
    expect(pipelines.status).toBe(200);
    expect(JSON.stringify(pipelines.body)).toContain('"my-pos"');
    const dashboard = await fetch(`${session.ops!.url}/ui/`);
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get('content-type')).toMatch(/text\/html/);
  });

  it("runs a user's own pipeline on POST /runs (sluice trigger) and serves its function log lines by run id", async () => {
    const date = '2026-03-02';
    generatePosExport({ root: endpoints.sftp.root, dates: [date], exportId, ordersPerDay: 20, seed: 3 });
    const queued = await api('/runs', { method: 'POST', body: JSON.stringify({ pipeline: 'my-pos', date }) });
    expect(queued.status).toBe(202);
    const runId: string = queued.body.runId;
    const finished = await waitForRun(clients.firestore, runId, { timeoutMs: 90_000 });
    expect(finished.run.status).toBe('succeeded');
    expect(finished.run.actor).toBe('dev');

    const logs = await api(`/runs/${encodeURIComponent(runId)}/logs?limit=500`);
    expect(logs.status).toBe(200);
    const stages = new Set(logs.body.entries.map((e: { stage?: string }) => e.stage));
    expect([...stages]).toEqual(expect.arrayContaining(['fetch', 'transform', 'load']));
    expect(logs.body.entries.every((e: { fields?: { runId?: string } }) => e.fields?.runId === runId)).toBe(true);
    expect(fs.readFileSync(session.logs.file, 'utf8')).toContain(runId);
    // The secrets the file resolved never reach a log line.
    expect(JSON.stringify(logs.body)).not.toContain(endpoints.sftp.password);
  }, 120_000);

  it("pauses and resumes the pipeline's local schedule job", async () => {
    const job = scheduleJobName(session.deployment.prefix, 'my-pos');
    const paused = await api('/pipelines/my-pos:pause', { method: 'POST' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: 'my-pos', paused: true, pausedBy: 'dev' });
    expect(session.deployment.scheduler.isPaused(job)).toBe(true);
    const resumed = await api('/pipelines/my-pos:resume', { method: 'POST' });
    expect(resumed.body).toMatchObject({ paused: false });
    expect(session.deployment.scheduler.isPaused(job)).toBe(false);
  });
});

describe('start-up', () => {
  it('names a listed pipeline secret without a value before anything is deployed', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-local-ops-empty-'));
    try {
      const started = startLocalSession({
        endpoints, projectId: uniqueProjectId('localops'), pipelines: [myPos], handlers, ops: defineOps({}), dataDir: empty,
        seeds: { 'smtp-url': 'smtp://127.0.0.1:1' }, localValues: {}, logger: silentLogger, runSchedules: false, serveOps: true,
      });
      await expect(started).rejects.toBeInstanceOf(MissingSecretsError);
      const error = await started.catch((e: MissingSecretsError) => e);
      expect((error as MissingSecretsError).lines).toEqual([
        `sluice: pipeline "my-pos" needs secret "pos-sftp-password": set it with npx sluice secrets set pos-sftp-password, or in ${empty}/secrets.json`,
        `sluice: pipeline "my-pos" needs secret "pos-database-url": set it with npx sluice secrets set pos-database-url, or in ${empty}/secrets.json`,
      ]);
      expect(fs.existsSync(path.join(empty, 'ops.json'))).toBe(false);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('removes ops.json when the session stops', async () => {
    const opsFile = path.join(dataDir, 'ops.json');
    expect(fs.existsSync(opsFile)).toBe(true);
    await session.stop();
    expect(fs.existsSync(opsFile)).toBe(false);
  });
});
