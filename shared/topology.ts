// Names and wiring of every topic, subscription, function, notification and schedule, derived from a
// pipeline definition and the stage declarations. The local cloud creates exactly these; the Pulumi
// program declares exactly these. Plain data in, plain data out.
import type { Pipeline } from './pipeline-definition';
import type { BucketArea, StageDeclaration, StageName } from './stage-declaration';

export function functionName(prefix: string, pipeline: string, stage: StageName): string {
  return `${prefix}-${pipeline}-${stage}`;
}
export function topicName(prefix: string, pipeline: string, stage: StageName): string {
  return `${prefix}-${pipeline}-${stage}`;
}
export function deadLetterTopicName(prefix: string, pipeline: string, stage: StageName): string {
  return `${prefix}-${pipeline}-${stage}-dead-letter`;
}
export function pushSubscriptionName(prefix: string, pipeline: string, stage: StageName): string {
  return `${prefix}-${pipeline}-${stage}-push`;
}
export function scheduleJobName(prefix: string, pipeline: string): string {
  return `${prefix}-${pipeline}-schedule`;
}
export function watchdogJobName(prefix: string, pipeline: string): string {
  return `${prefix}-${pipeline}-watchdog`;
}
// Object names are `<area>/<pipeline>/<run id>/<file>`; areas are prefixes of one bucket.
export function areaPrefix(area: BucketArea, pipeline: string): string {
  return `${area}/${pipeline}/`;
}

export interface PushSubscriptionPlan {
  subscription: string;
  topic: string;
  // The function the subscription pushes to.
  targetFunction: string;
  targetStage: StageName;
  ackDeadlineSeconds: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

export interface PullSubscriptionPlan {
  subscription: string;
  topic: string;
  // Why it exists: a dead-letter topic with no subscription would drop what it receives.
  purpose: string;
}

export interface PipelineTopology {
  pipeline: string;
  functions: Array<{ name: string; stage: StageName }>;
  topics: Array<{ name: string; stage: StageName; kind: 'input' | 'dead-letter' }>;
  pushSubscriptions: PushSubscriptionPlan[];
  pullSubscriptions: PullSubscriptionPlan[];
  bucketNotifications: Array<{ topic: string; objectNamePrefix: string; eventTypes: ['OBJECT_FINALIZE']; payloadFormat: 'JSON_API_V1' }>;
  schedules: Array<{ name: string; description: string; cron: string; timeZone: string; topic: string; payload: Record<string, string> }>;
}

export function topologyOf(
  pipeline: Pipeline,
  stages: ReadonlyArray<Readonly<StageDeclaration>>,
  prefix: string,
): PipelineTopology {
  const p = pipeline.name;
  const notify = stages.find((s) => s.name === 'notify');
  const topology: PipelineTopology = {
    pipeline: p,
    functions: [],
    topics: [],
    pushSubscriptions: [],
    pullSubscriptions: [],
    bucketNotifications: [],
    schedules: [],
  };
  for (const stage of stages) {
    const fn = functionName(prefix, p, stage.name);
    topology.functions.push({ name: fn, stage: stage.name });
    topology.topics.push({ name: topicName(prefix, p, stage.name), stage: stage.name, kind: 'input' });
    topology.topics.push({ name: deadLetterTopicName(prefix, p, stage.name), stage: stage.name, kind: 'dead-letter' });
    topology.pushSubscriptions.push({
      subscription: pushSubscriptionName(prefix, p, stage.name),
      topic: topicName(prefix, p, stage.name),
      targetFunction: fn,
      targetStage: stage.name,
      ackDeadlineSeconds: stage.ackDeadlineSeconds,
      minBackoffSeconds: stage.backoff.minSeconds,
      maxBackoffSeconds: stage.backoff.maxSeconds,
      deadLetterTopic: deadLetterTopicName(prefix, p, stage.name),
      maxDeliveryAttempts: stage.maxAttempts,
    });
    if (stage.name !== 'notify' && notify) {
      // A message a stage gave up on reaches the notify function, which marks the file failed and
      // alerts; what notify itself gives up on stays on its dead-letter topic for an operator.
      topology.pushSubscriptions.push({
        subscription: `${deadLetterTopicName(prefix, p, stage.name)}-alert`,
        topic: deadLetterTopicName(prefix, p, stage.name),
        targetFunction: functionName(prefix, p, 'notify'),
        targetStage: 'notify',
        ackDeadlineSeconds: notify.ackDeadlineSeconds,
        minBackoffSeconds: notify.backoff.minSeconds,
        maxBackoffSeconds: notify.backoff.maxSeconds,
        deadLetterTopic: deadLetterTopicName(prefix, p, 'notify'),
        maxDeliveryAttempts: notify.maxAttempts,
      });
    }
  }
  topology.pullSubscriptions.push({
    subscription: `${deadLetterTopicName(prefix, p, 'notify')}-hold`,
    topic: deadLetterTopicName(prefix, p, 'notify'),
    purpose: 'keeps what the notify stage could not handle, for an operator to inspect',
  });
  topology.bucketNotifications.push({
    topic: topicName(prefix, p, 'transform'),
    objectNamePrefix: areaPrefix('raw', p),
    eventTypes: ['OBJECT_FINALIZE'],
    payloadFormat: 'JSON_API_V1',
  });
  if (pipeline.schedule) {
    topology.schedules.push({
      name: scheduleJobName(prefix, p),
      description: `Triggers pipeline ${p}`,
      cron: pipeline.schedule.cron,
      timeZone: pipeline.schedule.timeZone,
      topic: topicName(prefix, p, 'fetch'),
      payload: { ...pipeline.schedule.payload, v: '1', type: 'sluice.trigger', pipeline: p, trigger: 'schedule' },
    });
  }
  // Every pipeline, scheduled or not: manual runs can stall too.
  if (notify) {
    topology.schedules.push({
      name: watchdogJobName(prefix, p),
      description: `Fails stalled runs of pipeline ${p} and alerts`,
      cron: pipeline.watchdog.cron,
      timeZone: 'Etc/UTC',
      topic: topicName(prefix, p, 'notify'),
      payload: { v: '1', type: 'sluice.sweep', pipeline: p },
    });
  }
  return topology;
}
