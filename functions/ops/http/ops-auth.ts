// Who is calling: a Google ID token verified with google-auth-library (signature against Google's
// certificates, issuer, expiry, audience = this function's URL), mapped to a role (caller-role.ts).
// Locally also the dev token `npm start` prints (SLUICE_OPS_DEV_TOKEN): principal `dev`, operator.
// Every failure is the same 401 to the caller; why is logged without the token.
import crypto from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import type { OpsDefinition } from '../../../shared/ops-definition';
import type { Logger } from '../../../shared/logger';
import { silentLogger } from '../../../shared/logger';
import type { Caller } from '../api-schemas';
import { HttpError } from './api-error';
import { roleOf } from './caller-role';

export interface OpsAuth {
  // The caller a token names; throws HttpError 'unauthenticated' (bad token) or 'forbidden'
  // (verified, but not a viewer).
  authenticate(token: string): Promise<Caller>;
}

export interface OpsAuthOptions {
  ops: Pick<OpsDefinition, 'viewers' | 'operators'>;
  // The audiences a token may be for: the function's URL(s). Empty: ID tokens are not accepted.
  audiences: readonly string[];
  // Where Google's signing certificates are (PEM, as https://www.googleapis.com/oauth2/v1/certs):
  // the Google API double's locally; Google's by default.
  certsUrl?: string;
  // Local cloud only: the dev token. Never set in the cloud (ops-runtime.ts refuses it there).
  devToken?: string;
  client?: OAuth2Client;
  logger?: Logger;
}

export const DEV_PRINCIPAL = 'dev';

const digest = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest();

// Constant-time: the digests have the same length whatever the token's.
function sameToken(given: string, expected: string): boolean {
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

export function createOpsAuth(options: OpsAuthOptions): OpsAuth {
  const client = options.client ?? new OAuth2Client(options.certsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl } } : {});
  const logger = options.logger ?? silentLogger;
  const unauthenticated = () => new HttpError('unauthenticated', 'The token is missing, expired or not valid for this API.', undefined, { 'www-authenticate': 'Bearer' });
  return {
    async authenticate(token) {
      if (options.devToken && sameToken(token, options.devToken)) return { principal: DEV_PRINCIPAL, role: 'operator' };
      if (options.audiences.length === 0 || !looksLikeJwt(token)) throw unauthenticated();
      let payload;
      try {
        const ticket = await client.verifyIdToken({ idToken: token, audience: [...options.audiences] });
        payload = ticket.getPayload();
      } catch (error) {
        // The library's messages quote the token; only its first words are worth logging.
        const reason = error instanceof Error ? error.message.split(/[:,]/)[0] : 'unknown';
        logger.info('ops api: ID token refused', { reason });
        throw unauthenticated();
      }
      if (!payload?.email || payload.email_verified === false) {
        logger.info('ops api: ID token without a verified email refused', {});
        throw unauthenticated();
      }
      const caller = roleOf({ email: payload.email, ...(payload.hd ? { hostedDomain: payload.hd } : {}) }, options.ops);
      if (!caller) throw new HttpError('forbidden', `${payload.email} is neither a viewer nor an operator of these pipelines (pipelines/ops.ts).`);
      return caller;
    },
  };
}
