// Google ID tokens through the real google-auth-library: the Google API double mints them and
// serves its keys as Google's certs endpoint; the ops auth verifies signature, expiry, issuer and
// audience, and maps the identity to a role from the ops definition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';
import { idTokenCertsUrl, mintIdToken } from '../../../emulator/google-apis/id-token-routes';
import { createOpsAuth } from '../../../functions/ops/http/ops-auth';

const AUDIENCE = 'https://europe-west1-demo.cloudfunctions.net/sluice-ops';
let double: GoogleApiDouble;

beforeAll(async () => {
  double = await startGoogleApiDouble();
});
afterAll(() => double.stop());

const ops = { viewers: ['user:viewer@example.com', 'domain:readers.example'], operators: ['user:ana@example.com', 'serviceAccount:ci@demo.iam.gserviceaccount.com'] };
const token = (email: string, extra: Record<string, unknown> = {}) => mintIdToken(double, { email, audience: AUDIENCE, ...extra });
const reasonOf = async (promise: Promise<unknown>) => promise.then(() => 'accepted', (e: { code?: string }) => e.code ?? 'thrown');

describe('ops auth with Google ID tokens', () => {
  it('maps operators, viewers and domains to roles', async () => {
    const auth = createOpsAuth({ ops, audiences: [AUDIENCE], certsUrl: idTokenCertsUrl(double) });
    expect(await auth.authenticate(await token('ana@example.com'))).toEqual({ principal: 'user:ana@example.com', role: 'operator' });
    expect(await auth.authenticate(await token('ci@demo.iam.gserviceaccount.com'))).toEqual({ principal: 'serviceAccount:ci@demo.iam.gserviceaccount.com', role: 'operator' });
    expect(await auth.authenticate(await token('viewer@example.com'))).toEqual({ principal: 'user:viewer@example.com', role: 'viewer' });
    expect(await auth.authenticate(await token('bo@readers.example'))).toEqual({ principal: 'user:bo@readers.example', role: 'viewer' });
    expect(await reasonOf(auth.authenticate(await token('eve@elsewhere.example')))).toBe('forbidden');
  });

  it('makes every verified caller a viewer when no viewers are declared', async () => {
    const auth = createOpsAuth({ ops: { viewers: [], operators: [] }, audiences: [AUDIENCE], certsUrl: idTokenCertsUrl(double) });
    expect(await auth.authenticate(await token('anyone@example.com'))).toEqual({ principal: 'user:anyone@example.com', role: 'viewer' });
  });

  it('refuses an expired token, another audience, another issuer, a forged signature and an unverified email', async () => {
    const auth = createOpsAuth({ ops, audiences: [AUDIENCE], certsUrl: idTokenCertsUrl(double) });
    expect(await reasonOf(auth.authenticate(await token('ana@example.com', { expiresInSeconds: -3600 })))).toBe('unauthenticated');
    expect(await reasonOf(auth.authenticate(await mintIdToken(double, { email: 'ana@example.com', audience: 'https://other.example' })))).toBe('unauthenticated');
    expect(await reasonOf(auth.authenticate(await token('ana@example.com', { issuer: 'https://evil.example' })))).toBe('unauthenticated');
    expect(await reasonOf(auth.authenticate(await token('ana@example.com', { emailVerified: false })))).toBe('unauthenticated');
    const [head, , signature] = (await token('viewer@example.com')).split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ iss: 'https://accounts.google.com', aud: AUDIENCE, email: 'ana@example.com', email_verified: true, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    expect(await reasonOf(auth.authenticate(`${head}.${forgedClaims}.${signature}`))).toBe('unauthenticated');
    expect(await reasonOf(auth.authenticate('not-a-token'))).toBe('unauthenticated');
  });

  it('accepts the dev token as operator `dev`, and nothing like it', async () => {
    const auth = createOpsAuth({ ops, audiences: [], devToken: 'dev-token-0123456789abcdef' });
    expect(await auth.authenticate('dev-token-0123456789abcdef')).toEqual({ principal: 'dev', role: 'operator' });
    expect(await reasonOf(auth.authenticate('dev-token-0123456789abcdeF'))).toBe('unauthenticated');
    // Without audiences no ID token is accepted at all.
    expect(await reasonOf(auth.authenticate(await token('ana@example.com')))).toBe('unauthenticated');
  });
});
