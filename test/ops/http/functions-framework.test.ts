// The same handler behind the functions framework, as the deployed function runs it: express has
// read the body already (JSON parsed, a form parsed too), the answer is still the API's; a form post
// is refused; a stream flows through express's response.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsApp } from '../../../functions/ops/http/create-ops-app';
import { createOpsAuth } from '../../../functions/ops/http/ops-auth';
import { createFakeOpsService } from './fake-ops-service';

const TOKEN = 'dev-token-for-the-framework-test';
const service = createFakeOpsService();
service.views.watchRuns = (_query, onChange) => {
  onChange({ runs: [] });
  return () => undefined;
};
let server: Server;
let url: string;

beforeAll(async () => {
  const app = createOpsApp({ service, auth: createOpsAuth({ ops: { viewers: [], operators: [] }, audiences: [], devToken: TOKEN }), heartbeatMs: 50 });
  functions.http('ops-under-test', (req, res) => void app(req, res));
  server = getTestServer('ops-under-test');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));

const auth = { authorization: `Bearer ${TOKEN}` };

describe('ops API under the functions framework', () => {
  it('takes a JSON body express already parsed, and an empty one', async () => {
    const trigger = await fetch(`${url}/runs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ pipeline: 'restaurant-pos', date: '2026-11-30' }) });
    expect(trigger.status).toBe(202);
    expect(service.calls.find((c) => c.method === 'trigger')?.args[0]).toEqual({ pipeline: 'restaurant-pos', date: '2026-11-30', dryRun: false });
    const cancel = await fetch(`${url}/runs/r1:cancel`, { method: 'POST', headers: auth });
    expect(cancel.status).toBe(200);
    const bad = await fetch(`${url}/runs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"pipeline": ' });
    expect(bad.status).toBe(400);
  });

  it('refuses a form post even though express parsed it', async () => {
    const form = await fetch(`${url}/runs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'pipeline=restaurant-pos' });
    expect(form.status).toBe(400);
    expect(((await form.json()) as { error: { message: string } }).error.message).toMatch(/must be JSON/);
  });

  it('streams events through express', async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/events/runs`, { headers: auth, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: runs') || !text.includes(': heartbeat')) text += (await reader.read()).value ?? '';
    expect(text).toContain('data: {"runs":[]}');
    controller.abort();
  });
});
