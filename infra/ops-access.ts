// What the ops function's identity may do, as plain data derived from the pipeline definitions and
// the ops declaration (pipelines/ops.ts): the program turns it into IAM members (components/
// ops-function.ts), the tests check it, infra/README.md explains it. Least privilege per control:
//  - Firestore (runs, pipeline state, dead letters): datastore.user, on the one database only.
//  - trigger, rerun and dead-letter replay publish to the pipelines' stage input topics: publisher
//    on each of those topics, not on the project.
//  - rerun of failed files copies raw objects back into raw/<pipeline>/: objectViewer and
//    objectCreator there, nothing in the other areas.
//  - pause/resume pause and resume the pipeline's scheduler job: Cloud Scheduler grants only at
//    project level, so a custom role holding get/list/pause/enable (resume is `enable`), not
//    roles/cloudscheduler.admin, whose jobs.create could make a job publishing to any topic.
//  - run logs: logging.viewer (Cloud Logging has no narrower grant for reading entries by label).
//  - detailed health checks connect to each pipeline's database and source: secretAccessor on those
//    secrets only.
import { OBJECT_ROLES } from '../shared/bucket-access';
import type { OpsDefinition } from '../shared/ops-definition';
import type { Pipeline } from '../shared/pipeline-definition';
import type { BucketArea, StageDeclaration } from '../shared/stage-declaration';
import { rotatedSecretsForStage, secretsForStage } from '../shared/stage-secrets';
import { scheduleJobName, topicName } from '../shared/topology';

// The permissions of the custom role pause/resume run with (Cloud Scheduler's own names).
export const SCHEDULER_CONTROL_PERMISSIONS = [
  'cloudscheduler.jobs.enable',
  'cloudscheduler.jobs.get',
  'cloudscheduler.jobs.list',
  'cloudscheduler.jobs.pause',
] as const;

export const OPS_ROLES = {
  logViewer: 'roles/logging.viewer',
} as const;

export interface OpsBucketGrant {
  pipeline: string;
  area: BucketArea;
  role: (typeof OBJECT_ROLES)[keyof typeof OBJECT_ROLES];
}

export interface OpsAccess {
  publishTopics: string[];
  bucket: OpsBucketGrant[];
  // The scheduler jobs pause/resume act on (informative: the grant is project-wide, see above).
  scheduleJobs: string[];
  secrets: string[];
  // Of those, OAuth refresh tokens Google may rotate: read from Secret Manager on use, not pinned in
  // the environment at the version current at start (as the stages do).
  rotatedSecrets: string[];
  // Principals granted run.invoker: operators and viewers (the API maps them to roles per call).
  invokers: string[];
}

// What a health check reads of a pipeline, said in the stages' own terms so the same derivation
// (shared/stage-secrets.ts) names the secrets.
const HEALTH_CHECK_USES: Pick<StageDeclaration, 'uses'> = {
  uses: { bucket: { read: [], write: [], delete: [] }, firestore: false, database: true, secrets: ['database', 'source'] },
};

export function opsAccessOf(pipelines: readonly Pipeline[], stages: ReadonlyArray<Pick<StageDeclaration, 'name'>>, ops: OpsDefinition, prefix: string): OpsAccess {
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
  return {
    publishTopics: sorted(pipelines.flatMap((p) => stages.map((s) => topicName(prefix, p.name, s.name)))),
    bucket: pipelines.flatMap((p) => [
      { pipeline: p.name, area: 'raw' as const, role: OBJECT_ROLES.objectViewer },
      { pipeline: p.name, area: 'raw' as const, role: OBJECT_ROLES.objectCreator },
    ]),
    scheduleJobs: sorted(pipelines.filter((p) => p.schedule).map((p) => scheduleJobName(prefix, p.name))),
    secrets: sorted(pipelines.flatMap((p) => secretsForStage(p, HEALTH_CHECK_USES))),
    rotatedSecrets: sorted(pipelines.flatMap((p) => rotatedSecretsForStage(p, HEALTH_CHECK_USES))),
    invokers: sorted([...ops.viewers, ...ops.operators]),
  };
}
