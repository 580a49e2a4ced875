// POSTs one JSON message to a webhook URL (a Slack incoming webhook or anything speaking its format).
// The URL is a credential (whoever has it may post to the channel): it is never logged nor put in an
// error; failures name the HTTP status and the receiver's short reason only.
// Fate by status, as Slack documents its answers: 2xx delivered; 429 (rate limited, with Retry-After)
// and 5xx are transient (Pub/Sub redelivers); any other 4xx (400 invalid_payload, 403, 404 no_service
// or channel_not_found, 410 channel_is_archived) is permanent: the same request will never succeed,
// someone must fix the URL or the channel. A network failure or a timeout is transient.
import { PermanentError, TransientError } from '../../../../shared/errors';
import { redact } from '../../../../shared/redact';

const TIMEOUT_MS = 15_000;
// Enough of the answer to name Slack's reason ("invalid_payload", "no_service").
const REASON_MAX = 200;

export interface WebhookReceipt {
  status: number;
}

export function webhookFailure(status: number, body: string): Error {
  const reason = redact(body.trim().slice(0, REASON_MAX)).replace(/\s+/g, ' ');
  const message = `webhook answered HTTP ${status}${reason ? ` (${reason})` : ''}`;
  if (status === 429 || status >= 500) return new TransientError(message);
  return new PermanentError(`${message}; check the alerts.webhook.url secret and the channel it posts to`);
}

export async function postWebhook(url: string, body: unknown, options: { timeoutMs?: number } = {}): Promise<WebhookReceipt> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PermanentError('the alerts.webhook.url secret is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new PermanentError('the alerts.webhook.url secret is not an http(s) URL');
  let response: Response;
  try {
    response = await fetch(parsed, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS),
    });
  } catch (error) {
    // fetch's own message can quote the URL; only its kind is kept.
    const kind = error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : (error.cause as { code?: string } | undefined)?.code ?? error.name) : 'failed';
    throw new TransientError(`webhook request ${kind}`);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw webhookFailure(response.status, text);
  return { status: response.status };
}
