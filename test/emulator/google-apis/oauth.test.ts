// The double's OAuth endpoints against the real google-auth-library: refresh (and rotation),
// the installed-app flow with PKCE, service account JWTs (with and without domain-wide
// delegation), tokeninfo, and the ways tokens die (revoked, expired, injected invalid_grant).
import crypto from 'node:crypto';
import { CodeChallengeMethod, JWT } from 'google-auth-library';
import { google } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';

let double: GoogleApiDouble;
let seed: GoogleApiDoubleClient;
const client = { clientId: 'sluice-test.apps.googleusercontent.com', clientSecret: 'GOCSPX-test-secret' };

beforeAll(async () => {
  double = await startGoogleApiDouble();
  seed = new GoogleApiDoubleClient(double);
  await seed.registerOAuthClient({ ...client, consentUser: 'finance@example.com' });
});
afterAll(() => double.stop());

const gmailOf = (auth: Parameters<typeof google.gmail>[0] extends infer _ ? any : never) => google.gmail({ version: 'v1', auth, rootUrl: double.apiRoot });

describe('refresh_token grant', () => {
  it('refreshes with the real OAuth2Client and authorizes Gmail calls; tokeninfo names the scopes', async () => {
    const refreshToken = await seed.issueRefreshToken({ ...client, user: 'a@example.com', scopes: ['gmail.modify'] });
    const auth = seed.oauth2Client({ ...client, refreshToken });
    const profile = await gmailOf(auth).users.getProfile({ userId: 'me' });
    expect(profile.data.emailAddress).toBe('a@example.com');
    const { token } = await auth.getAccessToken();
    const info = await auth.getTokenInfo(token!);
    expect(info.scopes).toEqual(['https://www.googleapis.com/auth/gmail.modify']);
    expect(info.expiry_date).toBeGreaterThan(Date.now());
  });

  it('rotates: the new refresh token comes back in the tokens event and the old one dies', async () => {
    const first = await seed.issueRefreshToken({ ...client, user: 'rotating@example.com', scopes: ['gmail.readonly'], rotate: true, accessTokenTtlSeconds: 1 });
    const auth = seed.oauth2Client({ ...client, refreshToken: first });
    const rotated: string[] = [];
    auth.on('tokens', (tokens) => tokens.refresh_token && rotated.push(tokens.refresh_token));
    await gmailOf(auth).users.getProfile({ userId: 'me' });
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe(first);
    expect((await seed.liveRefreshTokens('rotating@example.com')).map((t) => t.refreshToken)).toEqual(rotated);
    const stale = seed.oauth2Client({ ...client, refreshToken: first });
    await expect(stale.getAccessToken()).rejects.toMatchObject({ message: expect.stringContaining('invalid_grant') });
  });

  it('answers invalid_grant for revoked, expired and faulted tokens, invalid_client for a wrong secret', async () => {
    const revoked = await seed.issueRefreshToken({ ...client, user: 'b@example.com', scopes: ['gmail.readonly'] });
    await seed.revokeRefreshToken(revoked);
    const expired = await seed.issueRefreshToken({ ...client, user: 'b@example.com', scopes: ['gmail.readonly'], expiresAt: Date.now() - 1 });
    for (const refreshToken of [revoked, expired]) {
      const response = await fetch(double.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...{ client_id: client.clientId, client_secret: client.clientSecret } }) });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    const live = await seed.issueRefreshToken({ ...client, user: 'c@example.com', scopes: ['gmail.readonly'] });
    await seed.armFault({ route: 'oauth.token', principal: 'c@example.com', fault: { kind: 'invalid_grant' } });
    await expect(seed.oauth2Client({ ...client, refreshToken: live }).getAccessToken()).rejects.toMatchObject({ response: { status: 400, data: { error: 'invalid_grant' } } });
    expect((await seed.oauth2Client({ ...client, refreshToken: live }).getAccessToken()).token).toMatch(/^ya29\./);
    await expect(seed.oauth2Client({ ...client, clientSecret: 'wrong', refreshToken: live }).getAccessToken()).rejects.toMatchObject({ response: { status: 401, data: { error: 'invalid_client' } } });
  });

  it('checks the bearer token on every call: 401 when expired or missing, 403 for missing scopes', async () => {
    const refreshToken = await seed.issueRefreshToken({ ...client, user: 'd@example.com', scopes: ['gmail.readonly'] });
    const auth = seed.oauth2Client({ ...client, refreshToken });
    const { token } = await auth.getAccessToken();
    await seed.expireAccessTokens('d@example.com');
    const stale = await fetch(`${double.apiRoot}gmail/v1/users/me/profile`, { headers: { authorization: `Bearer ${token}` } });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await stale.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError' }] } });
    expect((await fetch(`${double.apiRoot}gmail/v1/users/me/profile`)).status).toBe(401);
    // google-auth-library does not refresh on a 401 while its own expiry_date says the token is
    // fresh, unless forceRefreshOnFailure is set: then it refreshes once and goes on.
    await expect(gmailOf(auth).users.getProfile({ userId: 'me' })).rejects.toMatchObject({ status: 401 });
    const forcing = seed.oauth2Client({ ...client, refreshToken, forceRefreshOnFailure: true });
    await forcing.getAccessToken();
    await seed.expireAccessTokens('d@example.com');
    expect((await gmailOf(forcing).users.getProfile({ userId: 'me' })).data.emailAddress).toBe('d@example.com');
    const modify = gmailOf(forcing).users.messages.modify({ userId: 'me', id: '0', requestBody: { addLabelIds: ['STARRED'] } });
    await expect(modify).rejects.toMatchObject({ status: 403, response: { data: { error: { errors: [{ reason: 'insufficientPermissions' }] } } } });
  });
});

describe('installed-app flow', () => {
  it('answers the consent URL with a redirect carrying code and state; the code is exchanged once, with PKCE', async () => {
    const redirectUri = 'http://127.0.0.1:1/callback';
    const auth = seed.oauth2Client({ ...client, redirectUri });
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const consentUrl = auth.generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: ['https://www.googleapis.com/auth/gmail.modify'], state: 's-42', code_challenge: codeChallenge, code_challenge_method: CodeChallengeMethod.S256 });
    expect(consentUrl.startsWith(double.authUrl)).toBe(true);
    const consent = await fetch(consentUrl, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const redirected = new URL(consent.headers.get('location')!);
    expect(redirected.origin + redirected.pathname).toBe(redirectUri);
    expect(redirected.searchParams.get('state')).toBe('s-42');
    const code = redirected.searchParams.get('code')!;
    await expect(auth.getToken({ code, codeVerifier: 'not-the-verifier' })).rejects.toMatchObject({ response: { status: 400 } });
    const other = await fetch(consentUrl, { redirect: 'manual' });
    const code2 = new URL(other.headers.get('location')!).searchParams.get('code')!;
    const { tokens } = await auth.getToken({ code: code2, codeVerifier });
    expect(tokens.refresh_token).toMatch(/^1\/\/local-/);
    expect(tokens.scope).toBe('https://www.googleapis.com/auth/gmail.modify');
    await expect(auth.getToken({ code: code2, codeVerifier })).rejects.toMatchObject({ response: { data: { error: 'invalid_grant' } } });
    auth.setCredentials(tokens);
    expect((await gmailOf(auth).users.getProfile({ userId: 'me' })).data.emailAddress).toBe('finance@example.com');
  });
});

describe('service accounts (JWT bearer)', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = 'sluice-runner@sluice-local.iam.gserviceaccount.com';
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  beforeAll(() => seed.registerServiceAccount({ email, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), delegatedScopes: ['gmail.readonly'] }));

  // gtoken posts to Google's own URL; point the JWT client's transporter at the double instead.
  function jwtClient(o: { key: string; subject?: string; scopes: string[] }): JWT {
    const jwt = new JWT({ email, key: o.key, subject: o.subject, scopes: o.scopes });
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        const url = new URL(String(config.url));
        if (url.hostname.endsWith('googleapis.com')) config.url = new URL(url.pathname + url.search, double.apiRoot);
        return config;
      },
    });
    return jwt;
  }

  it('verifies the RS256 signature; with sub the token acts as the delegated user', async () => {
    const delegated = jwtClient({ key: keyPem, subject: 'boss@example.com', scopes: ['https://www.googleapis.com/auth/gmail.readonly'] });
    expect((await gmailOf(delegated).users.getProfile({ userId: 'me' })).data.emailAddress).toBe('boss@example.com');
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(jwtClient({ key: other, scopes: ['https://www.googleapis.com/auth/drive'] }).authorize()).rejects.toThrow(/invalid_grant|Invalid JWT Signature/);
    await expect(jwtClient({ key: keyPem, subject: 'boss@example.com', scopes: ['https://www.googleapis.com/auth/drive'] }).authorize()).rejects.toThrow(/unauthorized_client/);
  });
});
