// The Google APIs a Sluice deployment calls: these always, plus those its pipelines' connectors call
// (Gmail, Drive: each connector's topology.ts says, shared/topology.ts collects them per pipeline).
// Enabled by the program so a first `pulumi up` in a fresh project works; never disabled on destroy
// (other workloads in the project may use them).
import * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';

export const REQUIRED_APIS = [
  'artifactregistry.googleapis.com', // function images built by Cloud Build
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudresourcemanager.googleapis.com', // project IAM members, project number look-up
  'cloudscheduler.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com', // also the ops function's custom role (scheduler pause/resume)
  'logging.googleapis.com', // run logs, read by the ops function
  'monitoring.googleapis.com', // dead-letter alert policy
  'pubsub.googleapis.com',
  'run.googleapis.com', // gen2 functions are Cloud Run services
  'secretmanager.googleapis.com',
  'storage.googleapis.com',
] as const;

// REQUIRED_APIS and `connectorServices`, each once, sorted.
export function servicesToEnable(connectorServices: readonly string[]): string[] {
  return [...new Set([...REQUIRED_APIS, ...connectorServices])].sort();
}

export function enableApis(project: string, connectorServices: readonly string[] = [], opts?: pulumi.CustomResourceOptions): gcp.projects.Service[] {
  return servicesToEnable(connectorServices).map((service) => new gcp.projects.Service(`api-${service.split('.')[0]}`, {
    project,
    service,
    disableOnDestroy: false,
    disableDependentServices: false,
  }, opts));
}
