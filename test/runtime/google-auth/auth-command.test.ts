// Integration test: `npm run auth` (runAuthCommand) end to end against the local Google API double:
// the consent URL it prints is driven with fetch (the double consents at once and redirects to the
// command's loopback address; no browser), the code is exchanged with PKCE, the refresh token lands in
// the local secrets dir and the remembered refusal in Firestore is cleared. The pasted-address path,
// and --check (refreshes? which scopes?) printing no token.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { writeEnvFile } from '../../../emulator/env-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuthCommand } from '../../../scripts/auth';
import { AUTH_STATE_COLLECTION } from '../../../functions/runtime/google-auth/auth-state';
import type { Pipeline } from '../../../shared/pipeline-definition';
import { firestoreFor, localCloud, uniqueProjectId } from '../../support/local-cloud';
import { GMAIL_MODIFY, signInFixture, startDoubleWorld, USER, type DoubleWorld, type SignInFixture } from './double-world';

let world: DoubleWorld;
const projectId = uniqueProjectId('gauthcli');
const firestore = firestoreFor(projectId);
beforeAll(async () => {
  world = await startDoubleWorld();
});
afterAll(async () => {
  await world?.stop();
  await firestore.terminate();
});

const pipelineFor = (f: SignInFixture) => ({ name: 'finance-inbox', source: { kind: 'gmail', auth: f.auth }, destinations: [] }) as unknown as Pipeline;

function run(f: SignInFixture, extra: string[] = [], o: { argv?: string[]; env?: Record<string, string> } = {}) {
  const output = new PassThrough();
  const errors = new PassThrough();
  const input = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (chunk: Buffer) => (out += chunk.toString()));
  errors.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const env = o.env ?? { GOOGLE_CLOUD_PROJECT: projectId, FIRESTORE_EMULATOR_HOST: localCloud().firestoreHost, SLUICE_LOCAL_ENDPOINTS: JSON.stringify(world.localEndpoints) };
  const done = runAuthCommand({ argv: o.argv ?? ['finance-inbox', '--secrets-dir', f.secretsDir, ...extra], env, input, output, errors, pipelineNamed: () => pipelineFor(f), repoRoot: f.secretsDir });
  // Resolves with the consent URL once the command has printed it.
  const consentUrl = new Promise<string>((resolve, reject) => {
    const look = () => {
      const line = out.split('\n').find((l) => l.startsWith(world.double.authUrl));
      if (line) resolve(line);
    };
    output.on('data', look);
    done.then(() => reject(new Error(`the command ended without a consent URL: ${out} ${err}`)), reject);
  });
  consentUrl.catch(() => undefined);
  return { done, consentUrl, input, text: () => ({ out, err }) };
}

describe('npm run auth', () => {
  it('prints a consent URL (offline, consent, PKCE S256, loopback), stores the refresh token and clears the remembered refusal', async () => {
    const f = await signInFixture(world.seed, { token: false });
    const name = f.auth.refreshToken.secret;
    await firestore.collection(AUTH_STATE_COLLECTION).doc(name).set({ at: new Date(), pipeline: 'finance-inbox', tokenSha256: 'x' });
    const cli = run(f);
    const url = new URL(await cli.consentUrl);
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe(GMAIL_MODIFY);
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The "browser": the double consents at once and redirects to the command's loopback address.
    const consent = await fetch(url, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = await fetch(consent.headers.get('location')!);
    expect(await back.text()).toContain('Signed in');

    expect(await cli.done).toBe(0);
    const stored = f.secretValue(name);
    expect((await world.seed.liveRefreshTokens(USER)).map((t) => t.refreshToken)).toContain(stored);
    expect((await firestore.collection(AUTH_STATE_COLLECTION).doc(name).get()).exists).toBe(false);
    const { out, err } = cli.text();
    expect(out).toContain(`Stored the refresh token in secret "${name}"`);
    expect(out + err).not.toContain(stored);
  });

  it('accepts the redirect address pasted from a browser on another machine', async () => {
    const f = await signInFixture(world.seed, { token: false });
    const cli = run(f);
    const consent = await fetch(await cli.consentUrl, { redirect: 'manual' });
    const location = consent.headers.get('location')!;
    // A stray line first (not an address, not a code) is complained about, not fatal.
    cli.input.write('what now?\n');
    cli.input.write(`${location}\n`);
    expect(await cli.done).toBe(0);
    expect((await world.seed.liveRefreshTokens(USER)).map((t) => t.refreshToken)).toContain(f.secretValue(f.auth.refreshToken.secret));
    expect(cli.text().out + cli.text().err).not.toContain(new URL(location).searchParams.get('code')!);
  });

  it('--check refreshes once and prints the scopes, never the token; a revoked token fails with the fix', async () => {
    const f = await signInFixture(world.seed);
    const ok = run(f, ['--check']);
    expect(await ok.done).toBe(0);
    expect(ok.text().out).toContain('refreshes: yes');
    expect(ok.text().out).toContain(`scopes granted: ${GMAIL_MODIFY}`);
    expect(ok.text().out + ok.text().err).not.toContain(f.refreshToken);

    await world.seed.revokeRefreshToken(f.refreshToken);
    const dead = run(f, ['--check']);
    expect(await dead.done).toBe(1);
    expect(dead.text().err).toContain('refreshes: no');
    expect(dead.text().err).toContain('npm run auth -- finance-inbox');
    expect(dead.text().out + dead.text().err).not.toContain(f.refreshToken);
  });

  it('--local finds the secrets dir, Firestore and the double in the local cloud\'s emulator.env', async () => {
    const f = await signInFixture(world.seed);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-data-'));
    writeEnvFile(path.join(dataDir, 'emulator.env'), {
      GOOGLE_CLOUD_PROJECT: projectId, SLUICE_SECRETS_DIR: f.secretsDir, FIRESTORE_EMULATOR_HOST: localCloud().firestoreHost,
      GOOGLE_API_ROOT: world.double.apiRoot, GOOGLE_OAUTH_TOKEN_URL: world.double.tokenUrl, GOOGLE_OAUTH_AUTH_URL: world.double.authUrl,
    });
    const cli = run(f, [], { argv: ['finance-inbox', '--local', '--check'], env: { SLUICE_DATA_DIR: dataDir, GOOGLE_CLOUD_PROJECT: 'a-real-project' } });
    expect(await cli.done).toBe(0);
    expect(cli.text().out).toContain('local secrets directory');
    expect(cli.text().out).toContain('refreshes: yes');
  });

  it('--local without a running local cloud says to start it', async () => {
    const f = await signInFixture(world.seed);
    const cli = run(f, [], { argv: ['finance-inbox', '--local'], env: { SLUICE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sluice-data-')) } });
    expect(await cli.done).toBe(2);
    expect(cli.text().err).toContain('npm run emulator');
  });
});
