// Google ID tokens, as the ops API verifies them: the double mints RS256 ID tokens for any email and
// audience (what `gcloud auth print-identity-token --audiences=…` or a service account's metadata
// server gives in the cloud) and serves the signing keys where google-auth-library looks for
// Google's: GET /oauth2/v1/certs ({kid: PEM}) and /oauth2/v3/certs (JWKs). Point OAuth2Client's
// endpoints.oauth2FederatedSignonPemCertsUrl at `${apiRoot}oauth2/v1/certs` and verifyIdToken
// checks the double's tokens exactly as it checks Google's. One key pair per double, made on first use.
import crypto from 'node:crypto';
import type { DoubleContext, Route, RouteRequest } from './context';
import { badRequest } from './errors';
import { readJson, sendJson } from './http';

export const ID_TOKEN_ISSUER = 'https://accounts.google.com';

interface Issuer {
  kid: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

const issuers = new WeakMap<DoubleContext, Issuer>();

function issuerOf(ctx: DoubleContext): Issuer {
  let issuer = issuers.get(ctx);
  if (!issuer) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    issuer = { kid: crypto.randomBytes(20).toString('hex'), privateKey, publicKey };
    issuers.set(ctx, issuer);
  }
  return issuer;
}

export interface IdTokenRequest {
  email: string;
  audience: string;
  // Default 3600 (Google's ID tokens last an hour); negative: an expired token.
  expiresInSeconds?: number;
  emailVerified?: boolean;
  // The Workspace domain (`hd` claim).
  hostedDomain?: string;
  // Default https://accounts.google.com; anything else is refused by the verifier.
  issuer?: string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function mintIdTokenWith(ctx: DoubleContext, request: IdTokenRequest): string {
  const issuer = issuerOf(ctx);
  const now = Math.floor(ctx.now() / 1000);
  const lifetime = request.expiresInSeconds ?? 3600;
  const claims = {
    iss: request.issuer ?? ID_TOKEN_ISSUER,
    aud: request.audience,
    azp: request.email,
    sub: crypto.createHash('sha256').update(request.email).digest('hex').slice(0, 21),
    email: request.email,
    email_verified: request.emailVerified ?? true,
    ...(request.hostedDomain ? { hd: request.hostedDomain } : {}),
    // An expired token was also issued before it expired.
    iat: Math.min(now, now + lifetime - 60),
    exp: now + lifetime,
  };
  const signed = `${b64({ alg: 'RS256', kid: issuer.kid, typ: 'JWT' })}.${b64(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(signed), issuer.privateKey).toString('base64url');
  return `${signed}.${signature}`;
}

async function mint(ctx: DoubleContext, r: RouteRequest) {
  const body = await readJson<Partial<IdTokenRequest>>(r.req);
  if (!body.email || !body.audience) throw badRequest('email and audience are required');
  sendJson(r.res, 200, { idToken: mintIdTokenWith(ctx, body as IdTokenRequest) });
}

async function pemCerts(ctx: DoubleContext, r: RouteRequest) {
  const issuer = issuerOf(ctx);
  // A public key in PEM: node's verifier takes it where Google serves a certificate.
  sendJson(r.res, 200, { [issuer.kid]: issuer.publicKey.export({ type: 'spki', format: 'pem' }) }, { 'cache-control': 'public, max-age=3600' });
}

async function jwkCerts(ctx: DoubleContext, r: RouteRequest) {
  const issuer = issuerOf(ctx);
  const jwk = issuer.publicKey.export({ format: 'jwk' });
  sendJson(r.res, 200, { keys: [{ ...jwk, kid: issuer.kid, alg: 'RS256', use: 'sig' }] }, { 'cache-control': 'public, max-age=3600' });
}

export const idTokenRoutes: Route[] = [
  { method: 'POST', pattern: /^\/_double\/id-token$/, operation: 'double.idToken', handle: mint },
  { method: 'GET', pattern: /^\/oauth2\/v1\/certs$/, operation: 'oauth2.certs', handle: pemCerts },
  { method: 'GET', pattern: /^\/oauth2\/v3\/certs$/, operation: 'oauth2.certs.jwk', handle: jwkCerts },
];

// For tests and the local cloud: an ID token from a running double (seedUrl: its /_double base).
export async function mintIdToken(double: { seedUrl: string }, request: IdTokenRequest): Promise<string> {
  const response = await fetch(`${double.seedUrl}/id-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  if (!response.ok) throw new Error(`the Google API double refused to mint an ID token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { idToken: string }).idToken;
}

// Where the double serves its signing certificates (PEM), for OAuth2Client's endpoints.
export const idTokenCertsUrl = (double: { apiRoot: string }) => `${double.apiRoot}oauth2/v1/certs`;
