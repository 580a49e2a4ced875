// The attributes Pub/Sub sets on a message it dead-letters from a stage's push subscription: what
// notify's dead-letter handling reads to tell the stage and the attempts. One builder for every test
// that hands notify a dead letter.
import type { StageName } from '../../shared/stage-declaration';
import { pushSubscriptionName } from '../../shared/topology';

export function deadLetterAttributes(world: { projectId: string; prefix: string }, pipeline: string, stage: StageName, attempts: number): Record<string, string> {
  return {
    CloudPubSubDeadLetterSourceSubscription: `projects/${world.projectId}/subscriptions/${pushSubscriptionName(world.prefix, pipeline, stage)}`,
    CloudPubSubDeadLetterSourceDeliveryCount: String(attempts),
    CloudPubSubDeadLetterSourceSubscriptionProject: world.projectId,
  };
}
