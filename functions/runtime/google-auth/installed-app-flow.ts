// The installed-app ("Desktop app") OAuth flow for a machine without a browser: a consent URL with
// PKCE (S256) and a loopback redirect (http://127.0.0.1:<port>, Google's replacement for the retired
// out-of-band copy/paste flow), then the code exchanged for a refresh token. When the browser runs
// on another machine its redirect to 127.0.0.1 does not load; the person pastes the address it shows
// (or the code alone) instead. Either way the code and verifier never leave this process.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CodeChallengeMethod, type OAuth2Client } from 'google-auth-library';
import { PermanentError } from '../../../shared/errors';

export interface ConsentSession {
  url: string;
  redirectUri: string;
  // Resolves with the code when Google redirects the browser to the loopback address.
  redirected: Promise<string>;
  // The code from what the person pasted: the whole redirect address, or the code alone.
  codeFromPasted(text: string): string;
  // Trades the code for tokens; the refresh token is required (prompt=consent makes Google send one).
  exchange(code: string): Promise<{ refreshToken: string; scopes: string[] }>;
  close(): Promise<void>;
}

export async function startConsent(client: OAuth2Client, scopes: readonly string[], port = 0): Promise<ConsentSession> {
  const state = randomBytes(16).toString('hex');
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
  let settle: { resolve(code: string): void; reject(error: Error): void } | undefined;
  const redirected = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // Nobody need wait on it (a pasted code may win): an unanswered rejection must not crash the command.
  redirected.catch(() => undefined);

  const server: Server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    if (!query.has('code') && !query.has('error')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const code = codeFromQuery(query, state);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Signed in. You can close this tab and go back to the terminal.\n');
      settle?.resolve(code);
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(error as Error).message}\n`);
      settle?.reject(error as Error);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const url = client.generateAuthUrl({
    access_type: 'offline',
    // A refresh token is only sent on a consent; without this a second sign-in returns none.
    prompt: 'consent',
    scope: [...scopes],
    code_challenge_method: CodeChallengeMethod.S256,
    code_challenge: codeChallenge,
    state,
    redirect_uri: redirectUri,
  });

  return {
    url,
    redirectUri,
    redirected,
    codeFromPasted(text) {
      const trimmed = text.trim();
      if (/^https?:\/\//i.test(trimmed)) return codeFromQuery(new URL(trimmed).searchParams, state);
      if (trimmed === '' || /\s/.test(trimmed)) throw new PermanentError('paste the whole address the browser shows after signing in, or the code from it');
      // A bare code as copied from the address bar may still be URL-encoded (4%2F0A…).
      return trimmed.includes('%') ? decodeURIComponent(trimmed) : trimmed;
    },
    async exchange(code) {
      const { tokens } = await client.getToken({ code, codeVerifier, redirect_uri: redirectUri });
      if (!tokens.refresh_token) {
        throw new PermanentError('Google returned no refresh token: remove the app\'s access at https://myaccount.google.com/permissions and run the command again');
      }
      return { refreshToken: tokens.refresh_token, scopes: (tokens.scope ?? '').split(/\s+/).filter(Boolean) };
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function codeFromQuery(query: URLSearchParams, state: string): string {
  const error = query.get('error');
  if (error) throw new PermanentError(`Google did not grant access (${error})${error === 'access_denied' ? ': consent was refused, or the account is not a test user of an app in "Testing"' : ''}`);
  // A redirect with another state is not an answer to this consent (CSRF, or an old browser tab).
  if (query.get('state') !== state) throw new PermanentError('the address is not from this sign-in (its state differs): use the URL printed by this run');
  const code = query.get('code');
  if (!code) throw new PermanentError('the address has no code');
  return code;
}
