// What each stage function's identity may do, derived from the stage's `uses` and `publishesTo`
// and the pipeline definition. Plain data: the program turns it into IAM members, the tests check
// it against the declared resources, and infra/README.md explains it. Nothing here is granted
// project-wide except Cloud SQL client, which has no narrower resource to bind to, and Firestore,
// granted on the project but conditioned on the one database (infra/naming.ts).
import { bucketGrantsFor, OBJECT_ROLES, type BucketGrant } from '../shared/bucket-access';
import type { Pipeline } from '../shared/pipeline-definition';
import type { StageDeclaration } from '../shared/stage-declaration';
import { rotatedSecretsForStage, secretsForStage } from '../shared/stage-secrets';
import { deadLetterTopicName, functionName, topicName } from '../shared/topology';

export const ROLES = {
  ...OBJECT_ROLES,
  publisher: 'roles/pubsub.publisher',
  subscriber: 'roles/pubsub.subscriber',
  firestoreUser: 'roles/datastore.user',
  cloudSqlClient: 'roles/cloudsql.client',
  secretAccessor: 'roles/secretmanager.secretAccessor',
  // Adds a version to a secret, nothing else (no reading of other versions, no deleting): the
  // refresh token Google rotated, written back by the stage that signed in with it.
  secretVersionAdder: 'roles/secretmanager.secretVersionAdder',
  runInvoker: 'roles/run.invoker',
  tokenCreator: 'roles/iam.serviceAccountTokenCreator',
  logWriter: 'roles/logging.logWriter',
  imageWriter: 'roles/artifactregistry.writer',
} as const;

// The object grants are derived in shared/bucket-access.ts, which the local cloud's Cloud Storage
// emulator enforces too; re-exported here for the program and its tests.
export { bucketGrantsFor, type BucketGrant };

export interface FunctionAccess {
  functionName: string;
  pipeline: string;
  stage: StageDeclaration['name'];
  // Topics it may publish to: the next stages' topics and its own dead-letter topic (the runner
  // dead-letters a message it cannot parse itself, with the reason).
  publishTopics: string[];
  // Object roles, each confined by an IAM condition to `<area>/<pipeline>/`.
  bucket: BucketGrant[];
  firestore: boolean;
  cloudSql: boolean;
  secrets: string[];
  // Of those, the OAuth refresh tokens it may store a new version of (shared/stage-secrets.ts).
  rotatedSecrets: string[];
}

export function accessOf(
  pipeline: Pipeline,
  stage: Readonly<StageDeclaration>,
  prefix: string,
  options: { cloudSqlInstance?: string | undefined },
): FunctionAccess {
  const p = pipeline.name;
  return {
    functionName: functionName(prefix, p, stage.name),
    pipeline: p,
    stage: stage.name,
    publishTopics: [...new Set([...stage.publishesTo.map((s) => topicName(prefix, p, s)), deadLetterTopicName(prefix, p, stage.name)])],
    bucket: bucketGrantsFor(stage.uses.bucket),
    firestore: stage.uses.firestore,
    cloudSql: stage.uses.database && options.cloudSqlInstance !== undefined,
    secrets: secretsForStage(pipeline, stage),
    rotatedSecrets: rotatedSecretsForStage(pipeline, stage),
  };
}
