// Turns a Pub/Sub push request (as an event whose data is the push body, see serve-push.ts; the
// same shape as the framework's google.cloud.pubsub.topic.v1.messagePublished CloudEvent) back into
// the message that was published.
import { InvalidMessageError } from '../../shared/errors';
import type { IncomingMessage } from './context';

interface PushedMessage {
  data?: string;
  attributes?: Record<string, string>;
  messageId?: string;
  message_id?: string;
  publishTime?: string;
  publish_time?: string;
}

export interface PushEventLike {
  id?: string;
  type?: string;
  data?: unknown;
}

export function decodePushEvent(event: PushEventLike): IncomingMessage {
  const body = (event.data ?? {}) as { message?: PushedMessage; deliveryAttempt?: number; subscription?: string };
  const message = body.message;
  if (!message || typeof message !== 'object') {
    throw new InvalidMessageError(`event ${event.id ?? '(no id)'} of type ${event.type ?? '(none)'} carries no Pub/Sub message`);
  }
  const messageId = message.messageId ?? message.message_id ?? event.id;
  if (!messageId) throw new InvalidMessageError('Pub/Sub message without a message id');
  const publishTime = message.publishTime ?? message.publish_time;
  return {
    messageId,
    ...(publishTime ? { publishTime } : {}),
    attributes: message.attributes ?? {},
    data: Buffer.from(message.data ?? '', 'base64'),
    ...(typeof body.deliveryAttempt === 'number' ? { deliveryAttempt: body.deliveryAttempt } : {}),
  };
}

// Parses a message's data as JSON, or says it is not.
export function messageJson(message: IncomingMessage): unknown {
  try {
    return JSON.parse(message.data.toString('utf8'));
  } catch {
    throw new InvalidMessageError(`message ${message.messageId} is not JSON`);
  }
}
