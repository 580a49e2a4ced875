// The message Pub/Sub publishes to a subscription's dead-letter topic after its max delivery attempts:
// the original data and attributes, plus attributes naming where it came from (names and value forms
// as Google's Pub/Sub sets them, e.g. DeliveryCount "5", Subscription "my-subscription" (the short
// name), SubscriptionProject "my-project", TopicPublishTime "2022-08-12T15:56:29.732+00:00"). It is a
// new message: new id, new publish time; the original publish time survives only as that attribute.
import type { Message } from '@google-cloud/pubsub';

export const DEAD_LETTER_ATTRIBUTES = {
  deliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
  subscription: 'CloudPubSubDeadLetterSourceSubscription',
  subscriptionProject: 'CloudPubSubDeadLetterSourceSubscriptionProject',
  topicPublishTime: 'CloudPubSubDeadLetterSourceTopicPublishTime',
} as const;

export interface DeadLetterCopy {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey?: string;
}

export function deadLetterCopy(message: Message, source: { subscription: string; projectId: string; deliveryCount: number }): DeadLetterCopy {
  const publishedMs = message.publishTime.getTime();
  return {
    data: message.data,
    attributes: {
      ...(message.attributes ?? {}),
      [DEAD_LETTER_ATTRIBUTES.deliveryCount]: String(source.deliveryCount),
      [DEAD_LETTER_ATTRIBUTES.subscription]: source.subscription,
      [DEAD_LETTER_ATTRIBUTES.subscriptionProject]: source.projectId,
      [DEAD_LETTER_ATTRIBUTES.topicPublishTime]: new Date(publishedMs).toISOString().replace(/Z$/, '+00:00'),
    },
    ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
  };
}
