// The data bucket (areas raw/staged/archive/quarantine are prefixes, one bucket per deployment) and
// the sources bucket holding each stage's bundle. Both: uniform bucket-level access (required for
// the per-area IAM conditions, and no object ACLs to leak through), public access prevention enforced.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StageName } from '../shared/stage-declaration';
import type { SluiceConfig } from './config';
import { dataBucketName, sourceBucketName } from './naming';

// Age-based deletion by area. Raw objects are left alone: they are the input a retry starts from,
// and the stages delete them once loaded or quarantined.
export function lifecycleRulesFor(config: Pick<SluiceConfig, 'archiveRetentionDays' | 'quarantineRetentionDays' | 'stagedRetentionDays'>): gcp.types.input.storage.BucketLifecycleRule[] {
  const deleteAfter = (prefix: string, days: number): gcp.types.input.storage.BucketLifecycleRule => ({
    action: { type: 'Delete' },
    condition: { age: days, matchesPrefixes: [prefix] },
  });
  return [
    deleteAfter('archive/', config.archiveRetentionDays),
    deleteAfter('quarantine/', config.quarantineRetentionDays),
    // Staged files normally end in archive or quarantine; what a failed run leaves behind goes too,
    // including the staged data a file whose load failed keeps for a rerun from load (so that rerun
    // must come within this many days; later, rerun from transform).
    deleteAfter('staged/', config.stagedRetentionDays),
  ];
}

export function declareBuckets(config: SluiceConfig, opts?: pulumi.CustomResourceOptions): { data: gcp.storage.Bucket; sources: gcp.storage.Bucket } {
  const common = {
    project: config.project,
    location: config.region.toUpperCase(),
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    labels: { sluice: 'true' },
  };
  const data = new gcp.storage.Bucket('data-bucket', {
    ...common,
    name: dataBucketName(config),
    lifecycleRules: lifecycleRulesFor(config),
    // Keep pipeline data if the stack is destroyed by mistake: emptying the bucket is a deliberate act.
    forceDestroy: false,
  }, opts);
  const sources = new gcp.storage.Bucket('sources-bucket', {
    ...common,
    name: sourceBucketName(config),
    forceDestroy: true,
  }, opts);
  return { data, sources };
}

export interface BundleOptions {
  // Where scripts/build-functions.ts wrote `<stage>.zip`.
  bundleDir: string;
  // A real deploy needs the bundles; unit tests under mocks run without building them.
  requireBundles: boolean;
}

export class MissingBundleError extends Error {
  override name = 'MissingBundleError';
}

// A stage's bundle, or the ops function's (`ops`): scripts/build-functions.ts writes both alike.
export type BundleName = StageName | 'ops';

export interface LocatedBundle {
  stage: BundleName;
  path: string;
  objectName: string;
}

// Where each stage's zip is and the object name it gets. The name carries the zip's hash, so a changed
// bundle is a new object and the functions redeploy; an unchanged one changes nothing. Checked before
// anything is declared, so a deploy without `npm run build` stops at once with the reason.
export function locateBundles(stages: readonly BundleName[], options: BundleOptions): LocatedBundle[] {
  return stages.map((stage) => {
    const path = join(options.bundleDir, `${stage}.zip`);
    if (existsSync(path)) {
      const hash = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
      return { stage, path, objectName: `functions/${stage}-${hash}.zip` };
    }
    if (options.requireBundles) {
      throw new MissingBundleError(`bundle ${path} is missing: run \`npm run build\` before \`pulumi up\``);
    }
    return { stage, path, objectName: `functions/${stage}.zip` };
  });
}

// One uploaded zip per stage; functions of every pipeline share their stage's bundle.
export function declareBundles(
  located: readonly LocatedBundle[],
  sources: gcp.storage.Bucket,
  opts?: pulumi.CustomResourceOptions,
): Map<BundleName, gcp.storage.BucketObject> {
  const objects = new Map<BundleName, gcp.storage.BucketObject>();
  for (const bundle of located) {
    objects.set(bundle.stage, new gcp.storage.BucketObject(`bundle-${bundle.stage}`, {
      bucket: sources.name,
      name: bundle.objectName,
      contentType: 'application/zip',
      // Read only when Pulumi uploads it; unit tests under mocks run without building.
      source: new pulumi.asset.FileAsset(bundle.path),
    }, opts));
  }
  return objects;
}
