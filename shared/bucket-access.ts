// Who may do what in the pipeline bucket, as plain data: the object roles a stage's `uses.bucket`
// becomes (each confined to `<area>/<pipeline>/`), and the identity a function's Storage client
// presents to the local Cloud Storage emulator. The Pulumi program (infra/access-plan.ts) turns the
// grants into IAM members; the local cloud registers the same grants with its emulator, which
// enforces them — one derivation, so local runs fail where the cloud would answer 403.
import type { BucketArea, StageDeclaration } from './stage-declaration';
import { areaPrefix } from './topology';

export const OBJECT_ROLES = {
  objectViewer: 'roles/storage.objectViewer',
  objectCreator: 'roles/storage.objectCreator',
  objectUser: 'roles/storage.objectUser',
} as const;

export type ObjectRole = (typeof OBJECT_ROLES)[keyof typeof OBJECT_ROLES];

export interface BucketGrant {
  area: BucketArea;
  role: ObjectRole;
}

// The narrowest predefined object roles covering an area's use: objectUser is the smallest one
// that can delete (and so overwrite or move); otherwise objectViewer to read, objectCreator to write.
export function bucketGrantsFor(uses: StageDeclaration['uses']['bucket']): BucketGrant[] {
  const areas = [...new Set([...uses.read, ...uses.write, ...uses.delete])].sort();
  const grants: BucketGrant[] = [];
  for (const area of areas) {
    if (uses.delete.includes(area)) {
      grants.push({ area, role: OBJECT_ROLES.objectUser });
      continue;
    }
    if (uses.read.includes(area)) grants.push({ area, role: OBJECT_ROLES.objectViewer });
    if (uses.write.includes(area)) grants.push({ area, role: OBJECT_ROLES.objectCreator });
  }
  return grants;
}

// A grant as an IAM binding on one bucket: the role, conditioned on object names starting with
// `objectPrefix` (what infra/naming.ts objectPrefixCondition expresses in CEL).
export interface ObjectBinding {
  bucket: string;
  role: ObjectRole;
  objectPrefix: string;
}

export function objectBindingsFor(bucket: string, pipeline: string, uses: StageDeclaration['uses']['bucket']): ObjectBinding[] {
  return bucketGrantsFor(uses).map((g) => ({ bucket, role: g.role, objectPrefix: areaPrefix(g.area, pipeline) }));
}

// Local cloud only: the bearer token a function's Storage client sends to the emulator, naming the
// function and its project as its service account's email does in Google Cloud (tests deploy the
// same pipeline into several projects against one emulator at once). Requests without one are the
// operator's.
export const LOCAL_IDENTITY_PREFIX = 'sluice-fn:';

export function localStorageIdentity(functionName: string, projectId: string): string {
  return `${LOCAL_IDENTITY_PREFIX}${functionName}@${projectId}`;
}
