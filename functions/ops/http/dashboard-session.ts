// How a browser signs in to the dashboard: open `/ui/?token=<token>` (the link `npm start` prints
// carries the dev token; in the cloud, a Google ID token) — the token is checked, kept in the
// `sluice_token` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over https) and the browser is
// sent to the same page without it (303), so the token leaves the address bar and the history.
// From then on every fetch and EventSource of the page carries the cookie; the API accepts it like
// an Authorization header (request-token.ts), but a mutation only from this origin.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpsAuth } from './ops-auth';
import { TOKEN_COOKIE } from './request-token';

export const TOKEN_QUERY = 'token';

function isHttps(req: IncomingMessage): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = Array.isArray(forwarded) ? forwarded[0] : forwarded?.split(',')[0]?.trim();
  return proto === 'https' || Boolean((req.socket as { encrypted?: boolean }).encrypted);
}

// Handles `?token=` on a dashboard URL: true when it answered (the redirect), false when the URL had
// none. Throws the auth's HttpError for a bad token (answered as JSON by the app).
export async function startDashboardSession(req: IncomingMessage, res: ServerResponse, url: URL, auth: OpsAuth): Promise<boolean> {
  const token = url.searchParams.get(TOKEN_QUERY);
  if (token === null) return false;
  await auth.authenticate(token);
  const clean = new URL(url);
  clean.searchParams.delete(TOKEN_QUERY);
  const cookie = [`${TOKEN_COOKIE}=${encodeURIComponent(token)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(isHttps(req) ? ['Secure'] : [])].join('; ');
  res.writeHead(303, { location: `${clean.pathname}${clean.search}`, 'set-cookie': cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  res.end();
  return true;
}
