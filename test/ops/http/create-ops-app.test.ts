// The ops API's HTTP layer over a stand-in service: routing, roles, validation, the error body and
// the dashboard sign-in cookie. Auth here is the dev token and a stub verifier; the real Google ID
// token verification is ops-auth.test.ts's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/ops/http/api-error';
import type { OpsAuth } from '../../../functions/ops/http/ops-auth';
import { startOpsServer, type OpsServer } from '../../../functions/ops/http/start-ops-server';
import { routes } from '../../../functions/ops/routes';
import { createFakeOpsService, summary, type FakeOpsService } from './fake-ops-service';

const OPERATOR = 'operator-token-123456';
const VIEWER = 'viewer-token-123456';
const auth: OpsAuth = {
  async authenticate(token) {
    if (token === OPERATOR) return { principal: 'user:op@example.com', role: 'operator' };
    if (token === VIEWER) return { principal: 'user:view@example.com', role: 'viewer' };
    throw new HttpError('unauthenticated', 'bad token');
  },
};

let server: OpsServer;
let service: FakeOpsService;

beforeAll(async () => {
  service = createFakeOpsService();
  server = await startOpsServer({
    service,
    auth,
    dashboard: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<h1>dashboard</h1>');
    },
  });
});
afterAll(() => server.stop());

const call = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
  });

describe('ops API over HTTP', () => {
  it('answers /health and /openapi.json without a token', async () => {
    expect(await (await call('/health')).json()).toEqual({ status: 'ok' });
    const doc = (await (await call('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const spec of Object.values(routes)) expect(doc.paths[spec.path]?.[spec.method.toLowerCase()], spec.path).toBeDefined();
  });

  it('answers /health/detailed 503 when a required dependency is down', async () => {
    const healthy = service.health.detailed;
    service.health.detailed = async () => ({ status: 'down', checkedAt: '2026-12-01T10:00:00.000Z', dependencies: [{ name: 'firestore', required: true, ok: false, latencyMs: 5000, error: 'no answer within 5000 ms' }] });
    try {
      expect((await call('/health/detailed')).status).toBe(401);
      const down = await call('/health/detailed', { token: VIEWER });
      expect(down.status).toBe(503);
      expect(((await down.json()) as { status: string }).status).toBe('down');
    } finally {
      service.health.detailed = healthy;
    }
    expect((await call('/health/detailed', { token: VIEWER })).status).toBe(200);
  });

  it('refuses a route without a token, or with a bad one, with 401', async () => {
    const none = await call('/runs');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    expect((await call('/runs', { token: 'nope' })).status).toBe(401);
  });

  it('lets a viewer read but not mutate (403)', async () => {
    service.data.runs = [summary('r2'), summary('r1')];
    const list = await call('/runs?limit=1', { token: VIEWER });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { runs: unknown[] }).runs).toHaveLength(1);
    const cancel = await call('/runs/r1:cancel', { method: 'POST', token: VIEWER });
    expect(cancel.status).toBe(403);
    expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(service.calls.some((c) => c.method === 'cancel')).toBe(false);
  });

  it('routes custom methods and passes the caller', async () => {
    const cancel = await call('/runs/r1:cancel', { method: 'POST', token: OPERATOR });
    expect(cancel.status).toBe(200);
    expect(service.calls.find((c) => c.method === 'cancel')?.args).toEqual(['r1', { principal: 'user:op@example.com', role: 'operator' }]);
    const rerun = await call('/runs/r1:rerun', { method: 'POST', token: OPERATOR, body: JSON.stringify({ files: 'failed' }) });
    expect(rerun.status).toBe(202);
    expect(service.calls.find((c) => c.method === 'rerun')?.args[1]).toEqual({ files: 'failed', fromStage: 'fetch' });
  });

  it('validates bodies and queries with the schemas, naming the field', async () => {
    const bad = await call('/runs', { method: 'POST', token: OPERATOR, body: JSON.stringify({ pipeline: 'Demo!', extra: 1 }) });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(body.error.code).toBe('invalid-request');
    expect(body.error.issues.map((i) => i.path)).toContain('pipeline');
    const query = await call('/runs?limit=9999&status=running,bogus', { token: VIEWER });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { error: { issues: Array<{ path: string }> } }).error.issues.map((i) => i.path).sort()).toEqual(['limit', 'status']);
    expect((await call('/runs', { method: 'POST', token: OPERATOR, body: '{not json' })).status).toBe(400);
  });

  it('answers an OpsError with its code and anything else as internal, without its message', async () => {
    const missing = await call('/pipelines/demo-prices:resume', { method: 'POST', token: OPERATOR });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('no pipeline');
    const broken = await call('/pipelines/demo-prices:pause', { method: 'POST', token: OPERATOR });
    expect(broken.status).toBe(500);
    const text = await broken.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: expect.any(String) } });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('exploded');
  });

  it('answers 404 for unknown paths and runs, 405 for a wrong method', async () => {
    expect((await call('/nope', { token: VIEWER })).status).toBe(404);
    expect((await call('/runs/missing', { token: VIEWER })).status).toBe(404);
    const wrong = await call('/runs/r1:cancel', { token: OPERATOR });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('signs a browser in with ?token= into an HttpOnly cookie the API then accepts', async () => {
    expect((await call('/ui/?token=nope')).status).toBe(401);
    const signIn = await call('/ui/runs?pipeline=demo-prices&token=' + VIEWER);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/ui/runs?pipeline=demo-prices');
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sluice_token=viewer-token-123456; Path=\/; HttpOnly; SameSite=Strict$/);
    const jar = cookie.split(';')[0]!;
    expect((await call('/whoami', { headers: { cookie: jar } })).status).toBe(200);
    expect(await (await call('/ui/', { headers: { cookie: jar } })).text()).toContain('dashboard');
    expect((await call('/', {})).headers.get('location')).toBe('/ui/');
  });

  it('refuses a cookie-signed mutation from another origin', async () => {
    const jar = `sluice_token=${OPERATOR}`;
    const foreign = await call('/runs/r1:cancel', { method: 'POST', headers: { cookie: jar, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    const own = await call('/runs/r1:cancel', { method: 'POST', headers: { cookie: jar, origin: server.url } });
    expect(own.status).toBe(200);
  });
});
