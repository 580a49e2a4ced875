// Sign-in as a service account: its JSON key from a secret (JWT bearer grant, `subject` for
// domain-wide delegation), or with no key the function's own identity (Application Default
// Credentials; with `subject`, delegated through the IAM Credentials API, see delegated-identity.ts).
import { GoogleAuth, type Credentials, type JWT } from 'google-auth-library';
import { z } from 'zod';
import { PermanentError } from '../../../shared/errors';
import { processRedactor } from '../../../shared/redact';
import { delegatedIdentityClient } from './delegated-identity';
import type { ServiceAccountGoogleAuth } from './google-auth-kinds';
import type { GoogleApiAccess, GoogleApiAccessOptions } from './google-api-access';
import { classifyGoogleError } from './google-api-errors';
import { GOOGLE_ENDPOINTS, type GoogleEndpoints } from './google-endpoints';
import { EAGER_REFRESH_MS } from './oauth-user-access';
import { RefreshWatchedJWT } from './refresh-watch';

const keySchema = z.object({ client_email: z.string().email(), private_key: z.string().min(1) });

export async function serviceAccountAccess(options: GoogleApiAccessOptions, config: ServiceAccountGoogleAuth, endpoints: GoogleEndpoints): Promise<GoogleApiAccess> {
  const redactor = options.redactor ?? processRedactor;
  const as = config.subject ? ` acting as ${config.subject}` : '';
  const errorContext = { pipeline: options.pipeline, doing: `signing in as a service account${as}` };

  if (!config.key) {
    if (config.subject) {
      const client = await delegatedIdentityClient({ subject: config.subject, scopes: options.scopes, endpoints, errorContext, redactor });
      await client.getAccessToken();
      return { auth: client, rootUrl: endpoints.apiRoot, describe: `the function's own service account${as} (IAM signJwt)` };
    }
    const auth = new GoogleAuth({ scopes: options.scopes });
    const client = await auth.getClient().catch((error: unknown) => {
      throw classifyGoogleError(error, errorContext);
    });
    return { auth: client, rootUrl: endpoints.apiRoot, describe: "the function's own service account" };
  }

  const keySecret = config.key.secret;
  const parsed = keySchema.safeParse(parseJson(await options.secrets.read(keySecret)));
  if (!parsed.success) {
    throw new PermanentError(`pipeline "${options.pipeline}": secret "${keySecret}" is not a service account JSON key (it needs client_email and private_key)`);
  }
  redactor.addSecret(parsed.data.private_key);
  const client = new RefreshWatchedJWT(
    {
      email: parsed.data.client_email,
      key: parsed.data.private_key,
      scopes: options.scopes,
      ...(config.subject ? { subject: config.subject } : {}),
      eagerRefreshThresholdMillis: EAGER_REFRESH_MS,
      forceRefreshOnFailure: true,
    },
    async (error) => classifyGoogleError(error, errorContext),
  );
  client.on('tokens', (tokens: Credentials) => {
    for (const token of [tokens.access_token, tokens.id_token]) if (token) redactor.addSecret(token);
  });
  if (!endpoints.google) redirectTokenRequests(client, endpoints.tokenUrl);
  await client.getAccessToken();
  return { auth: client, rootUrl: endpoints.apiRoot, describe: `service account key in secret "${keySecret}"${as}` };
}

// gtoken (the JWT client's token fetcher) has Google's token URL built in; the local double's is put
// in its place on this client's own transporter, nothing else's.
function redirectTokenRequests(client: JWT, tokenUrl: string): void {
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (config.url.toString() === GOOGLE_ENDPOINTS.tokenUrl) config.url = new URL(tokenUrl);
      return config;
    },
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Reported as "not a key" by the schema, without quoting the text.
    return undefined;
  }
}
