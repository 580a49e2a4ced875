// The push endpoint wrapper the deployed entry and the local hosts share: a Pub/Sub push request
// becomes the event the stage reads; success acks (204), a failure asks for redelivery (500)
// without the framework printing anything; what is not a push request never reaches the stage.
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodePushEvent, type PushEventLike } from '../../functions/runtime/decode-push-event';
import { MESSAGE_PUBLISHED, servePush } from '../../functions/runtime/serve-push';

const seen: PushEventLike[] = [];
let fail = false;
let url = '';
let close: () => Promise<void>;

beforeAll(async () => {
  functions.http('serve-push-test', servePush(async (event) => {
    seen.push(event);
    if (fail) throw new Error('transient, already logged by the stage');
  }));
  const server = getTestServer('serve-push-test');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/projects/p/topics/t`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

const body = {
  message: { data: Buffer.from('{"v":1}').toString('base64'), attributes: { runId: 'r1' }, messageId: 'm-42', publishTime: '2026-11-22T10:00:00Z' },
  subscription: 'projects/p/subscriptions/s',
  deliveryAttempt: 3,
};
const post = (payload: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });

describe('servePush', () => {
  it('hands the stage the push body as a messagePublished event and acks with 204', async () => {
    seen.length = 0;
    fail = false;
    const response = await post(body);
    expect(response.status).toBe(204);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: 'm-42', type: MESSAGE_PUBLISHED });
    expect(decodePushEvent(seen[0]!)).toEqual({
      messageId: 'm-42',
      publishTime: '2026-11-22T10:00:00Z',
      attributes: { runId: 'r1' },
      data: Buffer.from('{"v":1}'),
      deliveryAttempt: 3,
    });
  });

  it('answers 500 on a failure, and the framework writes nothing to stderr', async () => {
    fail = true;
    const stderr = vi.spyOn(console, 'error');
    try {
      expect((await post(body)).status).toBe(500);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      fail = false;
    }
  });

  it('turns away what is not a push request before the stage sees it', async () => {
    seen.length = 0;
    expect((await fetch(url)).status).toBe(405);
    expect((await post({ hello: 'world' })).status).toBe(400);
    expect((await post({ message: null })).status).toBe(400);
    expect(seen).toHaveLength(0);
  });
});
