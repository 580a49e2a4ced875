// Wraps a stage handler as the function the functions framework serves. The error's kind decides the
// message's fate: invalid or otherwise permanent → recorded, sent to the stage's dead-letter topic with
// the reason, acknowledged; anything else → thrown, so the framework answers 500 and Pub/Sub redelivers
// with backoff until the subscription's max delivery attempts move it to the dead-letter topic.
import { errorMessage, isInvalidMessage, isPermanent } from '../../shared/errors';
import { redact } from '../../shared/redact';
import { deadLetterTopicName } from '../../shared/topology';
import { DEAD_LETTER_PUBLISH_TIME } from '../fetch/run-id';
import type { StageHandler } from './context';
import { decodePushEvent, type PushEventLike } from './decode-push-event';
import type { StageResources } from './stage-context';

export function createStageFunction(resources: StageResources, handler: StageHandler): (event: PushEventLike) => Promise<void> {
  const { pipeline, stage, prefix, clients, logger: baseLogger } = resources.options;
  const stageLogger = baseLogger.child({ pipeline: pipeline.name, stage: stage.name });

  async function deadLetter(event: PushEventLike, reason: string): Promise<void> {
    const topic = clients.pubsub.topic(deadLetterTopicName(prefix, pipeline.name, stage.name));
    let data: Buffer = Buffer.alloc(0);
    let attributes: Record<string, string> = {};
    try {
      const decoded = decodePushEvent(event);
      data = decoded.data;
      // The original publish time, as Pub/Sub's own dead-lettering keeps it: a trigger's run id is
      // derived from it (functions/fetch/run-id.ts), so notify can find the run.
      attributes = { ...decoded.attributes, ...(decoded.publishTime ? { [DEAD_LETTER_PUBLISH_TIME]: decoded.publishTime } : {}) };
    } catch {
      data = Buffer.from(JSON.stringify(event.data ?? null));
    }
    await topic.publishMessage({
      data,
      attributes: { ...attributes, sluiceError: redact(reason).slice(0, 1024), sluiceSourceStage: stage.name, sluiceSourceMessageId: event.id ?? '' },
    });
  }

  return async (event: PushEventLike) => {
    const started = Date.now();
    let logger = stageLogger.child({ messageId: event.id });
    try {
      const message = decodePushEvent(event);
      const runId = message.attributes.runId;
      logger = stageLogger.child({ messageId: message.messageId, ...(runId ? { runId } : {}) });
      logger.debug('message received', { deliveryAttempt: message.deliveryAttempt });
      await handler(resources.contextFor(message.messageId, logger), message);
      logger.info('message handled', { ms: Date.now() - started });
    } catch (error) {
      const reason = errorMessage(error);
      if (isPermanent(error)) {
        // The handler quarantines files it can name; what reaches here could not be tied to a file,
        // so it goes to the dead-letter topic where notify alerts on it.
        try {
          await deadLetter(event, reason);
        } catch (publishError) {
          // Not lost: the caller answers 500 and Pub/Sub delivers the message again.
          logger.warn('permanent failure, dead-lettering failed, will be retried', { error: reason, deadLetterError: errorMessage(publishError) });
          throw publishError;
        }
        logger.error(isInvalidMessage(error) ? 'invalid message, dead-lettered' : 'permanent failure, dead-lettered', { error: reason });
        return;
      }
      logger.warn('transient failure, will be retried', { error: reason, ms: Date.now() - started });
      throw error;
    }
  };
}
