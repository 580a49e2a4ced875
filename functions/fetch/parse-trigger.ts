// A trigger message's data as the fetch stage accepts it; also what notify reads from a dead-lettered
// trigger to find its run (see run-id.ts).
import { InvalidMessageError } from '../../shared/errors';
import { parseMessage, triggerMessageSchema } from '../../shared/messages';
import type { TriggerMessage } from '../../shared/messages';

export function parseTrigger(data: Buffer): TriggerMessage {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidMessageError('invalid trigger message: data is not JSON');
  }
  return parseMessage(triggerMessageSchema, json, 'trigger');
}
