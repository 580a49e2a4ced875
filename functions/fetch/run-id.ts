// The run a trigger belongs to. A redelivered Pub/Sub message keeps its message id and publish time,
// so deriving the run id from them makes a redelivery resume the same run, while a second trigger
// (a new message) starts a new one.
import type { TriggerMessage } from '../../shared/messages';

export interface DeliveredMessage {
  messageId: string;
  publishTime?: string;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

function compactUtc(time: string): string | undefined {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // yyyyMMddHHmmss
}

export function runIdFor(trigger: Pick<TriggerMessage, 'runId'>, message: DeliveredMessage): string {
  if (trigger.runId) return trigger.runId;
  // Message ids are decimal in Pub/Sub; anything else is made safe for a document id.
  const id = message.messageId.replace(/[^A-Za-z0-9_-]/g, '-');
  const stamp = message.publishTime ? compactUtc(message.publishTime) : undefined;
  const runId = (stamp ? `run-${stamp}-${id}` : `run-${id}`).slice(0, 100);
  if (!RUN_ID.test(runId)) throw new RangeError(`cannot derive a run id from message id "${message.messageId}"`);
  return runId;
}
