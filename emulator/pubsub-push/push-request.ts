// The HTTP request Pub/Sub push sends for one delivery of one message, and what counts as its ack.
// Body, as Google documents it (cloud.google.com/pubsub/docs/push): the message with base64 `data`,
// `attributes`, the id and publish time under both their camelCase and snake_case names, the
// subscription's full name, and `deliveryAttempt` (present because every Sluice subscription has a
// dead-letter policy).
import type { Message } from '@google-cloud/pubsub';

export interface PushRequestBody {
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
    orderingKey?: string;
  };
  subscription: string;
  deliveryAttempt: number;
}

// What the real push sends that a receiver may look at. (An authenticated push subscription would add
// `Authorization: Bearer <OIDC token>`; Sluice's local functions do not check one.)
export const PUSH_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
};

// "Any of the following HTTP status codes is interpreted as success: 102, 200, 201, 202, 204";
// anything else (and a connection error, or no answer within the ack deadline) is a failed attempt.
const SUCCESS = new Set([102, 200, 201, 202, 204]);
export function isPushSuccess(status: number): boolean {
  return SUCCESS.has(status);
}

export function pushRequestBody(message: Message, subscriptionPath: string, deliveryAttempt: number): PushRequestBody {
  // Milliseconds, as in Google's examples ("2021-02-26T19:13:55.749Z"); the emulator keeps no finer time.
  const publishTime = new Date(message.publishTime.getTime()).toISOString();
  const attributes = message.attributes ?? {};
  return {
    message: {
      ...(message.data.length > 0 ? { data: message.data.toString('base64') } : {}),
      ...(Object.keys(attributes).length > 0 ? { attributes: { ...attributes } } : {}),
      messageId: message.id,
      message_id: message.id,
      publishTime,
      publish_time: publishTime,
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    },
    subscription: subscriptionPath,
    deliveryAttempt,
  };
}
