// Where Google's sign-in and API endpoints are: Google's own in the cloud, the local Google API
// double's when SLUICE_LOCAL_ENDPOINTS has a `google` entry (the local cloud writes it). One owner
// for these URLs, so the access factory, the auth command and the tests cannot disagree.
import { z } from 'zod';
import { PermanentError } from '../../../shared/errors';

export interface GoogleEndpoints {
  // Root the googleapis client is given as `rootUrl` (with its trailing /).
  apiRoot: string;
  // OAuth 2.0 token endpoint (code exchange, refresh, JWT bearer grant).
  tokenUrl: string;
  // Consent page the auth command sends a person to.
  authUrl: string;
  // Says which scopes an access token carries (`npm run auth -- <pipeline> --check`).
  tokenInfoUrl: string;
  // Whether these are Google's own (false: the local double).
  google: boolean;
}

export const GOOGLE_ENDPOINTS: GoogleEndpoints = {
  apiRoot: 'https://www.googleapis.com/',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenInfoUrl: 'https://oauth2.googleapis.com/tokeninfo',
  google: true,
};

const localGoogleSchema = z.object({
  apiRoot: z.string().url().refine((url) => url.endsWith('/'), 'must end with /'),
  tokenUrl: z.string().url(),
  authUrl: z.string().url(),
  // The double answers tokeninfo beside its token endpoint unless it says otherwise.
  tokenInfoUrl: z.string().url().optional(),
});

export function googleEndpointsFrom(localEndpoints: Readonly<Record<string, unknown>>): GoogleEndpoints {
  if (localEndpoints.google === undefined) return GOOGLE_ENDPOINTS;
  const parsed = localGoogleSchema.safeParse(localEndpoints.google);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `google.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new PermanentError(`SLUICE_LOCAL_ENDPOINTS: ${problems}`);
  }
  const { apiRoot, tokenUrl, authUrl } = parsed.data;
  return { apiRoot, tokenUrl, authUrl, tokenInfoUrl: parsed.data.tokenInfoUrl ?? new URL('tokeninfo', tokenUrl).toString(), google: false };
}
