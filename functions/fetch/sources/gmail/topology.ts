// What the Gmail source needs from the cloud besides the stage functions: plain data (no runtime
// code), read by shared/topology.ts, so the local cloud and the Pulumi program declare the same.
//
// With `push`, Gmail's users.watch publishes a notification to a topic of ours whenever the inbox
// changes; its subscription pushes to the fetch function, which starts a run (the schedule stays the
// backstop). Gmail publishes as its own service account, which needs the publisher role on that
// topic. A watch lapses after 7 days; Google recommends renewing it daily, so a daily job asks the
// fetch function to call users.watch again (the `renew-watch` action of the connector).
import { z } from 'zod';
import type { SourceTopologyNeeds } from '../../../../shared/topology';
import type { GmailSource } from './config';

// https://developers.google.com/workspace/gmail/api/guides/push#grant_publish_rights_on_your_topic
export const GMAIL_PUSH_PUBLISHER = 'serviceAccount:gmail-api-push@system.gserviceaccount.com';
export const GMAIL_PUSH_TOPIC = 'gmail-push';
export const RENEW_WATCH_ACTION = 'renew-watch';

// What Gmail publishes on a change (the Pub/Sub message's data, base64 JSON): the mailbox and the
// history id after the change. historyId is documented as a string but sent as a JSON number too.
export const gmailPushNotificationSchema = z.object({
  emailAddress: z.string().min(1),
  historyId: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]),
}).strict();

export function gmailTopology(source: GmailSource): SourceTopologyNeeds {
  return {
    services: ['gmail.googleapis.com'],
    pushTopics: source.push
      ? [{ suffix: GMAIL_PUSH_TOPIC, publishers: [GMAIL_PUSH_PUBLISHER], purpose: 'Gmail users.watch notifications: a change in the inbox starts a fetch', notification: gmailPushNotificationSchema }]
      : [],
    actions: source.push
      ? [{
        suffix: 'gmail-watch',
        action: RENEW_WATCH_ACTION,
        topic: GMAIL_PUSH_TOPIC,
        // Daily, as Google recommends (a watch lasts 7 days), at a quiet hour.
        cron: '17 4 * * *',
        timeZone: 'Etc/UTC',
        description: 'Renews the Gmail watch (users.watch lapses after 7 days)',
      }]
      : [],
  };
}
