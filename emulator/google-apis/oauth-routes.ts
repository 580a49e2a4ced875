// Google's OAuth 2.0 endpoints, as the real clients call them: the token endpoint (refresh_token,
// authorization_code with PKCE, and the service account JWT bearer grant), the consent URL of the
// installed-app flow (answers the redirect at once: no browser), tokeninfo and revoke.
import crypto from 'node:crypto';
import type { DoubleContext, Route, RouteRequest } from './context';
import { OAuthError, invalidGrant } from './errors';
import { applyFaults } from './faults';
import { readForm, sendEmpty, sendJson, bearerOf } from './http';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from './oauth-state';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
// gtoken (under google-auth-library's JWT client) signs for and posts to this URL, not the client's endpoints.
const GOOGLE_JWT_AUDIENCES = ['https://oauth2.googleapis.com/token', 'https://www.googleapis.com/oauth2/v4/token', 'https://accounts.google.com/o/oauth2/token'];
const CODE_TTL_MS = 10 * 60_000;

function clientCredentials(r: RouteRequest, form: URLSearchParams): [string | null, string | null] {
  const basic = /^Basic\s+(\S+)$/i.exec(r.req.headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))];
  }
  return [form.get('client_id'), form.get('client_secret')];
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  scope: string;
  token_type: 'Bearer';
  refresh_token?: string;
}

async function token(ctx: DoubleContext, r: RouteRequest): Promise<void> {
  const form = await readForm(r.req);
  const grantType = form.get('grant_type');
  const now = ctx.now();
  if (grantType === JWT_BEARER) {
    const answer = jwtBearer(ctx, form.get('assertion'), now);
    await tokenFaults(ctx, r, answer.principal);
    const { principal: _principal, ...body } = answer;
    sendJson(r.res, 200, body);
    return;
  }
  const [clientId, clientSecret] = clientCredentials(r, form);
  const client = ctx.oauth.authenticateClient(clientId, clientSecret);
  let answer: TokenAnswer;
  if (grantType === 'refresh_token') {
    const refresh = ctx.oauth.liveRefreshToken(form.get('refresh_token'), client.clientId, now);
    await tokenFaults(ctx, r, refresh.user);
    const access = ctx.oauth.issueAccessToken(
      { principal: refresh.user, serviceAccount: false, scopes: new Set(refresh.scopes), clientId: client.clientId, refreshToken: refresh.token },
      refresh.accessTokenTtlSeconds,
      now,
    );
    answer = { access_token: access.token, expires_in: refresh.accessTokenTtlSeconds, scope: refresh.scopes.join(' '), token_type: 'Bearer' };
    if (refresh.rotate) {
      const next = ctx.oauth.issueRefreshToken({ ...refresh });
      refresh.revoked = true;
      access.refreshToken = next.token;
      answer.refresh_token = next.token;
    }
  } else if (grantType === 'authorization_code') {
    const code = ctx.oauth.takeCode(form.get('code'), now);
    await tokenFaults(ctx, r, code.user);
    if (code.clientId !== client.clientId) throw invalidGrant('Unauthorized');
    if (form.get('redirect_uri') !== code.redirectUri) throw new OAuthError(400, 'redirect_uri_mismatch', 'Bad Request');
    checkPkce(code.codeChallenge, code.codeChallengeMethod, form.get('code_verifier'));
    const refresh = ctx.oauth.issueRefreshToken({ clientId: client.clientId, user: code.user, scopes: code.scopes, rotate: false, accessTokenTtlSeconds: DEFAULT_ACCESS_TOKEN_TTL_SECONDS });
    const access = ctx.oauth.issueAccessToken(
      { principal: code.user, serviceAccount: false, scopes: new Set(code.scopes), clientId: client.clientId, refreshToken: refresh.token },
      refresh.accessTokenTtlSeconds,
      now,
    );
    answer = { access_token: access.token, expires_in: refresh.accessTokenTtlSeconds, scope: code.scopes.join(' '), token_type: 'Bearer', refresh_token: refresh.token };
  } else {
    throw new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }
  sendJson(r.res, 200, answer, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
}

/** Faults armed for oauth.token (status, delay, invalid_grant), matched on the user the token is for. */
async function tokenFaults(ctx: DoubleContext, r: RouteRequest, principal: string): Promise<void> {
  r.setPrincipal(principal);
  await applyFaults(ctx.faults, 'oauth.token', principal, r.onFault);
  if (ctx.faults.take('oauth.token', ['invalid_grant'], principal)) {
    r.onFault('invalid_grant');
    throw invalidGrant();
  }
}

function checkPkce(challenge: string | undefined, method: string | undefined, verifier: string | null): void {
  if (!challenge) return;
  if (!verifier) throw invalidGrant('Missing code verifier.');
  const computed = method === 'S256' ? crypto.createHash('sha256').update(verifier).digest('base64url') : verifier;
  if (computed !== challenge) throw invalidGrant('Invalid code verifier.');
}

function jwtBearer(ctx: DoubleContext, assertion: string | null, now: number): TokenAnswer & { principal: string } {
  const parts = (assertion ?? '').split('.');
  if (parts.length !== 3) throw invalidGrant('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number; sub?: string };
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw invalidGrant('Invalid JWT Signature.');
  }
  const account = claims.iss ? ctx.oauth.serviceAccounts.get(claims.iss) : undefined;
  if (!account) throw invalidGrant('Invalid grant: account not found');
  const signatureOk =
    header.alg === 'RS256' &&
    crypto.verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), account.publicKeyPem, Buffer.from(signaturePart, 'base64url'));
  if (!signatureOk) throw invalidGrant('Invalid JWT Signature.');
  if (!claims.aud || ![ctx.urls.tokenUrl, ...GOOGLE_JWT_AUDIENCES].includes(claims.aud)) throw invalidGrant('Invalid JWT: aud is not the token endpoint.');
  const nowSeconds = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp - claims.iat > 3600 || claims.exp < nowSeconds || claims.iat > nowSeconds + 300) {
    throw invalidGrant('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
  }
  const scopes = (claims.scope ?? '').split(/\s+/).filter(Boolean);
  if (scopes.length === 0) throw new OAuthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
  if (claims.sub && !scopes.every((scope) => account.delegatedScopes.includes(scope))) {
    throw new OAuthError(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
  }
  const access = ctx.oauth.issueAccessToken(
    { principal: claims.sub ?? account.email, serviceAccount: !claims.sub, scopes: new Set(scopes), clientId: account.email },
    DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    now,
  );
  return { access_token: access.token, expires_in: DEFAULT_ACCESS_TOKEN_TTL_SECONDS, scope: scopes.join(' '), token_type: 'Bearer', principal: access.principal };
}

/** The consent page, decided at once: a 302 to redirect_uri with ?code&state (or ?error). */
async function authorize(ctx: DoubleContext, r: RouteRequest): Promise<void> {
  const q = r.query;
  const client = ctx.oauth.clients.get(q.get('client_id') ?? '');
  const redirectUri = q.get('redirect_uri');
  if (!client || !redirectUri) {
    r.res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    r.res.end(!client ? 'Error 401: invalid_client\nThe OAuth client was not found.' : 'Error 400: invalid_request\nMissing required parameter: redirect_uri');
    return;
  }
  const target = new URL(redirectUri);
  const state = q.get('state');
  const user = q.get('login_hint') ?? client.consentUser;
  const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (q.get('response_type') !== 'code' || !user || scopes.length === 0) {
    target.searchParams.set('error', !user ? 'access_denied' : 'invalid_request');
  } else {
    const code = ctx.oauth.issueCode({
      clientId: client.clientId,
      redirectUri,
      user,
      scopes,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: q.get('code_challenge_method') ?? undefined,
      expiresAt: ctx.now() + CODE_TTL_MS,
    });
    target.searchParams.set('code', code.code);
    target.searchParams.set('scope', scopes.join(' '));
  }
  if (state !== null) target.searchParams.set('state', state);
  r.res.writeHead(302, { location: target.toString() });
  r.res.end();
}

/** tokeninfo: access_token from the query, the form body, or the Authorization header (google-auth-library posts it so). */
async function tokenInfo(ctx: DoubleContext, r: RouteRequest): Promise<void> {
  const form = r.req.method === 'POST' ? await readForm(r.req) : new URLSearchParams();
  const value = r.query.get('access_token') ?? form.get('access_token') ?? bearerOf(r.req);
  const now = ctx.now();
  const access = ctx.oauth.liveAccessToken(value ?? undefined, now);
  if (!access) {
    sendJson(r.res, 400, { error: 'invalid_token', error_description: 'Invalid Value' });
    return;
  }
  const expiresIn = Math.max(0, Math.floor((access.expiresAt - now) / 1000));
  sendJson(r.res, 200, {
    azp: access.clientId,
    aud: access.clientId,
    sub: access.principal,
    scope: [...access.scopes].join(' '),
    exp: String(Math.floor(access.expiresAt / 1000)),
    expires_in: String(expiresIn),
    email: access.principal,
    email_verified: 'true',
    access_type: 'offline',
  });
}

async function revoke(ctx: DoubleContext, r: RouteRequest): Promise<void> {
  const form = r.req.method === 'POST' ? await readForm(r.req) : new URLSearchParams();
  const value = r.query.get('token') ?? form.get('token');
  if (!value || !ctx.oauth.revoke(value)) {
    sendJson(r.res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
    return;
  }
  sendEmpty(r.res, 200);
}

export const oauthRoutes: Route[] = [
  { method: 'POST', pattern: /^\/token$/, operation: 'oauth.token', handle: token },
  { method: 'POST', pattern: /^\/oauth2\/v4\/token$/, operation: 'oauth.token', handle: token },
  { method: 'GET', pattern: /^\/o\/oauth2\/v2\/auth$/, operation: 'oauth.authorize', handle: authorize },
  { method: 'GET', pattern: /^\/oauth2\/v3\/tokeninfo$/, operation: 'oauth.tokeninfo', handle: tokenInfo },
  { method: 'POST', pattern: /^\/oauth2\/v3\/tokeninfo$/, operation: 'oauth.tokeninfo', handle: tokenInfo },
  { method: 'POST', pattern: /^\/tokeninfo$/, operation: 'oauth.tokeninfo', handle: tokenInfo },
  { method: 'POST', pattern: /^\/revoke$/, operation: 'oauth.revoke', handle: revoke },
];
