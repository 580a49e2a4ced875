// Domain-wide delegation without a key file: the function's own service account (ADC) asks the IAM
// Credentials API to sign the JWT-bearer assertion (projects.serviceAccounts.signJwt, which needs
// roles/iam.serviceAccountTokenCreator on the account itself), then trades it at the token endpoint
// for an access token acting as `subject`. No key ever exists outside Google.
// https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/signJwt
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import type { Redactor } from '../../../shared/redact';
import { classifyGoogleError, type GoogleErrorContext } from './google-api-errors';
import type { GoogleEndpoints } from './google-endpoints';

const IAM_CREDENTIALS = 'https://iamcredentials.googleapis.com/v1';
const ASSERTION_LIFETIME_S = 3600;

export interface DelegatedIdentityOptions {
  subject: string;
  scopes: string[];
  endpoints: GoogleEndpoints;
  errorContext: GoogleErrorContext;
  redactor: Redactor;
}

export async function delegatedIdentityClient(options: DelegatedIdentityOptions): Promise<OAuth2Client> {
  const { endpoints, errorContext } = options;
  const own = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const [source, credentials] = await Promise.all([own.getClient(), own.getCredentials()]).catch((error: unknown) => {
    throw classifyGoogleError(error, errorContext);
  });
  const email = credentials.client_email;
  if (!email) throw classifyGoogleError(new Error('the function has no service account e-mail to sign as'), errorContext);

  const client = new OAuth2Client({ endpoints: { oauth2TokenUrl: endpoints.tokenUrl }, forceRefreshOnFailure: true });
  client.refreshHandler = async () => {
    try {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: email, sub: options.subject, scope: options.scopes.join(' '), aud: GOOGLE_TOKEN_AUDIENCE, iat: now, exp: now + ASSERTION_LIFETIME_S };
      const signed = await source.request<{ signedJwt: string }>({
        url: `${IAM_CREDENTIALS}/projects/-/serviceAccounts/${encodeURIComponent(email)}:signJwt`,
        method: 'POST',
        data: { payload: JSON.stringify(payload) },
      });
      options.redactor.addSecret(signed.data.signedJwt);
      const token = await client.transporter.request<{ access_token: string; expires_in: number }>({
        url: endpoints.tokenUrl,
        method: 'POST',
        data: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signed.data.signedJwt }),
      });
      options.redactor.addSecret(token.data.access_token);
      return { access_token: token.data.access_token, expiry_date: Date.now() + token.data.expires_in * 1000 };
    } catch (error) {
      throw classifyGoogleError(error, errorContext);
    }
  };
  return client;
}

// Google's token endpoint is the audience of a JWT-bearer assertion whatever URL it is posted to.
const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
