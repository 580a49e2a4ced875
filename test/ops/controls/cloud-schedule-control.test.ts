// The cloud ScheduleControl on the real googleapis Cloud Scheduler client, against a loopback double
// of the three calls it makes: it names the pipeline's job in the configured region, pauses an
// enabled job and resumes a paused one, and leaves a job already in the wanted state alone (Cloud
// Scheduler would answer FAILED_PRECONDITION).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudScheduleControl, jobPath } from '../../../functions/ops/controls/cloud-schedule-control';

const jobs = new Map<string, 'ENABLED' | 'PAUSED'>();
const calls: string[] = [];
let server: Server;
let rootUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${url.pathname}`);
    const match = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/:]+)(?::(pause|resume))?$/.exec(url.pathname);
    const name = match?.[1];
    const state = name ? jobs.get(name) : undefined;
    const answer = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (!name || !state) return answer(404, { error: { code: 404, status: 'NOT_FOUND', message: 'job not found' } });
    if (req.headers.authorization !== 'Bearer test-token') return answer(401, { error: { code: 401, message: 'no token' } });
    const verb = match?.[2];
    if (verb === 'pause' && state !== 'ENABLED') return answer(400, { error: { code: 400, status: 'FAILED_PRECONDITION', message: 'job is not enabled' } });
    if (verb === 'resume' && state !== 'PAUSED') return answer(400, { error: { code: 400, status: 'FAILED_PRECONDITION', message: 'job is not paused' } });
    if (verb) jobs.set(name, verb === 'pause' ? 'PAUSED' : 'ENABLED');
    return answer(200, { name, state: jobs.get(name) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('cloud schedule control', () => {
  it('pauses and resumes the pipeline job, each idempotently', async () => {
    const options = { projectId: 'proj', region: 'europe-west1', prefix: 'sluice' };
    const name = jobPath(options, 'orders');
    expect(name).toBe('projects/proj/locations/europe-west1/jobs/sluice-orders-schedule');
    jobs.set(name, 'ENABLED');
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: 'test-token', expiry_date: Date.now() + 3_600_000 });
    const control = createCloudScheduleControl({ ...options, auth, rootUrl });

    await control.pause('orders');
    expect(jobs.get(name)).toBe('PAUSED');
    await control.pause('orders');
    await control.resume('orders');
    expect(jobs.get(name)).toBe('ENABLED');
    await control.resume('orders');
    expect(calls).toEqual([
      `GET /v1/${name}`, `POST /v1/${name}:pause`,
      `GET /v1/${name}`,
      `GET /v1/${name}`, `POST /v1/${name}:resume`,
      `GET /v1/${name}`,
    ]);
    await expect(control.pause('missing')).rejects.toThrow(/not found/);
  });
});
