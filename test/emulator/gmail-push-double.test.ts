// Gmail push end to end on the local cloud, against the local Google API double: the renewal job
// reaches the deployed fetch handler, which signs in with the pipeline's OAuth secrets (the double's
// token endpoint) and calls users.watch on the local push topic through the real googleapis client;
// mail arriving in the watched inbox then makes the double publish Gmail's notification to that
// topic, which reaches fetch as a push trigger. (The run itself belongs to the Gmail connector: here
// fetch's run path only records the trigger it was given.)
import { gmailPushPipeline } from '../support/gmail-push-pipeline';
import { waitFor } from '../support/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployPipelines, type LocalDeployment } from '../../emulator/deploy-pipelines';
import { GoogleApiDoubleClient } from '../../emulator/google-apis/double-client';
import { buildEml } from '../../emulator/google-apis/fixtures/build-eml';
import { parseFetchMessage } from '../../functions/fetch/parse-trigger';
import { runIdFor } from '../../functions/fetch/run-id';
import { handlers } from '../../functions/handlers';
import { silentLogger } from '../../shared/logger';
import type { TriggerMessage } from '../../shared/messages';
import { localCloud, uniqueName, uniqueProjectId } from '../support/local-cloud';

const endpoints = localCloud();
const projectId = uniqueProjectId('gmailwatch');
const user = `${uniqueName('finance')}@example.com`;
const clientId = `${uniqueName('client')}.apps.googleusercontent.com`;
const clientSecret = uniqueName('secret');
const double = new GoogleApiDoubleClient(endpoints.google);
const pipeline = gmailPushPipeline();
const topicName = `projects/${projectId}/topics/sluice-vendor-mail-gmail-push`;
const pushes: Array<{ trigger: TriggerMessage; runId: string }> = [];
let deployment: LocalDeployment;

beforeAll(async () => {
  await double.registerOAuthClient({ clientId, clientSecret });
  const refreshToken = await double.issueRefreshToken({ clientId, user, scopes: ['gmail.modify'] });
  deployment = await deployPipelines({
    endpoints,
    pipelines: [pipeline],
    handlers: {
      ...handlers,
      // Source actions go to the deployed fetch handler as they are; a run's trigger is only recorded.
      fetch: async (ctx, message) => {
        const received = parseFetchMessage(message.data, ctx.pipeline);
        if (received.kind === 'run') {
          pushes.push({ trigger: received.trigger, runId: runIdFor(received.trigger, message) });
          return;
        }
        await handlers.fetch(ctx, message);
      },
    },
    projectId,
    secrets: { 'gm-client-id': clientId, 'gm-client-secret': clientSecret, 'gm-refresh-token': refreshToken, 'db-url': 'postgres://unused', 'smtp-url': `smtp://${endpoints.smtp.host}:${endpoints.smtp.port}` },
    backoffOverride: { minSeconds: 1, maxSeconds: 2 },
    logger: silentLogger,
  });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

describe('Gmail push against the local Google API double', () => {
  it('renews the watch on the local push topic, signed in with the pipeline OAuth secrets', async () => {
    await deployment.scheduler.fire('sluice-vendor-mail-gmail-watch');
    await waitFor('the watch', async () => (await double.mailbox(user)).watch !== null);
    const { watch } = await double.mailbox(user);
    expect(watch).toMatchObject({ topicName, labelIds: ['INBOX'], labelFilterBehavior: 'include' });
    expect(watch!.expiration).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it('starts fetch with a push trigger when mail arrives in the watched inbox', async () => {
    const eml = await buildEml({ from: 'billing@vendor.example', to: user, subject: 'Prices', attachments: [{ filename: 'prices.csv', contentType: 'text/csv', content: 'sku,price\nA,1\n' }] });
    await double.insertMessage(user, eml, { labelIds: ['INBOX'] });
    await waitFor('a push at fetch', () => pushes.length > 0);
    expect(pushes[0]!.trigger).toEqual({ v: 1, type: 'sluice.trigger', pipeline: 'vendor-mail', trigger: 'push' });
    expect(pushes[0]!.runId).toMatch(/^run-\d{12}00-[0-9a-f]{16}$/);
  });
});
