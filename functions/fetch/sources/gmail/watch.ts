// Gmail push: users.watch tells Gmail to publish a notification to our push topic whenever the
// inbox changes (topology.ts declares the topic, Gmail's publisher grant and the daily job that runs
// this). A watch lapses after 7 days and Google recommends calling watch again daily; calling it on
// a live watch just renews it, so the action is idempotent and a redelivery is harmless.
// https://developers.google.com/workspace/gmail/api/guides/push
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import { PermanentError, isPermanent } from '../../../../shared/errors';
import type { GoogleApiAccessFactory } from '../../../runtime/google-auth/google-api-access';
import { classifyGoogleError } from '../../../runtime/google-auth/google-api-errors';
import { GOOGLE_SCOPES } from '../../../runtime/google-auth/google-scopes';
import { isReauthorizationRequired } from '../../../runtime/google-auth/reauthorization-required-error';
import type { SourceAction, SourceActionRuntime } from '../source-connector';
import type { GmailSource } from './config';
import { GMAIL_PUSH_PUBLISHER, RENEW_WATCH_ACTION } from './topology';

export interface WatchRenewal {
  historyId: string;
  // When the watch lapses unless renewed again (ISO time).
  expiresAt: string;
}

// A new error for a failed watch call, by the one Google classifier (a GaxiosError carries its
// request config, Authorization header included, so it is never passed on). A refusal no retry can
// help (400/403 that is not a rate limit, 404) gets the usual cause and its fix added; a dead refresh
// token stays the typed re-authorisation error.
function watchError(error: unknown, source: GmailSource, pipeline: string, topic: string): Error {
  const classified = classifyGoogleError(error, {
    pipeline,
    doing: `Gmail users.watch on ${topic}`,
    ...(source.auth.kind === 'oauth' ? { refreshTokenSecret: source.auth.refreshToken.secret, clientSecrets: [source.auth.clientId.secret, source.auth.clientSecret.secret] } : {}),
  });
  if (!isPermanent(classified) || isReauthorizationRequired(classified)) return classified;
  return new PermanentError(`${classified.message}. The topic must exist in the project of the OAuth client (or service account) and grant roles/pubsub.publisher to ${GMAIL_PUSH_PUBLISHER.slice('serviceAccount:'.length)}; the Pulumi program declares both`);
}

export async function renewWatch(source: GmailSource, runtime: SourceActionRuntime, access: GoogleApiAccessFactory): Promise<WatchRenewal> {
  const topic = runtime.topic;
  if (!source.push || topic === undefined) {
    throw new PermanentError(`pipeline "${runtime.pipeline}": renewing the Gmail watch needs a source with push: true and the push topic in the action (got ${topic ?? 'none'})`);
  }
  const api = await access({
    pipeline: runtime.pipeline,
    config: source.auth,
    // The Gmail source's scope: one consent covers runs and the watch.
    scopes: [...GOOGLE_SCOPES.gmail!],
    secrets: runtime.secrets,
    localEndpoints: runtime.localEndpoints,
    firestore: runtime.firestore,
    logger: runtime.logger,
  });
  // googleapis types `auth` as a union of concrete clients; any AuthClient of the same
  // google-auth-library is what it calls.
  const gmail = new gmail_v1.Gmail({ auth: api.auth as gmail_v1.Options['auth'], rootUrl: api.rootUrl });
  let response: gmail_v1.Schema$WatchResponse;
  try {
    // Only changes to mail in the inbox: our own relabelling of processed mail (INBOX removed) is
    // one such change, which a run in the same minute absorbs (run-id.ts).
    ({ data: response } = await gmail.users.watch({
      userId: source.user,
      requestBody: { topicName: topic, labelIds: ['INBOX'], labelFilterBehavior: 'include' },
    }));
  } catch (error) {
    throw watchError(error, source, runtime.pipeline, topic);
  }
  const expiration = Number(response.expiration);
  const renewal: WatchRenewal = {
    historyId: String(response.historyId ?? ''),
    expiresAt: Number.isFinite(expiration) && expiration > 0 ? new Date(expiration).toISOString() : 'unknown',
  };
  runtime.logger.info('gmail watch renewed', { topic, historyId: renewal.historyId, expiresAt: renewal.expiresAt, signIn: api.describe });
  return renewal;
}

// The Gmail connector's actions (SourceConnector.actions), given the sign-in it uses.
export function gmailActions(access: GoogleApiAccessFactory): Readonly<Record<string, SourceAction<GmailSource>>> {
  return {
    [RENEW_WATCH_ACTION]: async (source, runtime) => {
      await renewWatch(source, runtime, access);
    },
  };
}
