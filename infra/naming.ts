// Cloud names the Pulumi program adds to those of shared/topology.ts: service accounts, buckets and
// the IAM condition that confines a grant to one area of one pipeline. Plain strings, so tests and the
// README table can be derived without running Pulumi.
import { createHash } from 'node:crypto';
import type { BucketArea } from '../shared/stage-declaration';
import { areaPrefix } from '../shared/topology';
import type { SluiceConfig } from './config';

// Service account ids are 6-30 characters [a-z0-9-], starting with a letter. A function name
// (`<prefix>-<pipeline>-<stage>`) can be longer, so a long one is cut and made unique again with a
// short hash of the whole name; the account's display name keeps the full function name.
export function serviceAccountId(name: string): string {
  if (name.length < 6) return `${name}-account`;
  if (name.length <= 30) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  const head = name.slice(0, 23).replace(/-+$/, '');
  return `${head}-${hash}`;
}

export function invokerAccountId(prefix: string): string {
  return serviceAccountId(`${prefix}-invoker`);
}

export function builderAccountId(prefix: string): string {
  return serviceAccountId(`${prefix}-builder`);
}

export function serviceAccountEmail(accountId: string, project: string): string {
  return `${accountId}@${project}.iam.gserviceaccount.com`;
}

// Bucket names are global: the project id makes them unique, the prefix separates deployments.
export function dataBucketName(config: Pick<SluiceConfig, 'prefix' | 'project'>): string {
  return `${config.prefix}-${config.project}-data`;
}

export function sourceBucketName(config: Pick<SluiceConfig, 'prefix' | 'project'>): string {
  return `${config.prefix}-${config.project}-sources`;
}

// The Firestore database the functions use: the configured existing one, or the one we create.
export function firestoreDatabaseName(config: Pick<SluiceConfig, 'firestoreDatabase'>): string {
  return config.firestoreDatabase ?? '(default)';
}

// IAM condition confining an object grant to `<area>/<pipeline>/` of the data bucket. Object
// resource names in IAM conditions have the form projects/_/buckets/<bucket>/objects/<object>.
export function objectPrefixCondition(bucket: string, area: BucketArea, pipeline: string): { title: string; expression: string; description: string } {
  return {
    title: `${area}-${pipeline}`,
    description: `Only objects under ${areaPrefix(area, pipeline)}`,
    expression: `resource.name.startsWith("projects/_/buckets/${bucket}/objects/${areaPrefix(area, pipeline)}")`,
  };
}
