// Integration test: googleApiAccess with the real google-auth-library and googleapis against the
// local Google API double (token endpoint, Gmail), the real Firestore emulator for the memory of a
// refused token, and a local secrets directory. Proves: refresh works and happens before expiry; a
// rotated refresh token is written back and used; a 401 refreshes once; invalid_grant becomes
// ReauthorizationRequiredError, then an hour of fast failures without asking Google (clock
// injected) unless the secret changed; no token reaches a log line or an error.
import { google } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_STATE_COLLECTION } from '../../../functions/runtime/google-auth/auth-state';
import { googleApiAccess } from '../../../functions/runtime/google-auth/create-google-api-access';
import { ReauthorizationRequiredError } from '../../../functions/runtime/google-auth/reauthorization-required-error';
import { isPermanent } from '../../../shared/errors';
import { firestoreFor, uniqueProjectId } from '../../support/local-cloud';
import { capturingLogger, GMAIL_MODIFY, signInFixture, startDoubleWorld, USER, type DoubleWorld } from './double-world';

let world: DoubleWorld;
const firestore = firestoreFor(uniqueProjectId('gauth'));

beforeAll(async () => {
  world = await startDoubleWorld();
});
afterAll(async () => {
  await world?.stop();
  await firestore.terminate();
});

const tokenRequests = async (since = 0) => (await world.seed.requests(since)).filter((r) => r.operation === 'oauth.token').length;
const profileOf = (auth: Awaited<ReturnType<typeof googleApiAccess>>) =>
  google.gmail({ version: 'v1', auth: auth.auth, rootUrl: auth.rootUrl }).users.getProfile({ userId: 'me' });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('OAuth user token', () => {
  it('refreshes against the token URL and signs googleapis calls to the double', async () => {
    const f = await signInFixture(world.seed);
    const { logger, lines } = capturingLogger();
    const access = await googleApiAccess({ pipeline: 'finance-inbox', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger });
    expect(access.rootUrl).toBe(world.double.apiRoot);
    expect(access.describe).toBe(`OAuth refresh token in secret "${f.auth.refreshToken.secret}"`);
    const profile = await profileOf(access);
    expect(profile.data.emailAddress).toBe(USER);
    expect(lines.join('\n')).not.toContain(f.refreshToken);
  });

  it('refreshes before expiry: a token within 5 minutes of expiring is replaced before the call', async () => {
    // 4-minute tokens are always inside the eager-refresh window.
    const f = await signInFixture(world.seed, { accessTokenTtlSeconds: 240 });
    const access = await googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger: capturingLogger().logger });
    const since = (await world.seed.requests()).length;
    await profileOf(access);
    await profileOf(access);
    expect(await tokenRequests(since)).toBe(2);
  });

  it('a 401 (access token revoked early) refreshes once and retries the call', async () => {
    const f = await signInFixture(world.seed);
    const access = await googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger: capturingLogger().logger });
    await profileOf(access);
    await world.seed.expireAccessTokens(USER);
    const since = (await world.seed.requests()).length;
    const profile = await profileOf(access);
    expect(profile.data.emailAddress).toBe(USER);
    expect(await tokenRequests(since)).toBe(1);
  });

  it('writes a refresh token Google rotated back to the local secrets dir, and goes on with it', async () => {
    const f = await signInFixture(world.seed, { rotate: true, accessTokenTtlSeconds: 240 });
    const { logger, lines } = capturingLogger();
    const name = f.auth.refreshToken.secret;
    const access = await googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger });
    await access.settled!();
    const stored = f.secretValue(name);
    expect(stored).not.toBe(f.refreshToken);
    const live = (await world.seed.liveRefreshTokens(USER)).map((t) => t.refreshToken);
    expect(live).toContain(stored);
    expect(live).not.toContain(f.refreshToken);
    // The same client refreshes again (4-minute tokens) with the new token, rotating once more.
    await profileOf(access);
    await access.settled!();
    expect(f.secretValue(name)).not.toBe(stored);
    // The next run, from the secret alone, signs in.
    const next = await googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger });
    expect((await profileOf(next)).data.emailAddress).toBe(USER);
    await next.settled!();
    const text = lines.join('\n');
    expect(text).toContain('stored the refresh token Google rotated');
    for (const token of [f.refreshToken, stored]) expect(text).not.toContain(token);
  });

  it('without rotate on the reader, a rotation is logged as a warning without the value', async () => {
    const f = await signInFixture(world.seed, { rotate: true });
    const { logger, lines } = capturingLogger();
    const reader = f.reader();
    const readOnly = { read: reader.read.bind(reader) };
    await googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: readOnly, localEndpoints: world.localEndpoints, logger });
    const warning = lines.find((l) => l.includes('cannot write secrets'));
    expect(warning).toBeDefined();
    expect(warning).toContain('WARNING');
    expect(f.secretValue(f.auth.refreshToken.secret)).toBe(f.refreshToken);
  });
});

describe('invalid_grant', () => {
  it('→ ReauthorizationRequiredError, remembered an hour without asking Google, unless the secret changed', async () => {
    const f = await signInFixture(world.seed);
    const name = f.auth.refreshToken.secret;
    await world.seed.revokeRefreshToken(f.refreshToken);
    let now = Date.parse('2026-12-01T08:00:00Z');
    const options = () => ({ pipeline: 'finance-inbox', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, firestore, logger: capturingLogger().logger, now: () => now });

    const first = await rejection(googleApiAccess(options()));
    expect(first).toBeInstanceOf(ReauthorizationRequiredError);
    expect(first.name).toBe('ReauthorizationRequiredError');
    expect(isPermanent(first)).toBe(true);
    expect(first.message).toContain('pipeline "finance-inbox"');
    expect(first.message).toContain(`secret "${name}"`);
    expect(first.message).toContain('npm run auth -- finance-inbox');
    expect(first.message).not.toContain(f.refreshToken);

    const state = (await firestore.collection(AUTH_STATE_COLLECTION).doc(name).get()).data()!;
    expect(state.pipeline).toBe('finance-inbox');
    expect(state.at.toDate().getTime()).toBe(now);
    expect(JSON.stringify(state)).not.toContain(f.refreshToken);

    // Within the hour: the same error at once, and Google is not asked.
    now += 59 * 60_000;
    let since = (await world.seed.requests()).length;
    const again = await rejection(googleApiAccess(options()));
    expect(again).toBeInstanceOf(ReauthorizationRequiredError);
    expect(again.message).toContain('npm run auth -- finance-inbox');
    expect(await tokenRequests(since)).toBe(0);

    // After the hour: Google is asked again (and refuses again).
    now += 2 * 60_000;
    since = (await world.seed.requests()).length;
    expect(await rejection(googleApiAccess(options()))).toBeInstanceOf(ReauthorizationRequiredError);
    expect(await tokenRequests(since)).toBe(1);

    // A new token in the secret is tried at once, within the hour.
    const fresh = await world.seed.issueRefreshToken({ clientId: f.clientId, user: USER, scopes: [GMAIL_MODIFY] });
    f.writeSecret(name, fresh);
    const access = await googleApiAccess(options());
    expect((await profileOf(access)).data.emailAddress).toBe(USER);
  });

  it('the 7-day expiry of an app in "Testing" is the same re-authorisation', async () => {
    const f = await signInFixture(world.seed, { expiresAt: Date.now() - 1000 });
    const error = await rejection(googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger: capturingLogger().logger }));
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
  });

  it('a wrong client secret is invalid_client: permanent, naming the secrets', async () => {
    const f = await signInFixture(world.seed);
    f.writeSecret(f.auth.clientSecret.secret, 'GOCSPX-not-the-right-one-000000');
    const error = await rejection(googleApiAccess({ pipeline: 'p', config: f.auth, scopes: [GMAIL_MODIFY], secrets: f.reader(), localEndpoints: world.localEndpoints, logger: capturingLogger().logger }));
    expect(isPermanent(error)).toBe(true);
    expect(error.message).toContain('invalid_client');
    expect(error.message).toContain(f.auth.clientSecret.secret);
    expect(error.message).not.toContain('GOCSPX-not-the-right-one');
  });
});
