// The Google APIs a Sluice deployment calls. Enabled by the program so a first `pulumi up` in a
// fresh project works; never disabled on destroy (other workloads in the project may use them).
import * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';

export const REQUIRED_APIS = [
  'artifactregistry.googleapis.com', // function images built by Cloud Build
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudresourcemanager.googleapis.com', // project IAM members, project number look-up
  'cloudscheduler.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com',
  'monitoring.googleapis.com', // dead-letter alert policy
  'pubsub.googleapis.com',
  'run.googleapis.com', // gen2 functions are Cloud Run services
  'secretmanager.googleapis.com',
  'storage.googleapis.com',
] as const;

export function enableApis(project: string, opts?: pulumi.CustomResourceOptions): gcp.projects.Service[] {
  return REQUIRED_APIS.map((service) => new gcp.projects.Service(`api-${service.split('.')[0]}`, {
    project,
    service,
    disableOnDestroy: false,
    disableDependentServices: false,
  }, opts));
}
