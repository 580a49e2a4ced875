// Unit tests: a source action reaches the action its source's connector declares, with the push
// topic's full name; an action nobody declares, or for another pipeline, is refused for good.
import { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { runSourceAction } from '../../functions/fetch/source-actions';
import { describeDeadLetter } from '../../functions/notify/dead-letter';
import type { SourceActionRuntime } from '../../functions/fetch/sources/source-connector';
import type { IncomingMessage, StageContext } from '../../functions/runtime/context';
import { isInvalidMessage } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import type { SourceActionMessage } from '../../shared/messages';
import { definePipeline, type GmailSource } from '../../shared/pipeline-definition';

const pipeline = definePipeline({
  name: 'vendor-mail',
  source: {
    kind: 'gmail',
    auth: { kind: 'oauth', clientId: { secret: 'id' }, clientSecret: { secret: 'cs' }, refreshToken: { secret: 'rt' } },
    rules: [{ name: 'prices' }],
    push: true,
  },
  imports: [{ name: 'rows', match: '\\.csv$', table: 'rows' }],
  database: { url: { secret: 'db-url' }, schema: 'vendor_mail' },
  alerts: { to: ['ops@example.com'] },
  mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
  secrets: ['id', 'cs', 'rt', 'db-url', 'smtp-url'],
});
// Only what an action uses; the Pub/Sub client makes names, it never connects here.
const ctx = { pipeline, logger: silentLogger, pubsub: new PubSub({ projectId: 'p-1' }), secrets: { read: async () => 'x' }, firestore: {}, localEndpoints: {} } as unknown as StageContext;
const message: IncomingMessage = { messageId: '7', attributes: {}, data: Buffer.alloc(0) };
const action: SourceActionMessage = { v: 1, type: 'sluice.source-action', pipeline: 'vendor-mail', action: 'renew-watch', topic: 'acme-vendor-mail-gmail-push' };

describe('runSourceAction', () => {
  it("calls the source kind's action with the push topic's full name", async () => {
    const calls: Array<{ source: GmailSource; runtime: SourceActionRuntime }> = [];
    await runSourceAction(ctx, message, action, { gmail: { actions: { 'renew-watch': async (source, runtime) => { calls.push({ source, runtime }); } } } }, () => new Date());
    expect(calls).toHaveLength(1);
    expect(calls[0]!.source).toBe(pipeline.source);
    expect(calls[0]!.runtime).toMatchObject({ pipeline: 'vendor-mail', topic: 'projects/p-1/topics/acme-vendor-mail-gmail-push' });
  });

  it('refuses, for good, an action the source does not have or one for another pipeline', async () => {
    const refused = async (p: Promise<void>) => isInvalidMessage(await p.then(() => undefined, (e: unknown) => e));
    expect(await refused(runSourceAction(ctx, message, action, {}, () => new Date()))).toBe(true);
    expect(await refused(runSourceAction(ctx, message, { ...action, action: 'toString' }, { gmail: { actions: {} } }, () => new Date()))).toBe(true);
    expect(await refused(runSourceAction(ctx, message, { ...action, pipeline: 'other' }, { gmail: { actions: { 'renew-watch': async () => {} } } }, () => new Date()))).toBe(true);
    await expect(runSourceAction(ctx, message, action, {}, () => new Date())).rejects.toThrow('source action "renew-watch" is not one the gmail source of pipeline "vendor-mail" has');
  });
});

describe('a source action given up', () => {
  it('reaches notify as a dead letter of no run, so it alerts naming the action and the reason', () => {
    const letter = describeDeadLetter('vendor-mail', {
      messageId: '9',
      attributes: { CloudPubSubDeadLetterSourceSubscription: 'projects/p/subscriptions/sluice-vendor-mail-fetch-push', sluiceError: 'Gmail users.watch failed (HTTP 403)' },
      data: Buffer.from(JSON.stringify(action)),
    });
    expect(letter.stage).toBe('fetch');
    expect(letter.target).toMatchObject({ kind: 'trigger', detail: { action: 'renew-watch' } });
    expect(letter.target).not.toHaveProperty('runId');
    expect(letter.error).toBe('failed permanently in fetch: Gmail users.watch failed (HTTP 403)');
  });
});

describe('a Gmail push notification given up', () => {
  it('reaches notify as the push trigger it stood for, so the run it made is found and failed', () => {
    const publishTime = '2026-11-30T12:00:41.000Z';
    const letter = describeDeadLetter('vendor-mail', {
      messageId: '10',
      publishTime,
      attributes: { CloudPubSubDeadLetterSourceSubscription: 'projects/p/subscriptions/sluice-vendor-mail-gmail-push-fetch', CloudPubSubDeadLetterSourceTopicPublishTime: publishTime },
      data: Buffer.from(JSON.stringify({ emailAddress: 'finance@example.com', historyId: 4711 })),
    }, pipeline);
    expect(letter.stage).toBe('fetch');
    expect(letter.target).toMatchObject({ kind: 'trigger', detail: { trigger: 'push' } });
    expect((letter.target as { runId?: string }).runId).toMatch(/^run-/);
    // Without the pipeline the shape means nothing: acknowledged as undecodable, as before.
    expect(describeDeadLetter('vendor-mail', { messageId: '11', publishTime, attributes: {}, data: Buffer.from('{"emailAddress":"a@b.c","historyId":1}') }).target.kind).toBe('undecodable');
  });
});
