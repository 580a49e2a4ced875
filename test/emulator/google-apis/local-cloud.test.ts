// The double as the local cloud runs it: its endpoints reach tests (inject) and functions
// (SLUICE_LOCAL_ENDPOINTS), and a Gmail watch publishes new mail to the Pub/Sub emulator.
import { google } from 'googleapis';
import { describe, expect, it } from 'vitest';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';
import { buildEml } from '../../../emulator/google-apis/fixtures/build-eml';
import { localEndpointsOf } from '../../../emulator/local-endpoints';
import { localCloud, pubsubFor, uniqueName, uniqueProjectId } from '../../support/local-cloud';

describe('the Google API double in the local cloud', () => {
  it('is on loopback and in SLUICE_LOCAL_ENDPOINTS', () => {
    const endpoints = localCloud();
    expect(new URL(endpoints.google.apiRoot).hostname).toBe('127.0.0.1');
    expect(localEndpointsOf(endpoints).google).toEqual({ apiRoot: endpoints.google.apiRoot, tokenUrl: endpoints.google.tokenUrl, authUrl: endpoints.google.authUrl });
  });

  it('publishes {emailAddress, historyId} to the watched topic when mail arrives', async () => {
    const endpoints = localCloud();
    const seed = new GoogleApiDoubleClient(endpoints.google);
    const projectId = uniqueProjectId('gmailpush');
    const pubsub = pubsubFor(projectId);
    const [topic] = await pubsub.createTopic(uniqueName('gmail-push'));
    const [subscription] = await topic.createSubscription(uniqueName('gmail-push-sub'));
    try {
      const user = `${uniqueName('push')}@example.com`;
      const auth = new google.auth.OAuth2();
      auth.setCredentials({ access_token: await seed.issueAccessToken({ principal: user, scopes: ['gmail.readonly'] }) });
      const gmail = google.gmail({ version: 'v1', auth, rootUrl: endpoints.google.apiRoot });
      await expect(gmail.users.watch({ userId: 'me', requestBody: { topicName: `projects/${projectId}/topics/missing` } })).rejects.toMatchObject({ status: 404 });
      await gmail.users.watch({ userId: 'me', requestBody: { topicName: topic.name, labelIds: ['INBOX'] } });
      const received = new Promise<unknown>((resolve) => subscription.once('message', (m: { data: Buffer; ack(): void }) => (m.ack(), resolve(JSON.parse(m.data.toString())))));
      await seed.insertMessage(user, await buildEml({ from: 'a@x.example', to: user, subject: 'Skipped: not in INBOX', text: 't' }), { labelIds: ['SPAM'] });
      const { historyId } = await seed.insertMessage(user, await buildEml({ from: 'a@x.example', to: user, subject: 'Hello', text: 't' }));
      expect(await received).toEqual({ emailAddress: user, historyId: Number(historyId) });
    } finally {
      await subscription.close();
      await subscription.delete();
      await topic.delete();
      await pubsub.close();
    }
  });
});
