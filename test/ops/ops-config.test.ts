// The ops function's configuration: parsed once, failing with the field's name; the dev token and a
// certs override are refused outside the local cloud; the audience defaults to the function's URL.
import { describe, expect, it } from 'vitest';
import { audiencesOf, parseOpsConfig } from '../../functions/ops/ops-config';
import { opsSecretNames } from '../../functions/ops/ops-runtime';
import { restaurantPos } from '../../pipelines/restaurant-pos';

const cloud = { GOOGLE_CLOUD_PROJECT: 'demo-project', SLUICE_BUCKET: 'demo-bucket', SLUICE_REGION: 'europe-west1' };

describe('ops config', () => {
  it('defaults the audience to the function URL from region, project and prefix', () => {
    expect(audiencesOf(parseOpsConfig(cloud))).toEqual(['https://europe-west1-demo-project.cloudfunctions.net/sluice-ops']);
    expect(audiencesOf(parseOpsConfig({ ...cloud, SLUICE_OPS_AUDIENCES: 'https://a.example, https://b.example' }))).toEqual(['https://a.example', 'https://b.example']);
  });

  it('refuses the dev token and a certs override in the cloud, naming the field', () => {
    expect(() => parseOpsConfig({ ...cloud, SLUICE_OPS_DEV_TOKEN: 'x'.repeat(32) })).toThrow(/SLUICE_OPS_DEV_TOKEN: is for the local cloud only/);
    expect(() => parseOpsConfig({ ...cloud, SLUICE_OPS_CERTS_URL: 'http://127.0.0.1:1/certs' })).toThrow(/SLUICE_OPS_CERTS_URL/);
    expect(() => parseOpsConfig({ GOOGLE_CLOUD_PROJECT: 'p', SLUICE_BUCKET: 'bucket' })).toThrow(/SLUICE_REGION: is required in the cloud/);
    const local = parseOpsConfig({ GOOGLE_CLOUD_PROJECT: 'p', SLUICE_BUCKET: 'bucket', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080', SLUICE_OPS_DEV_TOKEN: 'x'.repeat(32), SLUICE_LOCAL_ENDPOINTS: '{"sftp":{}}' });
    expect(local.SLUICE_OPS_DEV_TOKEN).toBe('x'.repeat(32));
    expect(local.SLUICE_LOCAL_ENDPOINTS).toEqual({ sftp: {} });
    expect(() => parseOpsConfig({ ...cloud, SLUICE_BUCKET: '' })).toThrow(/SLUICE_BUCKET/);
    expect(() => parseOpsConfig({ ...cloud, SLUICE_LOCAL_ENDPOINTS: '[1]' })).toThrow(/SLUICE_LOCAL_ENDPOINTS: must be a JSON object/);
  });

  it('reads only the pipelines\' database and source secrets', () => {
    expect(opsSecretNames([restaurantPos])).toEqual(['pos-database-url', 'pos-sftp-password']);
  });
});
