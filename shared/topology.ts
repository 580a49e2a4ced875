// Names and wiring of every topic, subscription, function, notification and schedule, derived from a
// pipeline definition and the stage declarations. The local cloud creates exactly these; the Pulumi
// program declares exactly these. Plain data in, plain data out.
import type { z } from 'zod';
import { sourceTopologyOf } from '../functions/fetch/sources/source-topologies';
import { destinationServicesOf } from '../functions/notify/destinations/destination-topologies';
import type { Pipeline } from './pipeline-definition';
import type { BucketArea, StageDeclaration, StageName } from './stage-declaration';

// What a source kind needs from the cloud besides the stage functions, stated by the source itself
// (functions/fetch/sources/<kind>/topology.ts) and read here for every kind alike. Names are
// suffixes: the topology makes them `<prefix>-<pipeline>-<suffix>`.
export interface SourceTopologyNeeds {
  // Google APIs the connector calls (the Pulumi program enables them).
  services: string[];
  // Topics the source's provider publishes to (Gmail's users.watch), each pushed to the fetch
  // function. `publishers`: IAM members outside the deployment that must be allowed to publish;
  // `notification`: the shape of what they publish, by which fetch tells it from its own messages
  // (functions/fetch/parse-trigger.ts).
  pushTopics: Array<{ suffix: string; publishers: string[]; purpose: string; notification: z.ZodType<unknown> }>;
  // Recurring work the fetch function does for the source besides runs (renewing Gmail's watch): a
  // scheduler job publishes a `sluice.source-action` message with `action` to the fetch topic,
  // naming the push topic (by suffix) it concerns.
  actions: Array<{ suffix: string; action: string; topic?: string; cron: string; timeZone: string; description: string }>;
}

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
// A topic a source's provider publishes to (`<prefix>-<pipeline>-gmail-push`) and the subscription
// pushing it to fetch.
export function sourceTopicName(prefix: string, pipeline: string, suffix: string): string {
  return `${prefix}-${pipeline}-${suffix}`;
}
export function sourcePushSubscriptionName(prefix: string, pipeline: string, suffix: string): string {
  return `${sourceTopicName(prefix, pipeline, suffix)}-fetch`;
}
export function sourceActionJobName(prefix: string, pipeline: string, suffix: string): string {
  return `${prefix}-${pipeline}-${suffix}`;
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
  // 'source': published to by the source's provider (publishers: the IAM members it publishes as).
  topics: Array<{ name: string; stage: StageName; kind: 'input' | 'dead-letter' | 'source'; publishers?: string[] }>;
  pushSubscriptions: PushSubscriptionPlan[];
  pullSubscriptions: PullSubscriptionPlan[];
  bucketNotifications: Array<{ topic: string; objectNamePrefix: string; eventTypes: ['OBJECT_FINALIZE']; payloadFormat: 'JSON_API_V1' }>;
  schedules: Array<{ name: string; description: string; cron: string; timeZone: string; topic: string; payload: Record<string, string> }>;
  // Google APIs the pipeline's source and destinations call, sorted (the project enables them).
  services: string[];
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
    services: [],
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
  const fetch = stages.find((s) => s.name === 'fetch');
  const needs = sourceTopologyOf(pipeline.source);
  if (fetch) {
    for (const push of needs.pushTopics) {
      const name = sourceTopicName(prefix, p, push.suffix);
      topology.topics.push({ name, stage: 'fetch', kind: 'source', publishers: [...push.publishers] });
      // Like fetch's own input: a notification fetch gives up on goes to its dead-letter topic,
      // which notify watches.
      topology.pushSubscriptions.push({
        subscription: sourcePushSubscriptionName(prefix, p, push.suffix),
        topic: name,
        targetFunction: functionName(prefix, p, 'fetch'),
        targetStage: 'fetch',
        ackDeadlineSeconds: fetch.ackDeadlineSeconds,
        minBackoffSeconds: fetch.backoff.minSeconds,
        maxBackoffSeconds: fetch.backoff.maxSeconds,
        deadLetterTopic: deadLetterTopicName(prefix, p, 'fetch'),
        maxDeliveryAttempts: fetch.maxAttempts,
      });
    }
    for (const job of needs.actions) {
      topology.schedules.push({
        name: sourceActionJobName(prefix, p, job.suffix),
        description: `${job.description}, pipeline ${p}`,
        cron: job.cron,
        timeZone: job.timeZone,
        topic: topicName(prefix, p, 'fetch'),
        payload: {
          v: '1',
          type: 'sluice.source-action',
          pipeline: p,
          action: job.action,
          ...(job.topic !== undefined ? { topic: sourceTopicName(prefix, p, job.topic) } : {}),
        },
      });
    }
  }
  topology.services = [...new Set([...needs.services, ...pipeline.destinations.flatMap(destinationServicesOf)])].sort();
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
