// Unit tests: what the fetch function makes of what arrives on it — Sluice's triggers, source actions
// and Gmail's own push notifications — and which run a push notification is.
import { describe, expect, it } from 'vitest';
import { parseFetchMessage, parseTrigger } from '../../functions/fetch/parse-trigger';
import { DEAD_LETTER_PUBLISH_TIME, runIdFor } from '../../functions/fetch/run-id';
import { InvalidMessageError } from '../../shared/errors';
import { definePipeline, type Pipeline } from '../../shared/pipeline-definition';

function gmailPipeline(push: boolean): Pipeline {
  return definePipeline({
    name: 'vendor-mail',
    source: {
      kind: 'gmail',
      auth: { kind: 'oauth', clientId: { secret: 'gm-client-id' }, clientSecret: { secret: 'gm-client-secret' }, refreshToken: { secret: 'gm-refresh-token' } },
      rules: [{ name: 'prices', from: 'vendor\\.example$' }],
      push,
    },
    imports: [{ name: 'rows', match: '\\.csv$', table: 'rows' }],
    database: { url: { secret: 'db-url' }, schema: 'vendor_mail' },
    alerts: { to: ['ops@example.com'] },
    mail: { from: 'sluice@example.com', smtpUrl: { secret: 'smtp-url' } },
    secrets: ['gm-client-id', 'gm-client-secret', 'gm-refresh-token', 'db-url', 'smtp-url'],
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const notification = json({ emailAddress: 'finance@example.com', historyId: '9876543210' });

describe('parseFetchMessage', () => {
  const pushing = gmailPipeline(true);

  it('reads a Sluice trigger as a run', () => {
    expect(parseFetchMessage(json({ v: 1, type: 'sluice.trigger', pipeline: 'vendor-mail', trigger: 'schedule' }), pushing))
      .toEqual({ kind: 'run', trigger: { v: 1, type: 'sluice.trigger', pipeline: 'vendor-mail', trigger: 'schedule' } });
  });

  it("turns Gmail's notification into a push trigger for the function's own pipeline", () => {
    expect(parseFetchMessage(notification, pushing)).toEqual({ kind: 'run', trigger: { v: 1, type: 'sluice.trigger', pipeline: 'vendor-mail', trigger: 'push' } });
    // Gmail has sent the history id as a JSON number too.
    expect(parseFetchMessage(json({ emailAddress: 'finance@example.com', historyId: 12345 }), pushing)).toMatchObject({ kind: 'run', trigger: { trigger: 'push' } });
    expect(parseTrigger(notification, pushing).trigger).toBe('push');
  });

  it('refuses a notification-shaped message for a source that declares no push topic, and without a pipeline', () => {
    expect(() => parseFetchMessage(notification, gmailPipeline(false))).toThrow(InvalidMessageError);
    // Notify reads dead-lettered triggers without the pipeline: only Sluice's own shape.
    expect(() => parseTrigger(notification)).toThrow(InvalidMessageError);
    // Something else without a type is not taken for a notification.
    expect(() => parseFetchMessage(json({ emailAddress: 'x@example.com' }), pushing)).toThrow(/invalid trigger message/);
    expect(() => parseFetchMessage(json({ emailAddress: 'x@example.com', historyId: 'abc' }), pushing)).toThrow(InvalidMessageError);
  });

  it('reads a source action, naming what is wrong with a bad one', () => {
    const action = { v: '1', type: 'sluice.source-action', pipeline: 'vendor-mail', action: 'renew-watch', topic: 'sluice-vendor-mail-gmail-push' };
    expect(parseFetchMessage(json(action), pushing)).toEqual({ kind: 'action', action: { ...action, v: 1 } });
    expect(() => parseFetchMessage(json({ ...action, action: 'Renew Watch' }), pushing)).toThrow(/invalid source action message: action/);
    expect(() => parseFetchMessage(json({ ...action, topic: 'projects/x/topics/y' }), pushing)).toThrow(/topic/);
    expect(() => parseFetchMessage(Buffer.from('not json'), pushing)).toThrow(/not JSON/);
  });
});

describe('the run of a push notification', () => {
  const trigger = parseTrigger(notification, gmailPipeline(true));

  it('is one run for every notification published in the same minute', () => {
    const first = runIdFor(trigger, { messageId: '1', publishTime: '2026-03-02T11:00:01.120Z' });
    expect(first).toMatch(/^run-20260302110000-[0-9a-f]{16}$/);
    expect(runIdFor(trigger, { messageId: '2', publishTime: '2026-03-02T11:00:59.999Z' })).toBe(first);
    expect(runIdFor(trigger, { messageId: '3', publishTime: '2026-03-02T11:01:00.000Z' })).not.toBe(first);
  });

  it('is found again from its dead-letter copy, and is never a scheduled run of that minute', () => {
    const original = runIdFor(trigger, { messageId: '1', publishTime: '2026-03-02T11:00:01.120Z' });
    const deadLetter = { messageId: '99', publishTime: '2026-03-02T11:30:00Z', attributes: { [DEAD_LETTER_PUBLISH_TIME]: '2026-03-02T11:00:01.120+00:00' } };
    expect(runIdFor(trigger, deadLetter)).toBe(original);
    expect(runIdFor({ ...trigger, trigger: 'schedule' }, { messageId: '1', publishTime: '2026-03-02T11:00:00Z' })).not.toBe(original);
  });
});
