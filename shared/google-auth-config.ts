// How a connector signs in to a Google Workspace API (Gmail, Drive). Plain data shared by the source
// and destination configs; the runtime part is functions/runtime/google-auth/.
import { z } from 'zod';
import { secretRef } from './config-primitives';

export const googleAuthSchema = z.discriminatedUnion('kind', [
  // A user's consent: an installed-app OAuth client and the refresh token `npm run auth` stored. The
  // refresh token secret is written back when Google rotates it.
  z.object({
    kind: z.literal('oauth'),
    clientId: secretRef,
    clientSecret: secretRef,
    refreshToken: secretRef,
  }).strict(),
  // A service account: its JSON key from a secret, or (no key) the function's own identity.
  // `subject`: domain-wide delegation, acting as that Workspace user (needs a key, or the
  // iam.serviceAccounts.signJwt permission on the function's own account).
  z.object({
    kind: z.literal('service-account'),
    key: secretRef.optional(),
    subject: z.string().email().optional(),
  }).strict(),
]);
export type GoogleAuthConfig = z.infer<typeof googleAuthSchema>;
