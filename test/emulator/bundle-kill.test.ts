// kill() on the bundle host (emulator/bundle-host.ts), the chaos harness's crash, against a real
// functions-framework process and the local push dispatcher over the real Pub/Sub emulator: a process
// SIGKILLed while it holds a push request fails that attempt (a connection error, not a response),
// a fresh process answers on the same URL, and the redelivery is served by it. stop() right after a
// kill leaves no process behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBundleHost, type BundleHost } from '../../emulator/bundle-host';
import { groupAlive } from '../../emulator/child-process';
import { pushEndpointFor } from '../../emulator/function-host';
import { startPushDispatcher, type PushDispatcher, type PushEvent } from '../../emulator/pubsub-push/push-dispatcher';
import { ensurePushSubscriptions, type PushSubscriptionSpec } from '../../emulator/push-subscriptions';
import { pubsubFor, uniqueName, uniqueProjectId } from '../support/local-cloud';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FUNCTION = 'sluice-test-killable';

// A stage directory as the host serves it: package.json `main` registering an HTTP target with the
// framework. The first delivery attempt of a message is held open (the function "mid-work") until
// the process dies; every later attempt is answered. Each request says which process took it.
const BUNDLE_MAIN = `
const functions = require('@google-cloud/functions-framework');
functions.http('killable', (req, res) => {
  const attempt = req.body && req.body.deliveryAttempt;
  const messageId = req.body && req.body.message && req.body.message.messageId;
  console.log(JSON.stringify({ severity: 'INFO', message: 'request started', pid: process.pid, attempt, messageId }));
  if (attempt === 1) return; // never answered: only a kill ends this request
  console.log(JSON.stringify({ severity: 'INFO', message: 'request answered', pid: process.pid, attempt, messageId }));
  res.status(204).end();
});
`;

interface Line { pid: number; message: string; attempt?: number; messageId?: string }

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('killing a bundled function', () => {
  let bundleDir: string;
  let host: BundleHost | undefined;
  let dispatcher: PushDispatcher | undefined;
  let pubsub: PubSub;
  const projectId = uniqueProjectId('bundlekill');
  const lines: Line[] = [];
  const events: PushEvent[] = [];

  const start = (name = FUNCTION) =>
    startBundleHost([{ name, target: 'killable', sourceDir: bundleDir, env: {} }], {
      root: ROOT,
      baseEnv: { PATH: process.env.PATH },
      onOutput: (_fn, line) => {
        try {
          lines.push(JSON.parse(line) as Line);
        } catch {
          // framework text
        }
      },
    });

  beforeAll(async () => {
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-killable-'));
    fs.writeFileSync(path.join(bundleDir, 'package.json'), JSON.stringify({ name: 'killable', main: 'index.js' }));
    fs.writeFileSync(path.join(bundleDir, 'index.js'), BUNDLE_MAIN);
    pubsub = pubsubFor(projectId);
    host = await start();
  });

  afterAll(async () => {
    await dispatcher?.stop();
    await host?.stop();
    await pubsub?.close();
    if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  it('a process killed mid-request is replaced on the same URL, and the redelivery is served by the new process', async () => {
    const url = host!.urlOf(FUNCTION);
    const firstPid = host!.pidOf(FUNCTION);
    const topic = uniqueName('killable');
    const spec: PushSubscriptionSpec = {
      topic,
      subscription: `${topic}-push`,
      pushEndpoint: pushEndpointFor(url, projectId, topic),
      ackDeadlineSeconds: 60,
      minBackoffSeconds: 1,
      maxBackoffSeconds: 2,
      deadLetterTopic: `${topic}-dead-letter`,
      maxDeliveryAttempts: 5,
    };
    await ensurePushSubscriptions(pubsub, [spec]);
    dispatcher = startPushDispatcher({ pubsub, projectId, targets: [spec], onEvent: (e) => events.push(e) });
    const messageId = await pubsub.topic(topic).publishMessage({ json: { crash: 'me' } });

    // Mid-request: the first process holds attempt 1 open.
    const held = await waitFor('attempt 1 started', () => lines.find((l) => l.messageId === messageId && l.message === 'request started' && l.attempt === 1));
    expect(held.pid).toBe(firstPid);

    const kill = await host!.kill(FUNCTION);
    expect(kill.killedPid).toBe(firstPid);
    expect(kill.newPid).toBeDefined();
    expect(kill.newPid).not.toBe(firstPid);
    expect(groupAlive(firstPid)).toBe(false);
    expect(host!.pidOf(FUNCTION)).toBe(kill.newPid);
    expect(host!.urlOf(FUNCTION)).toBe(url);

    await waitFor('the message acked', () => events.find((e) => e.kind === 'acked' && e.messageId === messageId));
    const attempts = events.filter((e): e is Extract<PushEvent, { kind: 'attempt' }> => e.kind === 'attempt' && e.messageId === messageId);
    // The killed request is a failed attempt without a response (the push saw the connection go).
    expect(attempts[0]?.outcome).toMatchObject({ ok: false, reason: 'connection' });
    expect(attempts.at(-1)?.outcome.ok).toBe(true);
    const answered = lines.filter((l) => l.messageId === messageId && l.message === 'request answered');
    expect(answered).toHaveLength(1);
    expect(answered[0]!.pid).toBe(kill.newPid);
    expect(answered[0]!.attempt).toBeGreaterThanOrEqual(2);

    // A kill is no crash: exited() reports only processes that died on their own.
    expect(host!.exited()).toEqual([]);
    expect(host!.kills()).toEqual([kill]);
  }, 60_000);

  it('kills of one function are taken in turn, each replacing the process the previous one started', async () => {
    const before = host!.pidOf(FUNCTION);
    const [a, b] = await Promise.all([host!.kill(FUNCTION), host!.kill(FUNCTION)]);
    expect(a.killedPid).toBe(before);
    expect(b.killedPid).toBe(a.newPid);
    expect(host!.pidOf(FUNCTION)).toBe(b.newPid);
    expect(groupAlive(a.killedPid) || groupAlive(b.killedPid)).toBe(false);
  }, 60_000);

  it('stop() right after a kill leaves no process running, replacement or not', async () => {
    const other = await start(`${FUNCTION}-2`);
    const pid = other.pidOf(`${FUNCTION}-2`);
    const killing = other.kill(`${FUNCTION}-2`);
    await other.stop();
    const result = await killing;
    expect(groupAlive(pid)).toBe(false);
    if (result.newPid !== undefined) expect(groupAlive(result.newPid)).toBe(false);
    await expect(other.kill('nobody')).rejects.toThrow(/no function named "nobody"/);
  }, 60_000);
});
