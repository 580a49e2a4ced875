// Push delivery for ONE subscription, as Google Cloud Pub/Sub push does it, over a pull subscription
// of the emulator: messages arrive by streaming pull as soon as they are published, each is POSTed to
// the endpoint (many at once, in no order); a success acks it; a failure waits out the retry policy's
// backoff (retry-backoff.ts) and is delivered again with the next deliveryAttempt; after
// maxDeliveryAttempts it is published to the dead-letter topic (dead-letter-message.ts), then acked.
//
// The lease: a message stays leased from the emulator until it is acked — while in flight and while
// it waits for its backoff — by the client library's lease manager, which extends its ack deadline
// (modifyAckDeadline) for as long as maxExtensionTime allows (set past any backoff schedule). We chose
// holding over nacking with a deadline because a held message's next attempt runs on our timer, to the
// millisecond, while a nacked one would come back when the emulator's redelivery scan finds it; and
// the emulator's own delivery count, which we do not use, never moves. If the emulator redelivers a
// held message anyway (a lost lease), the copy joins the one we hold: the attempt count is kept per
// message id and no second delivery starts.
//
// Concurrency follows Pub/Sub push's documented slow start: one request at a time at first, the limit
// doubling with each success and halving with each failure (never below one). Many messages are in
// flight once deliveries succeed, in no order; and an outage, or a stampede of contending handlers,
// backs off instead of retrying everything at once.
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { Duration } from '@google-cloud/pubsub';
import type { Logger } from '../../shared/logger';
import { deadLetterCopy } from './dead-letter-message';
import { postPush, type PushOutcome } from './post-push';
import type { PushFaults } from './push-faults';
import { pushRequestBody } from './push-request';
import { retryDelayMs } from './retry-backoff';

export interface PushTarget {
  topic: string;
  subscription: string;
  pushEndpoint: string;
  ackDeadlineSeconds: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

// What the dispatcher did, for tests and a chaos harness to observe.
export type PushEvent =
  // sentAt: when the push request(s) left; publishedAt: the message's publish time (both epoch ms).
  | { kind: 'attempt'; subscription: string; messageId: string; attempt: number; copies: number; outcome: PushOutcome; ackLost: boolean; publishedAt: number; sentAt: number; at: number }
  | { kind: 'acked'; subscription: string; messageId: string; attempts: number; at: number }
  | { kind: 'retry-scheduled'; subscription: string; messageId: string; attempt: number; delayMs: number; at: number }
  | { kind: 'dead-lettered'; subscription: string; messageId: string; attempts: number; deadLetterMessageId: string; at: number }
  | { kind: 'lease-lost'; subscription: string; messageId: string; at: number };

interface Held {
  messageId: string;
  // Every lease the emulator gave us on this message (more than one after a lost lease); all are
  // acked at the end, so whichever is still valid removes it.
  leases: Message[];
  attempts: number;
  timer?: NodeJS.Timeout;
}

export interface SubscriptionPusher {
  // Messages received and not yet acked or dead-lettered.
  pending(): number;
  stop(): Promise<void>;
}

export interface PusherContext {
  pubsub: PubSub;
  projectId: string;
  faults: PushFaults;
  logger: Logger;
  onEvent?: (event: PushEvent) => void;
}

// Far past any schedule (100 attempts × 600 s); the library's default of 60 minutes is not.
const MAX_LEASE = Duration.from({ hours: 7 * 24 });

export function startSubscriptionPusher(target: PushTarget, ctx: PusherContext): SubscriptionPusher {
  const log = ctx.logger.child({ subscription: target.subscription });
  const subscriptionPath = `projects/${ctx.projectId}/subscriptions/${target.subscription}`;
  const held = new Map<string, Held>();
  const stopController = new AbortController();
  const running = new Set<Promise<void>>();
  let stopping: Promise<void> | undefined;
  // Slow start (see above): the concurrent push requests allowed, those in flight, and those waiting.
  const MAX_CONCURRENT = 1000;
  let limit = 1;
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> => {
    if (inFlight < limit) {
      inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(() => { inFlight += 1; resolve(); }));
  };
  const release = (succeeded: boolean) => {
    inFlight -= 1;
    limit = succeeded ? Math.min(MAX_CONCURRENT, limit * 2) : Math.max(1, Math.floor(limit / 2));
    while (inFlight < limit && waiting.length > 0) waiting.shift()!();
  };
  const emit = (event: PushEvent) => {
    try {
      ctx.onEvent?.(event);
    } catch (error) {
      log.warn('push event observer threw', { error });
    }
  };
  const deadLetterTopic = ctx.pubsub.topic(target.deadLetterTopic, { batching: { maxMessages: 1, maxMilliseconds: 1 } });

  const subscription: Subscription = ctx.pubsub.subscription(target.subscription, {
    flowControl: { maxMessages: 1000, allowExcessMessages: false },
    maxExtensionTime: MAX_LEASE,
    // Acks and lease extensions leave at once rather than batched for 100 ms.
    batching: { maxMessages: 100, maxMilliseconds: 5 },
    closeOptions: { behavior: 'NACK' },
  });

  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const finish = (entry: Held) => {
    held.delete(entry.messageId);
    for (const lease of entry.leases) lease.ack();
  };

  const schedule = (entry: Held, delayMs: number, next: () => Promise<void>) => {
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (!stopController.signal.aborted) track(next().catch((error: unknown) => log.error('push delivery crashed', { messageId: entry.messageId, error })));
    }, delayMs);
  };

  const deadLetter = async (entry: Held): Promise<void> => {
    const original = entry.leases[0]!;
    const copy = deadLetterCopy(original, { subscription: target.subscription, projectId: ctx.projectId, deliveryCount: entry.attempts });
    try {
      const id = await deadLetterTopic.publishMessage(copy);
      if (stopController.signal.aborted) return;
      log.warn('message dead-lettered after max delivery attempts', { messageId: entry.messageId, attempts: entry.attempts, deadLetterTopic: target.deadLetterTopic });
      finish(entry);
      emit({ kind: 'dead-lettered', subscription: target.subscription, messageId: entry.messageId, attempts: entry.attempts, deadLetterMessageId: id, at: Date.now() });
    } catch (error) {
      if (stopController.signal.aborted) return;
      // Still held: try again after the longest backoff rather than lose or double it.
      log.warn('dead-lettering failed; will retry', { messageId: entry.messageId, error });
      schedule(entry, retryDelayMs(entry.attempts, target.minBackoffSeconds, target.maxBackoffSeconds), () => deadLetter(entry));
    }
  };

  const deliver = async (entry: Held): Promise<void> => {
    entry.attempts += 1;
    const attempt = entry.attempts;
    const key = { subscription: target.subscription, messageId: entry.messageId, attempt };
    const copies = ctx.faults.copiesOf(key);
    const body = pushRequestBody(entry.leases[0]!, subscriptionPath, attempt);
    await acquire();
    if (stopController.signal.aborted) return release(false);
    const sentAt = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: copies }, () => postPush(target.pushEndpoint, body, target.ackDeadlineSeconds * 1000, stopController.signal)),
    );
    release(outcomes.some((o) => o.ok));
    if (stopController.signal.aborted) return; // the lease is nacked by close()
    // Any copy's ack acks the message, as one ack from any delivery does in Pub/Sub.
    const acked = outcomes.find((o) => o.ok) ?? outcomes[0]!;
    const ackLost = acked.ok && ctx.faults.ackLost(key);
    emit({ kind: 'attempt', subscription: target.subscription, messageId: entry.messageId, attempt, copies, outcome: acked, ackLost, publishedAt: entry.leases[0]!.publishTime.getTime(), sentAt, at: Date.now() });
    if (acked.ok && !ackLost) {
      finish(entry);
      emit({ kind: 'acked', subscription: target.subscription, messageId: entry.messageId, attempts: attempt, at: Date.now() });
      return;
    }
    const why = acked.ok ? 'ack lost (fault injection)' : acked.detail;
    if (attempt >= target.maxDeliveryAttempts) {
      log.info('push delivery failed; max delivery attempts reached', { messageId: entry.messageId, attempt, why });
      await deadLetter(entry);
      return;
    }
    const delayMs = retryDelayMs(attempt, target.minBackoffSeconds, target.maxBackoffSeconds);
    log.debug('push delivery failed; retrying after backoff', { messageId: entry.messageId, attempt, why, delayMs });
    emit({ kind: 'retry-scheduled', subscription: target.subscription, messageId: entry.messageId, attempt, delayMs, at: Date.now() });
    schedule(entry, delayMs, () => deliver(entry));
  };

  subscription.on('message', (message: Message) => {
    if (stopController.signal.aborted) return;
    const known = held.get(message.id);
    if (known) {
      // The emulator redelivered a message we hold: keep its count, do not deliver it twice at once.
      known.leases.push(message);
      log.warn('the emulator redelivered a held message (lease lost); attempt count kept', { messageId: message.id, attempts: known.attempts });
      emit({ kind: 'lease-lost', subscription: target.subscription, messageId: message.id, at: Date.now() });
      return;
    }
    const entry: Held = { messageId: message.id, leases: [message], attempts: 0 };
    held.set(message.id, entry);
    track(deliver(entry).catch((error: unknown) => log.error('push delivery crashed', { messageId: message.id, error })));
  });
  subscription.on('error', (error: unknown) => {
    if (!stopController.signal.aborted) log.error('pull stream failed', { error });
  });

  return {
    pending: () => held.size,
    stop() {
      stopping ??= (async () => {
        stopController.abort();
        for (const entry of held.values()) clearTimeout(entry.timer);
        // Deliveries waiting for a slot go on, see the abort and end.
        for (const next of waiting.splice(0)) next();
        await Promise.allSettled([...running]);
        subscription.removeAllListeners('message');
        // NACK: what we still hold goes back to the emulator for the next dispatcher.
        // The 'error' listener stays: a stream error while closing must not become an unhandled event.
        await subscription.close().catch((error: unknown) => log.warn('pull stream did not close cleanly', { error }));
        held.clear();
      })();
      return stopping;
    },
  };
}
