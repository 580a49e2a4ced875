// ScheduleControl in the cloud: the pipeline's Cloud Scheduler job (shared/topology.ts
// scheduleJobName) paused and resumed with jobs.pause / jobs.resume (cloudscheduler v1). Cloud
// Scheduler pauses only an ENABLED job and resumes only a PAUSED one (FAILED_PRECONDITION otherwise),
// so the job's state is read first and a job already where it should be is left alone: pausing twice
// is not an error, as the pipeline state store has it. The ops function's service account needs
// roles/cloudscheduler.admin (jobs.get/pause/resume) on the project (infra declares it).
import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { cloudscheduler_v1 } from 'googleapis/build/src/apis/cloudscheduler/v1';
import { scheduleJobName } from '../../../shared/topology';
import type { ScheduleControl } from '../ops-deps';

export interface CloudScheduleControlOptions {
  projectId: string;
  // The region the jobs were created in (the Pulumi program's gcp:region).
  region: string;
  prefix: string;
  // Default: Application Default Credentials (the function's service account).
  auth?: AuthClient | GoogleAuth;
  // Default Google's; tests point it at a loopback double.
  rootUrl?: string;
}

export function jobPath(options: Pick<CloudScheduleControlOptions, 'projectId' | 'region' | 'prefix'>, pipeline: string): string {
  return `projects/${options.projectId}/locations/${options.region}/jobs/${scheduleJobName(options.prefix, pipeline)}`;
}

export function createCloudScheduleControl(options: CloudScheduleControlOptions): ScheduleControl {
  const auth = options.auth ?? new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const scheduler = new cloudscheduler_v1.Cloudscheduler({ auth: auth as never, ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) });
  const jobs = scheduler.projects.locations.jobs;

  async function stateOf(name: string): Promise<string | undefined> {
    const { data } = await jobs.get({ name });
    return data.state ?? undefined;
  }

  return {
    async pause(pipeline) {
      const name = jobPath(options, pipeline);
      if ((await stateOf(name)) === 'PAUSED') return;
      await jobs.pause({ name, requestBody: {} });
    },
    async resume(pipeline) {
      const name = jobPath(options, pipeline);
      if ((await stateOf(name)) === 'ENABLED') return;
      await jobs.resume({ name, requestBody: {} });
    },
  };
}
