// Serves a stage as the HTTP endpoint of a Pub/Sub push subscription. Registered as an HTTP function
// rather than a CloudEvent one so that we, not the functions framework, answer Pub/Sub: 204 acks the
// message; 500 has it redelivered with the subscription's backoff. The stage function has already
// written the one JSON log line the outcome deserves; the framework's CloudEvent wrapper would add a
// plain-text stack trace on stderr for every retried message, which Cloud Logging files as an error.
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { PushEventLike } from './decode-push-event';

export const MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

// The push request body: { message: { data, attributes, messageId, publishTime }, subscription,
// deliveryAttempt } — kept whole as the event's data, which decodePushEvent reads.
export interface PushBody {
  message?: { messageId?: string; message_id?: string; [key: string]: unknown };
  subscription?: string;
  deliveryAttempt?: number;
}

export function pushEventOf(body: PushBody): PushEventLike & { type: string } {
  const id = body.message?.messageId ?? body.message?.message_id;
  return { ...(id ? { id } : {}), type: MESSAGE_PUBLISHED, data: body };
}

function isPushBody(body: unknown): body is PushBody {
  return typeof body === 'object' && body !== null && typeof (body as PushBody).message === 'object' && (body as PushBody).message !== null;
}

export function servePush(handle: (event: PushEventLike & { type: string }) => Promise<void>): HttpFunction {
  return (req, res) => {
    // Anything but a push request (a probe, a stray GET) is turned away before it reaches the stage,
    // which would otherwise dead-letter it as an invalid message.
    if (req.method !== 'POST') {
      res.status(405).set('Allow', 'POST').end();
      return;
    }
    if (!isPushBody(req.body)) {
      res.status(400).type('text/plain').send('expected a Pub/Sub push request (JSON with a "message" object)');
      return;
    }
    handle(pushEventOf(req.body)).then(
      () => res.status(204).end(),
      () => res.status(500).end(),
    );
  };
}
