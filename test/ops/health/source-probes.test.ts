// The connectors' health probes on real clients: Gmail signs in through google-auth-library and
// reads the mailbox profile from the Google API double; a revoked refresh token fails the probe
// without the token in the message. (The SFTP probe runs against the real SFTP server in
// create-health-checks.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleApiDoubleClient } from '../../../emulator/google-apis/double-client';
import { startGoogleApiDouble, type GoogleApiDouble } from '../../../emulator/google-apis/index';
import { connectors } from '../../../functions/fetch/sources/connectors';
import type { SourceProbeRuntime } from '../../../functions/fetch/sources/source-connector';
import type { Source } from '../../../functions/fetch/sources/source-configs';
import { vendorInbox } from '../../../pipelines/vendor-inbox';
import { silentLogger } from '../../../shared/logger';
import { firestoreFor, uniqueProjectId } from '../../support/local-cloud';

let double: GoogleApiDouble;
const firestore = firestoreFor(uniqueProjectId('probe'));
const secrets: Record<string, string> = { 'finance-gmail-client-id': 'probe-client', 'finance-gmail-client-secret': 'probe-client-secret' };

beforeAll(async () => {
  double = await startGoogleApiDouble();
  const client = new GoogleApiDoubleClient(double);
  await client.registerOAuthClient({ clientId: 'probe-client', clientSecret: 'probe-client-secret' });
  secrets['finance-gmail-refresh-token'] = await client.issueRefreshToken({ clientId: 'probe-client', user: 'finance@example.com', scopes: ['https://www.googleapis.com/auth/gmail.modify'] });
});
afterAll(async () => {
  await double.stop();
  await firestore.terminate();
});

const runtime = (): SourceProbeRuntime => ({
  pipeline: vendorInbox.name,
  secrets: { read: async (name) => secrets[name] ?? Promise.reject(new Error(`no secret ${name}`)) },
  firestore,
  logger: silentLogger,
  now: () => new Date(),
  localEndpoints: { google: { apiRoot: double.apiRoot, tokenUrl: double.tokenUrl, authUrl: double.authUrl } },
});

describe('source probes', () => {
  it('Gmail: signs in and reads the profile', async () => {
    const gmail = connectors.gmail;
    await gmail.probe!(vendorInbox.source as Extract<Source, { kind: 'gmail' }>, runtime());
    const log = await new GoogleApiDoubleClient(double).requests();
    expect(log.map((r) => r.operation)).toContain('gmail.users.getProfile');
  });

  it('Gmail: a revoked refresh token fails the probe, without the token in the message', async () => {
    const token = secrets['finance-gmail-refresh-token']!;
    await new GoogleApiDoubleClient(double).revokeRefreshToken(token);
    const error = await connectors.gmail.probe!(vendorInbox.source as Extract<Source, { kind: 'gmail' }>, runtime()).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).not.toContain(token);
  });
});
