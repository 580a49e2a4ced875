// users.watch through the real googleapis client against a loopback server standing in for Gmail:
// the request the renewal sends (path, topic, label filter, token), what it makes of the answer, and
// which failures are permanent. Sign-in is a stand-in GoogleApiAccessFactory (the contract only).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Firestore } from '@google-cloud/firestore';
import { gmailActions, renewWatch } from '../../../../functions/fetch/sources/gmail/watch';
import type { SourceActionRuntime } from '../../../../functions/fetch/sources/source-connector';
import type { GoogleApiAccessFactory, GoogleApiAccessOptions } from '../../../../functions/runtime/google-auth/google-api-access';
import { isPermanent } from '../../../../shared/errors';
import { silentLogger } from '../../../../shared/logger';
import type { GmailSource } from '../../../../shared/pipeline-definition';
import { gmailSourceSchema } from '../../../../functions/fetch/sources/gmail/config';

interface Seen { method: string; url: string; authorization: string | undefined; body: unknown }
let server: Server;
let root: string;
const seen: Seen[] = [];
let answer: (res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: text ? JSON.parse(text) : undefined });
      answer(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.close();
  await once(server, 'close');
});
beforeEach(() => {
  seen.length = 0;
  answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ historyId: '4242', expiration: String(Date.UTC(2026, 2, 9, 4, 17)) }));
});

const requested: GoogleApiAccessOptions[] = [];
const access: GoogleApiAccessFactory = async (options) => {
  requested.push(options);
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'test-access-token', expiry_date: Date.now() + 3_600_000 });
  return { auth, rootUrl: root, describe: 'a test token' };
};

const source = (push = true): GmailSource => gmailSourceSchema.parse({
  kind: 'gmail',
  auth: { kind: 'oauth', clientId: { secret: 'id' }, clientSecret: { secret: 'cs' }, refreshToken: { secret: 'rt' } },
  rules: [{ name: 'prices' }],
  push,
});
const runtime = (topic: string | null = 'projects/p-1/topics/acme-vendor-mail-gmail-push'): SourceActionRuntime => ({
  pipeline: 'vendor-mail',
  ...(topic !== null ? { topic } : {}),
  secrets: { read: async () => 'unused' },
  firestore: {} as Firestore,
  logger: silentLogger,
  now: () => new Date(),
  localEndpoints: {},
});

describe('renewWatch', () => {
  it('asks Gmail to publish inbox changes to the push topic, signed in with the source auth', async () => {
    const renewal = await renewWatch(source(), runtime(), access);
    expect(renewal).toEqual({ historyId: '4242', expiresAt: '2026-03-09T04:17:00.000Z' });
    expect(seen).toEqual([{
      method: 'POST',
      url: '/gmail/v1/users/me/watch',
      authorization: 'Bearer test-access-token',
      body: { topicName: 'projects/p-1/topics/acme-vendor-mail-gmail-push', labelIds: ['INBOX'], labelFilterBehavior: 'include' },
    }]);
    expect(requested.at(-1)).toMatchObject({ pipeline: 'vendor-mail', config: source().auth, scopes: ['https://www.googleapis.com/auth/gmail.modify'] });
  });

  it("is the connector's renew-watch action", async () => {
    await gmailActions(access)['renew-watch']!(source(), runtime());
    expect(seen).toHaveLength(1);
  });

  it('fails permanently, naming the fix, when Gmail may not publish to the topic', async () => {
    answer = (res) => res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({
      error: { code: 403, message: 'Error sending test message to Cloud PubSub projects/p-1/topics/acme-vendor-mail-gmail-push : User not authorized to perform this action.', status: 'PERMISSION_DENIED' },
    }));
    const error = await renewWatch(source(), runtime(), access).then(() => new Error('watch succeeded'), (e: unknown) => e as Error);
    expect(isPermanent(error)).toBe(true);
    expect(error.message).toMatch(/^pipeline "vendor-mail": Gmail users\.watch on projects\/p-1\/topics\/acme-vendor-mail-gmail-push failed \(HTTP 403 PERMISSION_DENIED: Error sending test message/);
    expect(error.message).toContain('gmail-api-push@system.gserviceaccount.com');
    expect(error.message).not.toContain('test-access-token');
    expect(error.cause).toBeUndefined();
  });

  it('leaves a rate limit transient, to be retried', async () => {
    answer = (res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({
      error: { code: 429, message: 'Too many concurrent requests for user.', errors: [{ reason: 'rateLimitExceeded' }], status: 'RESOURCE_EXHAUSTED' },
    }));
    const error = await renewWatch(source(), runtime(), access).then(() => new Error('watch succeeded'), (e: unknown) => e as Error);
    expect(isPermanent(error)).toBe(false);
    expect(error.message).toContain('429');
  });

  it('refuses a source without push, or an action without a topic, before calling Gmail', async () => {
    await expect(renewWatch(source(false), runtime(), access)).rejects.toThrow(/push: true/);
    await expect(renewWatch(source(), runtime(null), access)).rejects.toThrow(/push topic/);
    expect(seen).toEqual([]);
  });
});
