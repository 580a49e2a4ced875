// Gmail push: when mail arrives in a mailbox with a users.watch, publish what Gmail publishes,
// `{"emailAddress","historyId"}` as the message data, to the watch's topic on the Pub/Sub
// emulator. Without a Pub/Sub host the watch is only recorded (seed API shows it).
import type { PubSub, Topic } from '@google-cloud/pubsub';
import type { Logger } from '../../shared/logger';
import type { GmailState } from './gmail-state';

export interface WatchPublisher {
  /** True when the topic exists on the Pub/Sub emulator (users.watch checks it, as Gmail does). */
  topicExists(topicName: string): Promise<boolean>;
  /** Waits for publishes under way (stop). */
  flush(): Promise<void>;
}

export function attachWatchPublisher(gmail: GmailState, pubsubEmulatorHost: string, logger: Logger): WatchPublisher {
  const clients = new Map<string, Promise<PubSub>>();
  const topics = new Map<string, Topic>();
  const pending = new Set<Promise<void>>();

  const clientFor = (project: string): Promise<PubSub> => {
    let client = clients.get(project);
    if (!client) {
      // Loaded on first use; a fixed universeDomain spares google-auth a metadata-server probe.
      client = import('@google-cloud/pubsub').then(({ PubSub }) => new PubSub({ projectId: project, apiEndpoint: pubsubEmulatorHost, emulatorMode: true, universeDomain: 'googleapis.com' }));
      clients.set(project, client);
    }
    return client;
  };
  const topicOf = async (topicName: string): Promise<Topic> => {
    let topic = topics.get(topicName);
    if (!topic) {
      const project = /^projects\/([^/]+)\//.exec(topicName)?.[1] ?? '';
      topic = (await clientFor(project)).topic(topicName, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
      topics.set(topicName, topic);
    }
    return topic;
  };

  gmail.onMessageAdded((box, message) => {
    if (!box.watch || !box.watchCovers(message)) return;
    const topicName = box.watch.topicName;
    const data = Buffer.from(JSON.stringify({ emailAddress: box.email, historyId: message.historyId }));
    const publish = topicOf(topicName)
      .then((topic) => topic.publishMessage({ data }))
      .then(
        () => undefined,
        (error: unknown) => logger.warn('gmail push not published', { topicName, error }),
      );
    pending.add(publish);
    void publish.finally(() => pending.delete(publish));
  });

  return {
    async topicExists(topicName) {
      const [exists] = await (await topicOf(topicName)).exists();
      return exists;
    },
    async flush() {
      await Promise.all(pending);
      await Promise.all([...clients.values()].map(async (client) => (await client).close()));
    },
  };
}
