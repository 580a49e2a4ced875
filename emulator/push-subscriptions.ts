// Declare, in the Pub/Sub emulator, the topics and push subscriptions a deployment declares.
// The emulator itself pushes, applies the retry policy's backoff and moves messages to the
// dead-letter topic after maxDeliveryAttempts: we only configure it, we never re-implement it.
import type { PubSub } from '@google-cloud/pubsub';

export interface PushSubscriptionSpec {
  topic: string;
  subscription: string;
  pushEndpoint: string;
  ackDeadlineSeconds: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

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

function subscriptionSettings(pubsub: PubSub, spec: PushSubscriptionSpec) {
  return {
    pushConfig: { pushEndpoint: spec.pushEndpoint },
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    retryPolicy: {
      minimumBackoff: { seconds: spec.minBackoffSeconds },
      maximumBackoff: { seconds: spec.maxBackoffSeconds },
    },
    deadLetterPolicy: {
      deadLetterTopic: pubsub.topic(spec.deadLetterTopic).name,
      maxDeliveryAttempts: spec.maxDeliveryAttempts,
    },
  };
}

async function ensureSubscription(pubsub: PubSub, spec: PushSubscriptionSpec): Promise<void> {
  const settings = subscriptionSettings(pubsub, spec);
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
  await subscription.setMetadata(settings);
}

/** Idempotent: topics (dead-letter topics included) are created if absent, subscriptions created or updated. */
export async function ensurePushSubscriptions(pubsub: PubSub, specs: PushSubscriptionSpec[]): Promise<void> {
  const topics = new Set(specs.flatMap((spec) => [spec.topic, spec.deadLetterTopic]));
  await Promise.all([...topics].map((topic) => ensureTopic(pubsub, topic)));
  await Promise.all(specs.map((spec) => ensureSubscription(pubsub, spec)));
}
