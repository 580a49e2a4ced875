// Gmail push: users.watch tells Gmail to publish a notification to our push topic whenever the
// inbox changes (topology.ts declares the topic, Gmail's publisher grant and the daily job that runs
// this). A watch lapses after 7 days and Google recommends calling watch again daily; calling it on
// a live watch just renews it, so the action is idempotent and a redelivery is harmless.
// https://developers.google.com/workspace/gmail/api/guides/push
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import { PermanentError, TransientError, errorMessage, isPermanent } from '../../../../shared/errors';
import { redact } from '../../../../shared/redact';
import type { GoogleApiAccessFactory } from '../../../runtime/google-auth/google-api-access';
import type { SourceAction, SourceActionRuntime } from '../source-connector';
import type { GmailSource } from './config';
import { GMAIL_PUSH_PUBLISHER, RENEW_WATCH_ACTION } from './topology';

// The scope the Gmail source signs in with (connector.ts): one consent covers runs and the watch.
const WATCH_SCOPES = ['https://www.googleapis.com/auth/gmail.modify'];

export interface WatchRenewal {
  historyId: string;
  // When the watch lapses unless renewed again (ISO time).
  expiresAt: string;
}

function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; response?: { status?: unknown } } | null;
  const status = e?.response?.status ?? e?.status;
  return typeof status === 'number' ? status : undefined;
}

// A new error with Google's words (scrubbed), never the client's error as `cause`: a GaxiosError
// carries its request config, Authorization header included.
function watchError(error: unknown, topic: string): Error {
  if (isPermanent(error) || error instanceof TransientError) return error as Error;
  const status = statusOf(error);
  const detail = `Gmail users.watch on ${topic} failed (${status ?? 'no response'}): ${redact(errorMessage(error))}`;
  // 400/403: the topic is missing, in another project than the OAuth client, or Gmail may not publish
  // to it; 404: no such mailbox. No retry helps; 429, 5xx and sockets may heal.
  if (status === 400 || status === 403 || status === 404) {
    return new PermanentError(`${detail}. The topic must exist in the project of the OAuth client (or service account) and grant roles/pubsub.publisher to ${GMAIL_PUSH_PUBLISHER.slice('serviceAccount:'.length)}; the Pulumi program declares both`);
  }
  return new TransientError(detail);
}

export async function renewWatch(source: GmailSource, runtime: SourceActionRuntime, access: GoogleApiAccessFactory): Promise<WatchRenewal> {
  const topic = runtime.topic;
  if (!source.push || topic === undefined) {
    throw new PermanentError(`pipeline "${runtime.pipeline}": renewing the Gmail watch needs a source with push: true and the push topic in the action (got ${topic ?? 'none'})`);
  }
  const api = await access({
    pipeline: runtime.pipeline,
    config: source.auth,
    scopes: WATCH_SCOPES,
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
    throw watchError(error, topic);
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
