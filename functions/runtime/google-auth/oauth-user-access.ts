// Sign-in with a user's consent: the OAuth client id/secret and the refresh token `npm run auth`
// stored, all named secrets. google-auth-library's OAuth2Client does the refreshing (5 minutes before
// expiry, and once more after a 401); this file adds what keeps it working for months:
//  - a refresh token Google rotates is written back to its secret (secrets.rotate), so the next run
//    does not start from one Google has retired;
//  - every token the client receives is registered with the redactor before anything can quote it;
//  - an invalid_grant becomes ReauthorizationRequiredError and is remembered for an hour (auth-state.ts).
import type { Credentials } from 'google-auth-library';
import type { OAuthGoogleAuth } from './google-auth-kinds';
import type { GoogleApiAccess, GoogleApiAccessOptions } from './google-api-access';
import { classifyGoogleError } from './google-api-errors';
import type { GoogleEndpoints } from './google-endpoints';
import { RefreshWatchedOAuth2Client } from './refresh-watch';
import { ReauthorizationRequiredError, isReauthorizationRequired } from './reauthorization-required-error';
import type { AuthState } from './auth-state';
import { processRedactor } from '../../../shared/redact';

// google-auth-library's default too; said here because the whole design leans on it.
export const EAGER_REFRESH_MS = 5 * 60 * 1000;

export async function oauthUserAccess(
  options: GoogleApiAccessOptions,
  config: OAuthGoogleAuth,
  endpoints: GoogleEndpoints,
  authState: AuthState | undefined,
): Promise<GoogleApiAccess> {
  const { pipeline, secrets, logger } = options;
  const redactor = options.redactor ?? processRedactor;
  const secretName = config.refreshToken.secret;
  const [clientId, clientSecret, storedToken] = await Promise.all([
    secrets.read(config.clientId.secret),
    secrets.read(config.clientSecret.secret),
    secrets.read(secretName),
  ]);
  // The token the client is using now (a rotation replaces it), for the auth-state fingerprint.
  let currentToken = storedToken;

  if (authState) {
    const refusal = await authState.refusal(secretName, storedToken).catch((error: unknown) => {
      // The memory is an optimisation: without it the refresh below asks Google, which answers the same.
      logger.warn('could not read the sign-in state; asking Google', { secret: secretName, error });
      return undefined;
    });
    if (refusal) {
      throw new ReauthorizationRequiredError({ pipeline, secret: secretName, said: `refused at ${refusal.at.toISOString()}, not asked again within the hour` });
    }
  }

  const client = new RefreshWatchedOAuth2Client(
    {
      clientId,
      clientSecret,
      endpoints: { oauth2TokenUrl: endpoints.tokenUrl, oauth2AuthBaseUrl: endpoints.authUrl, tokenInfoUrl: endpoints.tokenInfoUrl },
      eagerRefreshThresholdMillis: EAGER_REFRESH_MS,
      // A 401 on an API call refreshes and retries once even when the token looked unexpired (a
      // revoked access token, clock skew); a second 401 is classified transient.
      forceRefreshOnFailure: true,
    },
    async (error) => {
      const classified = classifyGoogleError(error, {
        pipeline,
        doing: 'refreshing the Google access token',
        refreshTokenSecret: secretName,
        clientSecrets: [config.clientId.secret, config.clientSecret.secret],
      });
      if (isReauthorizationRequired(classified) && authState) {
        await authState.remember(secretName, currentToken, pipeline).catch((stateError: unknown) => {
          logger.warn('could not remember the refused refresh token', { secret: secretName, error: stateError });
        });
      }
      return classified;
    },
  );
  client.setCredentials({ refresh_token: storedToken });

  // Rotations are written one after the other, in the order Google issued them.
  let writing: Promise<void> = Promise.resolve();
  client.on('tokens', (tokens: Credentials) => {
    for (const token of [tokens.access_token, tokens.id_token, tokens.refresh_token]) if (token) redactor.addSecret(token);
    const rotated = tokens.refresh_token;
    if (!rotated || rotated === currentToken) return;
    currentToken = rotated;
    // The library copies the old refresh token over the new one right after this event; setting it
    // on the live credentials makes the next refresh use the new token.
    client.credentials.refresh_token = rotated;
    if (!secrets.rotate) {
      logger.warn('Google rotated the refresh token but this stage cannot write secrets; the stored one may stop working', { pipeline, secret: secretName });
      return;
    }
    const rotate = secrets.rotate.bind(secrets);
    writing = writing.then(
      () => rotate(secretName, rotated).then(
        () => logger.info('stored the refresh token Google rotated', { pipeline, secret: secretName }),
        (error: unknown) => logger.error('could not store the refresh token Google rotated; sign in again if the next run fails', { pipeline, secret: secretName, error }),
      ),
    );
  });

  // Signing in now makes a dead token fail here, once, before any connector work starts.
  await client.getAccessToken();
  return {
    auth: client,
    rootUrl: endpoints.apiRoot,
    describe: `OAuth refresh token in secret "${secretName}"`,
    settled: () => writing,
  };
}
