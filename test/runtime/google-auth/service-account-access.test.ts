// Integration test: a service account's JSON key (JWT bearer grant through the real google-auth-library
// JWT client, its token request redirected to the double) with `subject` for domain-wide
// delegation: the API call acts as the Workspace user; a scope the delegation does not cover is a
// permanent unauthorized_client naming the fix; the private key never reaches a log line.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { google } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { googleApiAccess } from '../../../functions/runtime/google-auth/create-google-api-access';
import { googleEndpointsFrom } from '../../../functions/runtime/google-auth/google-endpoints';
import { serviceAccountAccess } from '../../../functions/runtime/google-auth/service-account-access';
import { createSecretReader } from '../../../functions/runtime/secret-reader';
import { isPermanent } from '../../../shared/errors';
import { capturingLogger, GMAIL_MODIFY, startDoubleWorld, USER, type DoubleWorld } from './double-world';

let world: DoubleWorld;
beforeAll(async () => {
  world = await startDoubleWorld();
});
afterAll(async () => world?.stop());

async function serviceAccount(delegatedScopes: string[]) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = `sluice-${Date.now()}@sluice-test.iam.gserviceaccount.com`;
  await world.seed.registerServiceAccount({ email, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), delegatedScopes });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-sa-key-'));
  writeFileSync(path.join(dir, 'gmail-sa-key'), JSON.stringify({ type: 'service_account', client_email: email, private_key: privatePem }), { mode: 0o600 });
  return { email, privatePem, privateKey, secrets: createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['gmail-sa-key'] }) };
}

describe('service account key', () => {
  it('with subject: acts as the Workspace user (domain-wide delegation)', async () => {
    const sa = await serviceAccount([GMAIL_MODIFY]);
    const { logger, lines } = capturingLogger();
    const access = await googleApiAccess({
      pipeline: 'finance-inbox', config: { kind: 'service-account', key: { secret: 'gmail-sa-key' }, subject: USER }, scopes: [GMAIL_MODIFY],
      secrets: sa.secrets, localEndpoints: world.localEndpoints, logger,
    });
    expect(access.describe).toBe(`service account key in secret "gmail-sa-key" acting as ${USER}`);
    const profile = await google.gmail({ version: 'v1', auth: access.auth, rootUrl: access.rootUrl }).users.getProfile({ userId: 'me' });
    expect(profile.data.emailAddress).toBe(USER);
    const requests = await world.seed.requests();
    expect(requests.some((r) => r.operation === 'oauth.token' && r.status === 200)).toBe(true);
    expect(lines.join('\n')).not.toContain(sa.privatePem.split('\n')[1]!);
  });

  it('a scope the delegation does not cover → permanent, saying where to authorise it', async () => {
    const sa = await serviceAccount([]);
    let error: Error | undefined;
    try {
      await googleApiAccess({
        pipeline: 'p', config: { kind: 'service-account', key: { secret: 'gmail-sa-key' }, subject: USER }, scopes: [GMAIL_MODIFY],
        secrets: sa.secrets, localEndpoints: world.localEndpoints, logger: capturingLogger().logger,
      });
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeDefined();
    expect(isPermanent(error)).toBe(true);
    expect(error!.message).toContain('unauthorized_client');
    expect(error!.message).toContain('Admin console');
  });

  it('a key secret that is not a key → permanent, without quoting it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-sa-key-'));
    writeFileSync(path.join(dir, 'gmail-sa-key'), 'not json at all: hunter2hunter2');
    const secrets = createSecretReader({ env: {}, secretsDir: dir, projectId: 'p', allowed: ['gmail-sa-key'] });
    const attempt = googleApiAccess({ pipeline: 'p', config: { kind: 'service-account', key: { secret: 'gmail-sa-key' } }, scopes: [GMAIL_MODIFY], secrets, localEndpoints: world.localEndpoints, logger: capturingLogger().logger });
    await expect(attempt).rejects.toThrow(/secret "gmail-sa-key" is not a service account JSON key/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });
});

describe('the function\'s own identity with subject (no key)', () => {
  it('delegates through a signJwt signer (the IAM Credentials API in the cloud; the same RS256 signature here)', async () => {
    const sa = await serviceAccount([GMAIL_MODIFY]);
    const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
    // What IAM's projects.serviceAccounts.signJwt does with the payload: sign it with the account's key.
    const signer = {
      email: sa.email,
      async signJwt(payload: string) {
        const unsigned = `${b64(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64(payload)}`;
        return `${unsigned}.${b64(sign('RSA-SHA256', Buffer.from(unsigned), sa.privateKey))}`;
      },
    };
    const access = await serviceAccountAccess(
      { pipeline: 'p', config: { kind: 'service-account', subject: USER }, scopes: [GMAIL_MODIFY], secrets: sa.secrets, localEndpoints: world.localEndpoints, logger: capturingLogger().logger },
      { kind: 'service-account', subject: USER },
      googleEndpointsFrom(world.localEndpoints),
      signer,
    );
    expect(access.describe).toBe(`the function's own service account acting as ${USER} (IAM signJwt)`);
    const profile = await google.gmail({ version: 'v1', auth: access.auth, rootUrl: access.rootUrl }).users.getProfile({ userId: 'me' });
    expect(profile.data.emailAddress).toBe(USER);
  });
});
