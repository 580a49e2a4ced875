// The OAuth scopes each Workspace connector kind signs in with, and which sign-ins a pipeline has:
// the runtime asks for these, and `npm run auth` asks the user to consent to them, so the two agree.
// gmail.modify: read messages and attachments, add/remove labels, users.watch (gmail.readonly
// cannot label). drive: upload into a folder the user picked by id; drive.file only reaches files
// the app created or the user opened with it (Google Picker), so it cannot see that folder.
import { secretRefsIn } from '../../../shared/config-primitives';
import type { Pipeline } from '../../../shared/pipeline-definition';
import type { OAuthGoogleAuth } from './google-auth-kinds';

export const GOOGLE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  gmail: ['https://www.googleapis.com/auth/gmail.modify'],
  drive: ['https://www.googleapis.com/auth/drive'],
};

export interface OAuthSignIn {
  auth: OAuthGoogleAuth;
  // Every scope the connectors sharing this refresh token need.
  scopes: string[];
  // Printable: "source gmail", "destination drive".
  usedBy: string[];
}

// One entry per refresh-token secret (a Gmail source and a Drive destination may share one).
export function oauthSignInsOf(pipeline: Pipeline): OAuthSignIn[] {
  const byToken = new Map<string, OAuthSignIn>();
  const parts: Array<[string, unknown]> = [['source', pipeline.source], ...((pipeline.destinations ?? []) as unknown[]).map((d): [string, unknown] => ['destination', d])];
  for (const [role, part] of parts) {
    const { kind, auth } = (part ?? {}) as { kind?: unknown; auth?: { kind?: unknown } };
    if (typeof kind !== 'string' || auth?.kind !== 'oauth') continue;
    const oauth = auth as OAuthGoogleAuth;
    const entry = byToken.get(oauth.refreshToken.secret) ?? { auth: oauth, scopes: [], usedBy: [] };
    for (const scope of GOOGLE_SCOPES[kind] ?? []) if (!entry.scopes.includes(scope)) entry.scopes.push(scope);
    entry.usedBy.push(`${role} ${kind}`);
    byToken.set(oauth.refreshToken.secret, entry);
  }
  return [...byToken.values()];
}

// The secrets a sign-in reads (client id and secret, refresh token).
export const secretsOfSignIn = (signIn: OAuthSignIn): string[] => secretRefsIn(signIn.auth).map((ref) => ref.secret);
