// The Cloud Logging run log source through the real googleapis client, against a loopback stand-in
// for logging.googleapis.com that records what it was asked: the project, the runId filter with a
// timestamp bound, the order and page size; the entries mapped to log lines, redacted.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudLoggingSource, runLogFilter } from '../../../functions/ops/logs/cloud-logging-source';
import { createRedactor } from '../../../shared/redact';

const asked: Array<{ path: string; body: Record<string, unknown>; auth?: string }> = [];
const server = createServer(async (req: IncomingMessage, res) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  asked.push({ path: req.url ?? '', body: JSON.parse(text || '{}') as Record<string, unknown>, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    entries: [
      { timestamp: '2026-12-01T10:00:00Z', severity: 'INFO', jsonPayload: { message: 'file loaded', stage: 'load', runId: 'r1', rows: 7 } },
      { timestamp: '2026-12-01T10:00:01Z', severity: 'ERROR', jsonPayload: { message: 'connect failed with hunter2-secret-value', stage: 'load', runId: 'r1' } },
    ],
    nextPageToken: 'page-2',
  }));
});
let rootUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Cloud Logging run log source', () => {
  it('asks entries.list for the run\'s lines, oldest first, and maps them', async () => {
    const redactor = createRedactor();
    redactor.addSecret('hunter2-secret-value');
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: 'test-access-token', expiry_date: Date.now() + 3_600_000 });
    const source = createCloudLoggingSource({ projectId: 'demo-project', auth, rootUrl, redactor, now: () => new Date('2026-12-31T00:00:00Z') });
    const page = await source.logsOf('r1', { pipeline: 'restaurant-pos', limit: 5000, pageToken: 'page-1' });
    const request = asked.at(-1);
    expect(request?.path).toBe('/v2/entries:list');
    expect(request?.auth).toBe('Bearer test-access-token');
    expect(request?.body).toEqual({
      resourceNames: ['projects/demo-project'],
      filter: 'jsonPayload.runId="r1" AND jsonPayload.pipeline="restaurant-pos" AND timestamp>="2026-11-30T00:00:00.000Z"',
      orderBy: 'timestamp asc',
      pageSize: 1000,
      pageToken: 'page-1',
    });
    expect(page.nextPageToken).toBe('page-2');
    expect(page.entries[0]).toEqual({ timestamp: '2026-12-01T10:00:00Z', severity: 'INFO', message: 'file loaded', stage: 'load', fields: { stage: 'load', runId: 'r1', rows: 7 } });
    expect(JSON.stringify(page)).not.toContain('hunter2-secret-value');
  });

  it('escapes quotes in filter values', () => {
    expect(runLogFilter('a"b', { since: new Date(0) })).toBe('jsonPayload.runId="a\\"b" AND timestamp>="1970-01-01T00:00:00.000Z"');
  });
});
