// /health/detailed against the local cloud's real parts: Firestore, Pub/Sub and Cloud Storage
// emulators, PostgreSQL with the pipeline's database secret, the SFTP server through the SFTP
// connector's probe. A database that refuses us is 'down' (required) and its password never
// appears in the report; a source that cannot be reached is 'degraded'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEndpointsOf } from '../../../emulator/local-endpoints';
import { createHealthChecks } from '../../../functions/ops/health/create-health-checks';
import { silentLogger } from '../../../shared/logger';
import { createRedactor } from '../../../shared/redact';
import { topicName } from '../../../shared/topology';
import { restaurantPos } from '../../../pipelines/restaurant-pos';
import type { SecretReader } from '../../../functions/runtime/context';
import { connectors } from '../../../functions/fetch/sources/connectors';
import { firestoreFor, localCloud, pubsubFor, storageFor, uniqueName, uniqueProjectId } from '../../support/local-cloud';

const projectId = uniqueProjectId('health');
const prefix = 'sluice';
const bucket = uniqueName('health');
const firestore = firestoreFor(projectId);
const pubsub = pubsubFor(projectId);
const storage = storageFor(projectId);

const secretsOf = (values: Record<string, string>, redactor = createRedactor()): SecretReader => ({
  async read(name) {
    const value = values[name];
    if (value === undefined) throw new Error(`secret "${name}" is not set`);
    redactor.addSecret(value);
    return value;
  },
});

beforeAll(async () => {
  await pubsub.createTopic(topicName(prefix, restaurantPos.name, 'fetch'));
  await storage.createBucket(bucket);
});
afterAll(async () => {
  await Promise.allSettled([pubsub.close(), firestore.terminate()]);
});

function checks(secrets: Record<string, string>, redactor = createRedactor()) {
  const endpoints = localCloud();
  return createHealthChecks(
    {
      pipelines: [restaurantPos], firestore, pubsub, storage, bucket, prefix,
      secrets: secretsOf(secrets, redactor), localEndpoints: localEndpointsOf(endpoints), logger: silentLogger, now: () => new Date(),
    },
    { redactor, timeoutMs: 5000 },
  );
}

describe('health checks', () => {
  it('reports every dependency ok with its latency, the SFTP source probed for real', async () => {
    const endpoints = localCloud();
    const report = await checks({ 'pos-database-url': endpoints.databaseUrl, 'pos-sftp-password': endpoints.sftp.password }).detailed();
    expect(report.dependencies.map((d) => [d.name, d.pipeline ?? '', d.ok, d.error ?? ''])).toEqual([
      ['firestore', '', true, ''],
      ['pubsub', '', true, ''],
      ['storage', '', true, ''],
      ['postgres', 'restaurant-pos', true, ''],
      ['source:sftp', 'restaurant-pos', true, ''],
    ]);
    expect(report.status).toBe('ok');
    for (const d of report.dependencies) expect(d.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('is down when the database refuses us, without its password in the report', async () => {
    const endpoints = localCloud();
    const url = new URL(endpoints.databaseUrl);
    url.password = 'Wr0ngPassw0rd-s3cret';
    const report = await checks({ 'pos-database-url': url.toString(), 'pos-sftp-password': endpoints.sftp.password }).detailed();
    const postgres = report.dependencies.find((d) => d.name === 'postgres');
    expect(postgres?.ok).toBe(false);
    expect(report.status).toBe('down');
    expect(JSON.stringify(report)).not.toContain('Wr0ngPassw0rd-s3cret');
  });

  it('is degraded when the source refuses the login, and says so without the password', async () => {
    const endpoints = localCloud();
    const report = await checks({ 'pos-database-url': endpoints.databaseUrl, 'pos-sftp-password': 'not-the-password-xyz' }).detailed();
    const source = report.dependencies.find((d) => d.name === 'source:sftp');
    expect(source?.ok).toBe(false);
    expect(source?.required).toBe(false);
    expect(report.status).toBe('degraded');
    expect(JSON.stringify(report)).not.toContain('not-the-password-xyz');
  });

  it('is down when the bucket is missing', async () => {
    const endpoints = localCloud();
    const report = await createHealthChecks({
      pipelines: [restaurantPos], firestore, pubsub, storage, bucket: uniqueName('missing'), prefix,
      secrets: secretsOf({ 'pos-database-url': endpoints.databaseUrl, 'pos-sftp-password': endpoints.sftp.password }),
      localEndpoints: localEndpointsOf(endpoints), logger: silentLogger, now: () => new Date(),
    }, { connectors: { ...connectors, sftp: { ...connectors.sftp, probe: async () => undefined } } }).detailed();
    expect(report.dependencies.find((d) => d.name === 'storage')).toMatchObject({ ok: false, error: expect.stringContaining('does not exist') });
    expect(report.status).toBe('down');
  });
});
