// Declare, in the Pub/Sub emulator, the topics and subscriptions behind a deployment's push
// subscriptions. The local cloud does push delivery itself (emulator/pubsub-push/): the emulator
// holds them as PULL subscriptions (no pushConfig) and the dispatcher pulls from them and POSTs to
// the endpoint, with the retry policy, delivery-attempt count and dead-lettering Pub/Sub applies.
//
// Why not let the emulator push: measured without Sluice, Google's emulator stops redelivering when
// several push messages fail at once (9 messages answered 500 for 30 s were pushed twice each, then
// never again in 600 s, none dead-lettered; one message alone is retried), so locally an outage never
// recovered; and it pushed late (messages waited ~3 s before their first delivery).
//
// So the emulator subscription carries the ack deadline and the retry policy (as the cloud's would,
// for anyone reading its metadata) but NO dead-letter policy: the dispatcher counts attempts and
// dead-letters; an emulator counting too, from its own view of leases, would dead-letter a second copy.
import type { PubSub } from '@google-cloud/pubsub';
import type { PushTarget } from './pubsub-push/push-dispatcher';

// Everything the dispatcher needs to push for one subscription.
export type PushSubscriptionSpec = PushTarget;

// gRPC status codes the admin calls answer with.
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function grpcCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? Number((error as { code: unknown }).code) : undefined;
}

/** Create the topic unless it exists (a concurrent creator is fine too). */
export async function ensureTopic(pubsub: PubSub, name: string): Promise<void> {
  try {
    await pubsub.createTopic(name);
  } catch (error) {
    if (grpcCode(error) !== ALREADY_EXISTS) throw error;
  }
}

// Pub/Sub's bounds on an ack deadline; a test may give the dispatcher a shorter one than the emulator keeps.
const clampAckDeadline = (seconds: number) => Math.min(600, Math.max(10, Math.ceil(seconds)));

function subscriptionSettings(spec: PushSubscriptionSpec) {
  return {
    ackDeadlineSeconds: clampAckDeadline(spec.ackDeadlineSeconds),
    retryPolicy: {
      minimumBackoff: { seconds: spec.minBackoffSeconds },
      maximumBackoff: { seconds: spec.maxBackoffSeconds },
    },
  };
}

async function ensureSubscription(pubsub: PubSub, spec: PushSubscriptionSpec): Promise<void> {
  const settings = subscriptionSettings(spec);
  const subscription = pubsub.subscription(spec.subscription);
  const topicName = pubsub.topic(spec.topic).name;
  let existingTopic: string | undefined;
  try {
    const [metadata] = await subscription.getMetadata();
    existingTopic = metadata.topic ?? undefined;
  } catch (error) {
    if (grpcCode(error) !== NOT_FOUND) throw error;
  }
  // A subscription's topic cannot change (as in Google Cloud): re-point by recreating it.
  if (existingTopic !== undefined && existingTopic !== topicName) {
    await subscription.delete();
    existingTopic = undefined;
  }
  if (existingTopic === undefined) {
    try {
      await pubsub.topic(spec.topic).createSubscription(spec.subscription, settings);
      return;
    } catch (error) {
      if (grpcCode(error) !== ALREADY_EXISTS) throw error; // created concurrently: update below
    }
  }
  // An existing subscription may still push (an emulator someone else runs, set up by an older
  // Sluice): an empty push config makes it a pull subscription.
  await subscription.modifyPushConfig({});
  await subscription.setMetadata(settings);
}

/** Idempotent: topics (dead-letter topics included) are created if absent, pull subscriptions created or updated. */
export async function ensurePushSubscriptions(pubsub: PubSub, specs: PushSubscriptionSpec[]): Promise<void> {
  const topics = new Set(specs.flatMap((spec) => [spec.topic, spec.deadLetterTopic]));
  await Promise.all([...topics].map((topic) => ensureTopic(pubsub, topic)));
  await Promise.all(specs.map((spec) => ensureSubscription(pubsub, spec)));
}
