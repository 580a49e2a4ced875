// Publishes a message to one stage's topic of a pipeline, with the attributes the stages' own
// publisher sets (functions/runtime/stage-context.ts topicPublisher): the ops function is not a stage.
import { encodeMessage, type StageMessage } from '../../../shared/messages';
import type { StageName } from '../../../shared/stage-declaration';
import { topicName } from '../../../shared/topology';
import type { OpsDeps } from '../ops-deps';

export async function publishToStage(deps: Pick<OpsDeps, 'pubsub' | 'prefix'>, pipeline: string, stage: StageName, message: StageMessage): Promise<string> {
  const attributes: Record<string, string> = { pipeline };
  if ('type' in message) attributes.sluiceType = message.type;
  if ('runId' in message && message.runId) attributes.runId = message.runId;
  return deps.pubsub.topic(topicName(deps.prefix, pipeline, stage)).publishMessage({ data: encodeMessage(message), attributes });
}

// Tells notify a run ended (it sends what the run's end owes: a cancelled run's notice).
export async function announceRunComplete(deps: Pick<OpsDeps, 'pubsub' | 'prefix'>, pipeline: string, runId: string): Promise<void> {
  await publishToStage(deps, pipeline, 'notify', { v: 1, type: 'sluice.run-complete', pipeline, runId });
}
