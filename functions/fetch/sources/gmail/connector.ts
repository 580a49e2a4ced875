// The Gmail source: a run's items are the attachments (and, when asked, whole messages) of the mail
// the rules match; finishing labels that mail and moves the history cursor (gmail-session.ts).
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1';
import { calendarDateIn } from '../../export-dates';
import { googleApiAccess } from '../../../runtime/google-auth/create-google-api-access';
import type { GoogleApiAccessFactory } from '../../../runtime/google-auth/google-api-access';
import type { SourceConnector, SourceProbeRuntime } from '../source-connector';
import type { GmailSource } from './config';
import { gmailCalls } from './gmail-errors';
import { GmailSession } from './gmail-session';

// Read mail and change its labels; nothing broader (no send, no delete).
export const GMAIL_SCOPES = ['https://www.googleapis.com/auth/gmail.modify'];

// The Gmail client a run lists with and a health probe reads the profile with: one way to sign in.
async function signIn(access: GoogleApiAccessFactory, source: GmailSource, runtime: SourceProbeRuntime) {
  const calls = gmailCalls(runtime.pipeline, source);
  const { auth, rootUrl } = await calls.call('signing in to Gmail', () => access({
    pipeline: runtime.pipeline,
    config: source.auth,
    scopes: GMAIL_SCOPES,
    secrets: runtime.secrets,
    localEndpoints: runtime.localEndpoints,
    firestore: runtime.firestore,
    logger: runtime.logger,
  }));
  // googleapis types `auth` as a union of concrete clients; any AuthClient of the same
  // google-auth-library (OAuth2Client, JWT for delegation) is what it calls.
  return { gmail: new gmail_v1.Gmail({ auth: auth as gmail_v1.Options['auth'], rootUrl }), calls };
}

export function createGmailConnector(access: GoogleApiAccessFactory = googleApiAccess): SourceConnector<GmailSource> {
  return {
    kind: 'gmail',
    // Mail has no export dates: the run is about the day it runs (or the trigger's date).
    windowOf: (_source, at) => [at.date ?? calendarDateIn(at.timeZone, at.now)],
    async connect(source, runtime) {
      const { gmail, calls } = await signIn(access, source, runtime);
      return new GmailSession({ gmail, user: source.user, calls }, source, runtime);
    },
    // Sign in and read the mailbox's profile: the token is good and the mailbox is there.
    async probe(source, runtime) {
      const { gmail, calls } = await signIn(access, source, runtime);
      await calls.call('reading the Gmail profile', () => gmail.users.getProfile({ userId: source.user }));
    },
  };
}

export const gmailConnector = createGmailConnector();
