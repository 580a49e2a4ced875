// One push request: POST the body to the endpoint and classify the answer. The subscription's ack
// deadline is the request timeout, as for Pub/Sub push ("for push delivery, this value is also used to
// set the request timeout"); an answer after it, even a 2xx, is never seen, so the attempt failed
// (Pub/Sub files it as deadline_exceeded).
import { isPushSuccess, PUSH_HEADERS, type PushRequestBody } from './push-request';

export type PushOutcome =
  | { ok: true; status: number; ms: number }
  | { ok: false; status?: number; reason: 'status' | 'deadline' | 'connection' | 'stopped'; detail: string; ms: number };

export async function postPush(endpoint: string, body: PushRequestBody, ackDeadlineMs: number, stop: AbortSignal): Promise<PushOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const deadline = AbortSignal.timeout(ackDeadlineMs);
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: PUSH_HEADERS,
      body: JSON.stringify(body),
      signal: AbortSignal.any([deadline, stop]),
    });
    // Read the answer whole, so the keep-alive connection is free for the next push.
    await response.arrayBuffer().catch(() => undefined);
    if (isPushSuccess(response.status)) return { ok: true, status: response.status, ms: ms() };
    return { ok: false, status: response.status, reason: 'status', detail: `answered ${response.status}`, ms: ms() };
  } catch (error) {
    if (stop.aborted) return { ok: false, reason: 'stopped', detail: 'dispatcher stopped', ms: ms() };
    if (deadline.aborted) return { ok: false, reason: 'deadline', detail: `no answer within the ack deadline (${ackDeadlineMs} ms)`, ms: ms() };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, reason: 'connection', detail: cause?.code ?? cause?.message ?? (error as Error).message, ms: ms() };
  }
}
