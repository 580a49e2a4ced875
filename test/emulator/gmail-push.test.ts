// Gmail push on the local cloud, with no code of its own: the deployment derives Gmail's push topic,
// its push subscription to fetch and the daily watch-renewal job from the topology, as the Pulumi
// program does. The renewal job, fired, reaches the real fetch handler, which calls users.watch
// (real googleapis client, on a loopback stand-in for Gmail) with the local push topic; what Gmail
// would then publish to that topic arrives at fetch as push triggers, a burst of them one run a minute.
// A renewal Gmail refuses is given up at once and alerted once, by mail, naming the fix.
// (The run itself belongs to the Gmail connector; here fetch only records the trigger it was given.)
import { gmailPushPipeline } from '../support/gmail-push-pipeline';
import { waitFor } from '../support/wait-for';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployPipelines, type LocalDeployment } from '../../emulator/deploy-pipelines';
import { createFetchHandler } from '../../functions/fetch/handler';
import { parseFetchMessage } from '../../functions/fetch/parse-trigger';
import { runIdFor } from '../../functions/fetch/run-id';
import { connectors } from '../../functions/fetch/sources/connectors';
import { gmailActions } from '../../functions/fetch/sources/gmail/watch';
import { handlers } from '../../functions/handlers';
import type { GoogleApiAccessFactory } from '../../functions/runtime/google-auth/google-api-access';
import { silentLogger } from '../../shared/logger';
import type { TriggerMessage } from '../../shared/messages';
import { localCloud, uniqueProjectId } from '../support/local-cloud';

const endpoints = localCloud();
const projectId = uniqueProjectId('gmailpush');
const pipeline = gmailPushPipeline();

// Gmail's watch endpoint, on loopback: records each request.
const watches: Array<{ topicName: string; labelIds: string[]; labelFilterBehavior?: string }> = [];
let refuseWatch = false;
const actionAttempts: Array<'accepted' | 'refused'> = [];
let gmail: Server;
const access: GoogleApiAccessFactory = async () => {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'local-token', expiry_date: Date.now() + 3_600_000 });
  return { auth, rootUrl: `http://127.0.0.1:${(gmail.address() as AddressInfo).port}/`, describe: 'a local token' };
};

const pushes: Array<{ trigger: TriggerMessage; runId: string }> = [];
let deployment: LocalDeployment;

beforeAll(async () => {
  gmail = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/gmail/v1/users/me/watch' && refuseWatch) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: 'User not authorized to perform this action.' } }));
      } else if (req.method === 'POST' && req.url === '/gmail/v1/users/me/watch') {
        watches.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof watches)[number]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ historyId: '100', expiration: String(Date.now() + 7 * 86_400_000) }));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  gmail.listen(0, '127.0.0.1');
  await once(gmail, 'listening');

  const fetch = createFetchHandler({ connectors: { ...connectors, gmail: { ...connectors.gmail, actions: gmailActions(access) } } });
  deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers: {
      ...handlers,
      // Actions go to the real handler; a run's trigger is only recorded (no Gmail connector here).
      fetch: async (ctx, message) => {
        const received = parseFetchMessage(message.data, ctx.pipeline);
        if (received.kind === 'run') {
          pushes.push({ trigger: received.trigger, runId: runIdFor(received.trigger, message) });
          return;
        }
        actionAttempts.push(refuseWatch ? 'refused' : 'accepted');
        await fetch(ctx, message);
      },
    },
    projectId,
    secrets: { 'gm-client-id': 'id', 'gm-client-secret': 'secret', 'gm-refresh-token': 'token', 'db-url': 'postgres://unused', 'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}` },
    backoffOverride: { minSeconds: 1, maxSeconds: 2 },
    logger: silentLogger,
  });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  if (gmail) {
    gmail.close();
    await once(gmail, 'close');
  }
});

describe('Gmail push on the local cloud', () => {
  const topic = 'sluice-vendor-mail-gmail-push';

  it('has the push topic and the renewal job the topology declares', async () => {
    const [exists] = await deployment.pubsub.topic(topic).exists();
    expect(exists).toBe(true);
    expect(deployment.topologies[0]!.schedules.map((s) => s.name)).toContain('sluice-vendor-mail-gmail-watch');
  });

  it('renews the watch on the local push topic when the renewal job fires', async () => {
    await deployment.scheduler.fire('sluice-vendor-mail-gmail-watch');
    await waitFor('users.watch', () => watches.length > 0);
    expect(watches[0]).toEqual({ topicName: `projects/${projectId}/topics/${topic}`, labelIds: ['INBOX'], labelFilterBehavior: 'include' });
  });

  it("turns what Gmail publishes to that topic into push triggers of the pipeline, a burst one run a minute", async () => {
    // As Gmail (or the local Google API double) publishes: data only, no attributes.
    const target = deployment.pubsub.topic(watches[0]?.topicName ?? `projects/${projectId}/topics/${topic}`);
    await Promise.all([101, 102, 103].map((historyId) => target.publishMessage({ json: { emailAddress: 'finance@example.com', historyId: String(historyId) } })));
    await waitFor('three pushes at fetch', () => pushes.length >= 3);
    expect(pushes.map((p) => p.trigger)).toEqual(Array(3).fill({ v: 1, type: 'sluice.trigger', pipeline: 'vendor-mail', trigger: 'push' }));
    for (const { runId } of pushes) expect(runId).toMatch(/^run-\d{12}00-[0-9a-f]{16}$/);
    // Published within a second of each other: one run, or two if a minute boundary fell between.
    expect(new Set(pushes.map((p) => p.runId)).size).toBeLessThanOrEqual(2);
  });

  it('alerts once, by mail, when Gmail refuses the renewal', async () => {
    refuseWatch = true;
    await deployment.scheduler.fire('sluice-vendor-mail-gmail-watch');
    const outbox = endpoints.smtp.outboxDir;
    const alerts = () => fs.readdirSync(outbox).filter((n) => n.endsWith('.eml')).map((n) => fs.readFileSync(path.join(outbox, n), 'utf8'))
      .filter((raw) => raw.includes(`projects/${projectId}/topics/${topic}`));
    await waitFor('the alert mail', () => alerts().length > 0);
    const mail = await simpleParser(alerts()[0]!);
    const alert = `${mail.subject}\n${mail.text}`;
    expect(alert).toContain('renew-watch');
    expect(alert).toContain('gmail-api-push@system.gserviceaccount.com');
    expect(alert).not.toContain('local-token');
    // Permanent: dead-lettered after its first attempt (a transient failure would be tried 5 times
    // before its dead letter could alert), and alerted once.
    expect(actionAttempts.filter((a) => a === 'refused')).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
  });
});
