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

// The Artifact Registry repository the function builds push their images to. Our own, named in the
// build config (buildConfig.dockerRepository), rather than the `gcf-artifacts` repository Cloud
// Functions creates on first deploy: a repository we declare exists before the builder's grant on
// it, so that grant can be scoped to it instead of the whole project.
export function functionImagesRepositoryId(prefix: string): string {
  return `${prefix}-functions`;
}

// IAM condition confining a Firestore role to one database, as Google documents per-database access
// (https://cloud.google.com/firestore/native/docs/manage-databases#configure_per-database_access_permissions):
// `resource.name=="projects/PROJECT_ID/databases/DATABASE_ID"`.
export function firestoreDatabaseCondition(project: string, database: string): { title: string; expression: string; description: string } {
  return {
    title: `firestore-${database.replace(/[()]/g, '')}`,
    description: `Only the Firestore database ${database}`,
    expression: `resource.name == "projects/${project}/databases/${database}"`,
  };
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

// The one ops function of a deployment (API + dashboard), `<prefix>-ops`: no pipeline's stage
// function can take that name, since theirs always end in a stage name.
export function opsFunctionName(prefix: string): string {
  return `${prefix}-ops`;
}

// The custom role the ops function pauses and resumes scheduler jobs with (ids: [a-zA-Z0-9_.]{3,64}).
export function schedulerControlRoleId(prefix: string): string {
  return `${prefix.replace(/-/g, '_')}_scheduler_control`;
}
