// Everything the ops service is built from. The ops function builds it from its configuration in the
// cloud (ops-runtime.ts); the local cloud builds it with local stand-ins for the two parts Google
// runs for us (Cloud Scheduler, Cloud Logging).
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import type { Logger } from '../../shared/logger';
import type { OpsDefinition } from '../../shared/ops-definition';
import type { Pipeline } from '../../shared/pipeline-definition';
import type { SecretReader } from '../runtime/context';
import type { DeadLetterStore } from '../runtime/dead-letter-store';
import type { PipelineStateStore } from '../runtime/pipeline-state-store';
import type { RunStore } from '../runtime/run-store';
import type { LogPage } from './api-schemas';

// Pauses and resumes a pipeline's scheduler job: Cloud Scheduler's jobs.pause/resume in the cloud,
// the local scheduler's in the local cloud.
export interface ScheduleControl {
  pause(pipeline: string): Promise<void>;
  resume(pipeline: string): Promise<void>;
}

// The log lines of one run: Cloud Logging (filter on jsonPayload.runId) in the cloud, the local
// cloud's log stream locally.
export interface RunLogSource {
  logsOf(runId: string, options: { pipeline?: string; limit: number; pageToken?: string }): Promise<LogPage>;
}

export interface OpsDeps {
  pipelines: readonly Pipeline[];
  ops: OpsDefinition;
  projectId: string;
  prefix: string;
  bucket: string;
  firestore: Firestore;
  pubsub: PubSub;
  storage: Storage;
  runs: RunStore;
  pipelineStates: PipelineStateStore;
  deadLetters: DeadLetterStore;
  schedules: ScheduleControl;
  logs: RunLogSource;
  // The pipelines' secrets the health checks need (database URLs, source credentials).
  secrets: SecretReader;
  // Local cloud only: SLUICE_LOCAL_ENDPOINTS, as the stages get it.
  localEndpoints: Readonly<Record<string, unknown>>;
  // The dashboard's base URL, for links (ops.dashboardUrl, else the function's own URL).
  dashboardUrl: string;
  logger: Logger;
  now: () => Date;
}
