// The run a trigger belongs to, derived only from what survives dead-lettering: the trigger's payload
// and its original publish time. A redelivery resumes the same run, and so the notify stage, holding
// the dead-letter copy of a trigger (new message id, new publish time, the original publish time kept
// in the CloudPubSubDeadLetterSourceTopicPublishTime attribute), finds the run that trigger started
// and can end it.
//
// Precision: publish times are taken to the second. Pub/Sub gives a message's publishTime with
// sub-second digits, the dead-letter attribute carries it to the millisecond ("…:29.732+00:00"), and
// emulators have given whole seconds; the second is what all of them agree on. So two triggers with
// the same payload for the same pipeline published within the same second are one run: the same
// request made twice (a double click, a retried publish), which then behaves as a redelivery — each
// file is fetched once, by that one run — rather than a second run that finds nothing new.
//
// Push triggers (a source provider's notification, e.g. Gmail's users.watch) are taken to the minute
// instead: Gmail notifies on every change of the inbox (up to one a second, our own labelling
// included), and a burst of mail would otherwise make a run — and a report — per notification. All
// notifications published in one minute are one run. One arriving after that run has listed changes
// nothing (the redelivery rule below: the run only re-announces); its mail is fetched by the next
// minute's notification or the scheduled poll, which is why a push pipeline keeps its schedule.
import { createHash } from 'node:crypto';
import type { TriggerMessage } from '../../shared/messages';

export const DEAD_LETTER_PUBLISH_TIME = 'CloudPubSubDeadLetterSourceTopicPublishTime';

export interface TriggerDelivery {
  // The trigger's original publish time (RFC 3339), see triggerPublishTime.
  publishTime?: string;
}

export interface DeliveredMessage {
  messageId: string;
  publishTime?: string;
  attributes?: Record<string, string>;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

// yyyyMMddHHmmss in UTC, or undefined for a time that does not parse.
function compactUtcSecond(time: string): string | undefined {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

// The same, with the seconds zeroed for a push trigger (see above).
function runStamp(trigger: Pick<TriggerMessage, 'trigger'>, time: string): string | undefined {
  const second = compactUtcSecond(time);
  return second !== undefined && trigger.trigger === 'push' ? `${second.slice(0, 12)}00` : second;
}

// The publish time of the trigger as first published: on a dead-letter copy the attribute Pub/Sub
// sets, otherwise the message's own.
export function triggerPublishTime(message: { publishTime?: string; attributes?: Record<string, string> }): string | undefined {
  return message.attributes?.[DEAD_LETTER_PUBLISH_TIME] ?? message.publishTime;
}

// What of the payload names the request: the same fields give the same hash however the JSON was written.
function payloadHash(trigger: Pick<TriggerMessage, 'pipeline' | 'trigger' | 'date'>): string {
  const canonical = JSON.stringify([trigger.pipeline, trigger.trigger, trigger.date ?? null]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

// The run id for a trigger: its own when it names one, else `run-<publish second UTC>-<payload hash>`
// (a push trigger: the publish minute, seconds 00).
export function runIdForTrigger(trigger: Pick<TriggerMessage, 'runId' | 'pipeline' | 'trigger' | 'date'>, delivery: TriggerDelivery): string {
  if (trigger.runId) return trigger.runId;
  const stamp = delivery.publishTime ? runStamp(trigger, delivery.publishTime) : undefined;
  if (stamp === undefined) throw new RangeError(`cannot derive a run id: the trigger has no usable publish time (${delivery.publishTime ?? 'none'})`);
  const runId = `run-${stamp}-${payloadHash(trigger)}`;
  if (!RUN_ID.test(runId)) throw new RangeError(`cannot derive a run id from publish time "${delivery.publishTime}"`);
  return runId;
}

// The run id of a delivered trigger message, the original or its dead-letter copy alike.
// Pub/Sub always gives a publish time; a message without one (hand-made) falls back to its message id,
// a run a dead-letter copy could not name.
export function runIdFor(trigger: Pick<TriggerMessage, 'runId' | 'pipeline' | 'trigger' | 'date'>, message: DeliveredMessage): string {
  const publishTime = triggerPublishTime(message);
  if (trigger.runId || (publishTime !== undefined && compactUtcSecond(publishTime) !== undefined)) {
    return runIdForTrigger(trigger, publishTime !== undefined ? { publishTime } : {});
  }
  const runId = `run-${message.messageId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 100);
  if (!RUN_ID.test(runId)) throw new RangeError(`cannot derive a run id from message id "${message.messageId}"`);
  return runId;
}
