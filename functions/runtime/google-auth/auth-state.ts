// Remembers a refresh token Google refused (invalid_grant) so that, for the next hour, runs of the
// pipeline fail at once with the same ReauthorizationRequiredError instead of asking Google again
// (each ask is another failed sign-in on the user's account and another alert-worthy retry).
// One document per secret, `sluice-auth-state/<secret name>`. It keeps a SHA-256 of the refused
// token, never the token: a new value in the secret (someone ran `npm run auth`, or pasted a token)
// is tried at once. `npm run auth` deletes the document.
import { createHash } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';

export const AUTH_STATE_COLLECTION = 'sluice-auth-state';
export const REFUSED_TOKEN_QUIET_MS = 60 * 60 * 1000;

export interface RefusedToken {
  at: Date;
  pipeline: string;
}

export interface AuthState {
  // The refusal still in force for this secret's current value, if any.
  refusal(secret: string, token: string): Promise<RefusedToken | undefined>;
  remember(secret: string, token: string, pipeline: string): Promise<void>;
  clear(secret: string): Promise<void>;
}

export const tokenFingerprint = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

interface StoredRefusal {
  at: { toDate(): Date } | Date;
  pipeline: string;
  tokenSha256: string;
}

export function createAuthState(firestore: Firestore, now: () => number = Date.now): AuthState {
  const doc = (secret: string) => firestore.collection(AUTH_STATE_COLLECTION).doc(secret);
  return {
    async refusal(secret, token) {
      const snapshot = await doc(secret).get();
      if (!snapshot.exists) return undefined;
      const stored = snapshot.data() as StoredRefusal;
      const at = stored.at instanceof Date ? stored.at : stored.at.toDate();
      if (stored.tokenSha256 !== tokenFingerprint(token)) return undefined;
      if (now() - at.getTime() >= REFUSED_TOKEN_QUIET_MS) return undefined;
      return { at, pipeline: stored.pipeline };
    },
    async remember(secret, token, pipeline) {
      await doc(secret).set({ at: new Date(now()), pipeline, tokenSha256: tokenFingerprint(token) });
    },
    async clear(secret) {
      await doc(secret).delete();
    },
  };
}
