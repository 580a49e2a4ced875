import type { PubSub, Topic } from '@google-cloud/pubsub';
import type { Logger } from '../../shared/logger';
import { createChaosPlanner, type NotificationChaosOptions } from './notify-chaos';
import { objectResource } from './resources';
import type { BucketRecord, ObjectEvent } from './types';

// Publishes Cloud Storage Pub/Sub notifications, attribute for attribute as GCS does, to the
// Pub/Sub emulator. Publishing is asynchronous (as in GCS) and never fails a storage request:
// a missing topic or an unreachable emulator is logged, not thrown.

export interface Notifier {
  onEvent(bucket: BucketRecord, event: ObjectEvent): void;
  /** Waits for every publish started so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface NotifierOptions {
  pubsubEmulatorHost?: string;
  logger: Logger;
  /** Base URL for selfLink/mediaLink in payloads (the emulator's own URL). */
  baseUrl: () => string;
  /** Seeded duplicate-and-reorder delivery (notify-chaos.ts); off when absent. */
  chaos?: NotificationChaosOptions;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { logger } = options;
  const clients = new Map<string, Promise<PubSub>>();
  const topics = new Map<string, Topic>();
  const pending = new Set<Promise<void>>();
  const plan = options.chaos ? createChaosPlanner(options.chaos) : undefined;
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const clientFor = (project: string): Promise<PubSub> => {
    let client = clients.get(project);
    if (!client) {
      // Loaded on first use: an emulator without notifications never pays for the gRPC stack.
      // A fixed universeDomain spares google-auth a GCE metadata-server probe (and its warning).
      client = import('@google-cloud/pubsub').then(
        ({ PubSub }) =>
          new PubSub({ projectId: project, apiEndpoint: options.pubsubEmulatorHost, emulatorMode: true, universeDomain: 'googleapis.com' }),
      );
      clients.set(project, client);
    }
    return client;
  };

  const publish = async (topicName: string, data: Buffer, attributes: Record<string, string>) => {
    const m = /^\/\/pubsub\.googleapis\.com\/projects\/([^/]+)\/topics\/([^/]+)$/.exec(topicName);
    if (!m) return;
    const path = `projects/${m[1]}/topics/${m[2]}`;
    let topic = topics.get(path);
    if (!topic) {
      topic = (await clientFor(m[1]!)).topic(path, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
      topics.set(path, topic);
    }
    await topic.publishMessage({ data, attributes });
  };

  return {
    onEvent(bucket, event) {
      for (const config of bucket.notifications) {
        if (config.eventTypes && !config.eventTypes.includes(event.type)) continue;
        if (config.objectNamePrefix && !event.object.name.startsWith(config.objectNamePrefix)) continue;
        const attributes: Record<string, string> = {
          ...(config.customAttributes ?? {}),
          notificationConfig: `projects/_/buckets/${bucket.name}/notificationConfigs/${config.id}`,
          eventType: event.type,
          payloadFormat: config.payloadFormat,
          bucketId: bucket.name,
          objectId: event.object.name,
          objectGeneration: event.object.generation,
          eventTime: event.time,
        };
        if (event.overwroteGeneration) attributes.overwroteGeneration = event.overwroteGeneration;
        if (event.overwrittenByGeneration) attributes.overwrittenByGeneration = event.overwrittenByGeneration;
        const data =
          config.payloadFormat === 'JSON_API_V1'
            ? Buffer.from(JSON.stringify(objectResource(event.object, options.baseUrl())))
            : Buffer.alloc(0);
        const fields = { bucket: bucket.name, object: event.object.name, eventType: event.type, topic: config.topic };
        if (!options.pubsubEmulatorHost) {
          logger.warn('gcs notification dropped: no Pub/Sub emulator configured', fields);
          continue;
        }
        const send = () =>
          publish(config.topic, data, attributes).then(
            () => logger.debug('gcs notification published', fields),
            (err: unknown) => logger.error('gcs notification not published', { ...fields, err }),
          );
        if (!plan) {
          track(send());
          continue;
        }
        const { delaysMs } = plan();
        logger.debug('gcs notification chaos', { ...fields, generation: event.object.generation, delaysMs });
        for (const delay of delaysMs) track(new Promise<void>((resolve) => setTimeout(resolve, delay)).then(send));
      }
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      await this.flush();
      for (const c of clients.values()) await (await c).close().catch(() => {});
      clients.clear();
      topics.clear();
    },
  };
}
