// What arrives on the fetch function, as the fetch stage accepts it: a trigger (a run), a source
// action (work for the source that is not a run, e.g. renewing Gmail's watch), or a source
// provider's own notification (Gmail's `{"emailAddress","historyId"}` from users.watch), which
// becomes a trigger with trigger 'push'. A notification is told apart by its shape — it has no
// `type`, and the pipeline's source declares what it looks like (its topology.ts) — since the
// provider publishes it and we cannot add an attribute. Notify reads a dead-lettered trigger with
// parseTrigger too, to find its run (see run-id.ts).
import { InvalidMessageError } from '../../shared/errors';
import { parseMessage, sourceActionMessageSchema, triggerMessageSchema } from '../../shared/messages';
import type { SourceActionMessage, TriggerMessage } from '../../shared/messages';
import type { Pipeline } from '../../shared/pipeline-definition';
import { sourceTopologyOf } from './sources/source-topologies';

export type FetchMessage =
  | { kind: 'run'; trigger: TriggerMessage }
  | { kind: 'action'; action: SourceActionMessage };

type PipelineSource = Pick<Pipeline, 'name' | 'source'>;

function jsonOf(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidMessageError('invalid trigger message: data is not JSON');
  }
}

// A provider notification for this pipeline's source, as the trigger it stands for; undefined when
// the data is not one. Carries nothing of the notification: the source keeps its own cursor.
function pushTriggerOf(json: unknown, pipeline: PipelineSource | undefined): TriggerMessage | undefined {
  if (!pipeline || json === null || typeof json !== 'object' || Array.isArray(json) || 'type' in json) return undefined;
  const recognised = sourceTopologyOf(pipeline.source).pushTopics.some((topic) => topic.notification.safeParse(json).success);
  return recognised ? { v: 1, type: 'sluice.trigger', pipeline: pipeline.name, trigger: 'push' } : undefined;
}

// The trigger a message stands for. Without `pipeline` only Sluice's own trigger messages are read.
export function parseTrigger(data: Buffer, pipeline?: PipelineSource): TriggerMessage {
  const json = jsonOf(data);
  return pushTriggerOf(json, pipeline) ?? parseMessage(triggerMessageSchema, json, 'trigger');
}

export function parseFetchMessage(data: Buffer, pipeline: PipelineSource): FetchMessage {
  const json = jsonOf(data);
  if (json !== null && typeof json === 'object' && (json as { type?: unknown }).type === 'sluice.source-action') {
    return { kind: 'action', action: parseMessage(sourceActionMessageSchema, json, 'source action') };
  }
  return { kind: 'run', trigger: pushTriggerOf(json, pipeline) ?? parseMessage(triggerMessageSchema, json, 'trigger') };
}
