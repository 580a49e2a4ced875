// The local cloud's push delivery: one pusher per push subscription (subscription-pusher.ts), all
// sharing the deployment's fault injection (push-faults.ts, off unless asked). Google's emulator stays
// the broker (topics, message storage, publish, pull); it no longer pushes, because with several
// failing messages at once it stops redelivering them (see push-subscriptions.ts).
import type { PubSub } from '@google-cloud/pubsub';
import type { Logger } from '../../shared/logger';
import { silentLogger } from '../../shared/logger';
import { createPushFaults, type PushFaultOptions } from './push-faults';
import { startSubscriptionPusher, type PushEvent, type PushTarget, type SubscriptionPusher } from './subscription-pusher';

export type { PushEvent, PushTarget } from './subscription-pusher';
export type { PushFaultOptions } from './push-faults';

export interface PushDispatcherOptions {
  pubsub: PubSub;
  projectId: string;
  targets: PushTarget[];
  faults?: PushFaultOptions;
  onEvent?: (event: PushEvent) => void;
  logger?: Logger;
}

export interface PushDispatcher {
  // The fault-injection seed in use (printed when faults are on), to rerun the same faults.
  seed: string | undefined;
  // Messages received and not yet acked or dead-lettered, over all subscriptions or one.
  pending(subscription?: string): number;
  stop(): Promise<void>;
}

export function startPushDispatcher(options: PushDispatcherOptions): PushDispatcher {
  const logger = (options.logger ?? silentLogger).child({ component: 'pubsub-push' });
  const faults = createPushFaults(options.faults);
  if (faults.seed !== undefined) logger.warn('push fault injection on', { ...options.faults, seed: faults.seed });
  const pushers = new Map<string, SubscriptionPusher>();
  for (const target of options.targets) {
    if (pushers.has(target.subscription)) throw new Error(`push subscription "${target.subscription}" is declared twice`);
    pushers.set(target.subscription, startSubscriptionPusher(target, { pubsub: options.pubsub, projectId: options.projectId, faults, logger, ...(options.onEvent ? { onEvent: options.onEvent } : {}) }));
  }
  let stopping: Promise<void> | undefined;
  return {
    seed: faults.seed,
    pending(subscription) {
      if (subscription !== undefined) return pushers.get(subscription)?.pending() ?? 0;
      let total = 0;
      for (const pusher of pushers.values()) total += pusher.pending();
      return total;
    },
    stop: () => (stopping ??= Promise.all([...pushers.values()].map((p) => p.stop())).then(() => undefined)),
  };
}
