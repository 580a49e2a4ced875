// Deployment settings from Pulumi config, validated once. Reading goes through a `read(key)` function
// so tests can hand in plain objects; `loadSluiceConfig()` is the Pulumi-backed reader. A missing or
// bad value fails naming the full key (e.g. "gcp:region"), as the operator types it.
import * as pulumi from '@pulumi/pulumi';

export interface SluiceConfig {
  project: string;
  region: string;
  // Prefix of every name this deployment creates; matches SLUICE_PREFIX at run time.
  prefix: string;
  // Operator e-mail for the dead-letter alert policy; none → no policy.
  alertEmail?: string;
  archiveRetentionDays: number;
  quarantineRetentionDays: number;
  stagedRetentionDays: number;
  // Cloud SQL instance connection name; set → stages that use the database get roles/cloudsql.client.
  cloudSqlInstance?: string;
  // An existing Firestore database to use; unset → the program creates "(default)".
  firestoreDatabase?: string;
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  // Cloud Functions runtime, e.g. "nodejs22". The deploy build writes each stage's V8 code cache with
  // this runtime's Node.js (scripts/build-functions.ts), so the cache always matches it.
  nodeRuntime: string;
}

export class SluiceConfigError extends Error {
  override name = 'SluiceConfigError';
}

export type ConfigReader = (key: string) => string | undefined;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
// Node.js 20 reached end of life in April 2026; 22 is the oldest maintained runtime.
export const DEFAULT_NODE_RUNTIME = 'nodejs22';

export function parseSluiceConfig(read: ConfigReader): SluiceConfig {
  const text = (key: string): string | undefined => {
    const value = read(key)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (key: string): string => {
    const value = text(key);
    if (value === undefined) {
      throw new SluiceConfigError(`missing required configuration "${key}": set it with \`pulumi config set ${key} <value>\``);
    }
    return value;
  };
  const days = (key: string, fallback: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 3650) {
      throw new SluiceConfigError(`configuration "${key}" must be a whole number of days within 1..3650, got "${value}"`);
    }
    return n;
  };
  const match = (key: string, value: string | undefined, pattern: RegExp, what: string): void => {
    if (value !== undefined && !pattern.test(value)) throw new SluiceConfigError(`configuration "${key}" ${what}, got "${value}"`);
  };

  const project = required('gcp:project');
  // The region every Pulumi GCP program reads (`pulumi config set gcp:region …`); `sluice:region`, which
  // earlier stacks set, is still taken when gcp:region is absent.
  const regionKey = text('gcp:region') === undefined && text('sluice:region') !== undefined ? 'sluice:region' : 'gcp:region';
  const region = required(regionKey);
  const prefix = text('sluice:prefix') ?? 'sluice';
  const alertEmail = text('sluice:alertEmail');
  const cloudSqlInstance = text('sluice:cloudSqlInstance');
  const firestoreDatabase = text('sluice:firestoreDatabase');
  const logLevel = (text('sluice:logLevel') ?? 'INFO').toUpperCase();
  const nodeRuntime = text('sluice:nodeRuntime') ?? DEFAULT_NODE_RUNTIME;

  match('gcp:project', project, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id');
  match(regionKey, region, /^[a-z]+-[a-z]+\d+$/, 'must be a region such as "us-east1"');
  // Same rule as SLUICE_PREFIX in shared/runtime-config.ts, so the functions accept what we deploy.
  match('sluice:prefix', prefix, /^[a-z][a-z0-9-]{0,20}$/, 'must be 1-21 lower-case letters, digits or -, starting with a letter');
  match('sluice:alertEmail', alertEmail, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an e-mail address');
  match('sluice:cloudSqlInstance', cloudSqlInstance, /^[^:\s]+(:[^:\s]+)?:[a-z]+-[a-z]+\d+:[a-z][a-z0-9-]*$/, 'must be a connection name "project:region:instance"');
  match('sluice:firestoreDatabase', firestoreDatabase, /^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/, 'must be "(default)" or a Firestore database id');
  // The bundles target Node.js 20 syntax (scripts/build-functions.ts); older runtimes cannot run them.
  match('sluice:nodeRuntime', nodeRuntime, /^nodejs(2\d|[3-9]\d)$/, 'must be a Cloud Functions Node.js runtime of version 20 or later, such as "nodejs22"');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new SluiceConfigError(`configuration "sluice:logLevel" must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  return {
    project,
    region,
    prefix,
    ...(alertEmail !== undefined ? { alertEmail } : {}),
    archiveRetentionDays: days('sluice:archiveRetentionDays', 90),
    quarantineRetentionDays: days('sluice:quarantineRetentionDays', 30),
    stagedRetentionDays: days('sluice:stagedRetentionDays', 7),
    ...(cloudSqlInstance !== undefined ? { cloudSqlInstance } : {}),
    ...(firestoreDatabase !== undefined ? { firestoreDatabase } : {}),
    logLevel: logLevel as SluiceConfig['logLevel'],
    nodeRuntime,
  };
}

// Reads "namespace:key" from the current stack's Pulumi config.
export function pulumiConfigReader(): ConfigReader {
  const namespaces = new Map<string, pulumi.Config>();
  return (key) => {
    const at = key.indexOf(':');
    const namespace = key.slice(0, at);
    let config = namespaces.get(namespace);
    if (!config) {
      config = new pulumi.Config(namespace);
      namespaces.set(namespace, config);
    }
    return config.get(key.slice(at + 1));
  };
}

export function loadSluiceConfig(): SluiceConfig {
  return parseSluiceConfig(pulumiConfigReader());
}
