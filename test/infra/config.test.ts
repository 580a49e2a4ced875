// Pulumi config → SluiceConfig: defaults, validation, and a missing required key named as the
// operator types it, also when `pulumi up` runs infra/index.ts.
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { parseSluiceConfig, SluiceConfigError } from '../../infra/config';
import { installMocks } from './pulumi-mocks';

const reader = (values: Record<string, string>) => (key: string) => values[key];
const minimal = { 'gcp:project': 'demo-project', 'gcp:region': 'us-east1' };

describe('parseSluiceConfig', () => {
  it('applies the defaults', () => {
    expect(parseSluiceConfig(reader(minimal))).toEqual({
      project: 'demo-project',
      region: 'us-east1',
      prefix: 'sluice',
      archiveRetentionDays: 90,
      quarantineRetentionDays: 30,
      stagedRetentionDays: 7,
      logLevel: 'INFO',
      nodeRuntime: 'nodejs22',
    });
  });

  it('reads every optional key', () => {
    const config = parseSluiceConfig(reader({
      ...minimal,
      'sluice:prefix': 'acme',
      'sluice:alertEmail': 'ops@example.com',
      'sluice:archiveRetentionDays': '400',
      'sluice:quarantineRetentionDays': '14',
      'sluice:stagedRetentionDays': '3',
      'sluice:cloudSqlInstance': 'demo-project:us-east1:warehouse',
      'sluice:firestoreDatabase': '(default)',
      'sluice:logLevel': 'debug',
      'sluice:nodeRuntime': 'nodejs24',
    }));
    expect(config).toMatchObject({ prefix: 'acme', alertEmail: 'ops@example.com', archiveRetentionDays: 400, quarantineRetentionDays: 14, stagedRetentionDays: 3, cloudSqlInstance: 'demo-project:us-east1:warehouse', firestoreDatabase: '(default)', logLevel: 'DEBUG', nodeRuntime: 'nodejs24' });
  });

  it.each([
    ['gcp:project', { 'gcp:region': 'us-east1' }],
    ['gcp:region', { 'gcp:project': 'demo-project' }],
    ['gcp:region', { 'gcp:project': 'demo-project', 'gcp:region': '  ' }],
  ])('names the missing key %s', (key, values) => {
    expect(() => parseSluiceConfig(reader(values))).toThrow(new RegExp(`missing required configuration "${key}"`));
  });

  it('still takes sluice:region, which earlier stacks set, when gcp:region is absent', () => {
    expect(parseSluiceConfig(reader({ 'gcp:project': 'demo-project', 'sluice:region': 'europe-west3' })).region).toBe('europe-west3');
    expect(parseSluiceConfig(reader({ 'gcp:project': 'demo-project', 'sluice:region': 'europe-west3', 'gcp:region': 'us-east1' })).region).toBe('us-east1');
  });

  it.each([
    ['sluice:archiveRetentionDays', 'ninety'],
    ['sluice:quarantineRetentionDays', '0'],
    ['sluice:prefix', 'Has_Caps'],
    ['gcp:region', 'nowhere'],
    ['sluice:cloudSqlInstance', 'just-a-name'],
    ['sluice:alertEmail', 'not-an-address'],
    ['sluice:logLevel', 'LOUD'],
    ['sluice:nodeRuntime', 'nodejs18'],
    ['sluice:nodeRuntime', 'python312'],
  ])('rejects a bad %s naming it', (key, value) => {
    expect(() => parseSluiceConfig(reader({ ...minimal, [key]: value }))).toThrow(SluiceConfigError);
    expect(() => parseSluiceConfig(reader({ ...minimal, [key]: value }))).toThrow(key);
  });
});

describe('infra/index.ts', () => {
  it('fails naming the missing key when the stack has no region', async () => {
    await installMocks([]);
    pulumi.runtime.setAllConfig({ 'gcp:project': 'demo-project' });
    await expect(import('../../infra/index')).rejects.toThrow(/"gcp:region"/);
  });
});
