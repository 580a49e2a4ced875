// The world the sign-in tests share: the local Google API double (started and stopped by the test
// file), an OAuth client registered in it, a local secrets directory holding its id, secret and a
// refresh token, and a logger whose lines the tests read for leaked tokens.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';
import { createSecretReader } from '../../../functions/runtime/secret-reader';
import { createLogger, type Logger } from '../../../shared/logger';
import type { OAuthGoogleAuth } from '../../../functions/runtime/google-auth/google-auth-kinds';

export const GMAIL_MODIFY = 'https://www.googleapis.com/auth/gmail.modify';
export const USER = 'finance@example.com';

export interface DoubleWorld {
  double: GoogleApiDouble;
  seed: GoogleApiDoubleClient;
  localEndpoints: Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startDoubleWorld(): Promise<DoubleWorld> {
  const double = await startGoogleApiDouble();
  const seed = new GoogleApiDoubleClient(double);
  return {
    double,
    seed,
    localEndpoints: { google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl } },
    stop: () => double.stop(),
  };
}

export interface SignInFixture {
  secretsDir: string;
  auth: OAuthGoogleAuth;
  clientId: string;
  refreshToken: string;
  secretValue(name: string): string;
  writeSecret(name: string, value: string): void;
  reader(): ReturnType<typeof createSecretReader>;
}

let fixtures = 0;

// A registered OAuth client and, unless `token: false`, a refresh token for USER in the secrets dir.
export async function signInFixture(seed: GoogleApiDoubleClient, o: { rotate?: boolean; accessTokenTtlSeconds?: number; token?: boolean; expiresAt?: number } = {}): Promise<SignInFixture> {
  const n = ++fixtures;
  const clientId = `client-${n}-${Date.now()}.apps.googleusercontent.com`;
  const clientSecret = `GOCSPX-double-secret-${n}-${Date.now()}`;
  await seed.registerOAuthClient({ clientId, clientSecret, consentUser: USER });
  const secretsDir = mkdtempSync(path.join(tmpdir(), 'sluice-google-auth-'));
  const names = { clientId: `gmail-client-id-${n}`, clientSecret: `gmail-client-secret-${n}`, refreshToken: `gmail-token-${n}` };
  const write = (name: string, value: string) => writeFileSync(path.join(secretsDir, name), value + '\n', { mode: 0o600 });
  write(names.clientId, clientId);
  write(names.clientSecret, clientSecret);
  let refreshToken = '';
  if (o.token !== false) {
    refreshToken = await seed.issueRefreshToken({
      clientId, user: USER, scopes: [GMAIL_MODIFY], rotate: o.rotate ?? false,
      ...(o.accessTokenTtlSeconds ? { accessTokenTtlSeconds: o.accessTokenTtlSeconds } : {}),
      ...(o.expiresAt !== undefined ? { expiresAt: o.expiresAt } : {}),
    });
    write(names.refreshToken, refreshToken);
  }
  const all = Object.values(names);
  return {
    secretsDir,
    clientId,
    refreshToken,
    auth: { kind: 'oauth', clientId: { secret: names.clientId }, clientSecret: { secret: names.clientSecret }, refreshToken: { secret: names.refreshToken } },
    secretValue: (name) => readFileSync(path.join(secretsDir, name), 'utf8').replace(/\n$/, ''),
    writeSecret: write,
    reader: () => createSecretReader({ env: {}, secretsDir, projectId: 'p', allowed: all, rotatable: [names.refreshToken] }),
  };
}

export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({}, (line) => lines.push(line), 'DEBUG'), lines };
}
