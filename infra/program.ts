// Everything Sluice needs in one Google Cloud project, derived from pipeline definitions and stage
// declarations. A function of its inputs (no config or file reads of its own besides the bundles),
// so tests can run it under Pulumi mocks with the demo pipelines and with synthetic ones.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { defineOps, type OpsDefinition } from '../shared/ops-definition';
import { secretsOf, type Pipeline } from '../shared/pipeline-definition';
import type { StageDeclaration } from '../shared/stage-declaration';
import { topologyOf, type PipelineTopology } from '../shared/topology';
import { accessOf, ROLES } from './access-plan';
import { declareDeadLetterAlert } from './alerting';
import { OpsFunction } from './components/ops-function';
import { StageFunction } from './components/stage-function';
import type { SluiceConfig } from './config';
import { declareFirestoreIndexes } from './firestore-indexes';
import { builderAccountId, dataBucketName, firestoreDatabaseName, functionImagesRepositoryId, invokerAccountId, opsFunctionName } from './naming';
import { opsAccessOf } from './ops-access';
import { enableApis } from './project-services';
import { declareBuckets, declareBundles, locateBundles, type BundleOptions } from './storage';

export interface SluiceProgramInput {
  pipelines: readonly Pipeline[];
  stages: ReadonlyArray<Readonly<StageDeclaration>>;
  config: SluiceConfig;
  bundles: BundleOptions;
  // pipelines/ops.ts: who may use the ops function, retention, the dashboard's URL. Default: nobody
  // but the project's owners (who may grant themselves run.invoker), default retention.
  ops?: OpsDefinition;
}

export interface SluiceOutputs {
  dataBucket: pulumi.Output<string>;
  sourcesBucket: pulumi.Output<string>;
  firestoreDatabase: pulumi.Output<string>;
  // Topic name → full resource name (projects/<p>/topics/<name>).
  topics: pulumi.Output<Record<string, string>>;
  // Function name → URL (the ops function's too).
  functionUrls: pulumi.Output<Record<string, string>>;
  // The ops API, and the dashboard alerts link to (ops.dashboardUrl, else the ops function's /ui/).
  opsUrl: pulumi.Output<string>;
  dashboardUrl: pulumi.Output<string>;
  // Function name (and "invoker", "builder") → service account e-mail.
  serviceAccounts: pulumi.Output<Record<string, string>>;
  schedules: pulumi.Output<Record<string, string>>;
}

function checkInput(input: SluiceProgramInput): void {
  const names = input.pipelines.map((p) => p.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`pipeline "${duplicate}" is defined twice`);
  if (input.pipelines.length === 0) throw new Error('no pipelines to deploy');
  if (!input.stages.some((s) => s.name === 'notify')) throw new Error('the stage list has no notify stage');
}

function record<T>(entries: Array<[string, pulumi.Input<T>]>): pulumi.Output<Record<string, T>> {
  return pulumi.all(entries.map(([key, value]) => pulumi.output(value).apply((v) => [key, v] as const)))
    .apply((pairs) => Object.fromEntries(pairs) as Record<string, T>);
}

export function declareSluice(input: SluiceProgramInput): SluiceOutputs {
  checkInput(input);
  const { config, pipelines, stages } = input;
  const project = config.project;
  const ops = input.ops ?? defineOps({});
  const located = locateBundles([...new Set(stages.map((s) => s.name)), 'ops'], input.bundles);

  const topologies: PipelineTopology[] = pipelines.map((p) => topologyOf(p, stages, config.prefix));
  const apis = enableApis(project, topologies.flatMap((t) => t.services));
  const afterApis: pulumi.CustomResourceOptions = { dependsOn: apis };

  // Google-managed service agents that act for us: Pub/Sub (dead-lettering, OIDC tokens for push)
  // and Cloud Storage (bucket notifications).
  // The Pub/Sub agent is created on demand by Google; declaring it makes sure it exists before the
  // grants to it, which a brand-new project would otherwise reject.
  const pubsubAgent = new gcp.projects.ServiceIdentity('pubsub-agent', { project, service: 'pubsub.googleapis.com' }, afterApis);
  const pubsubAgentMember = pubsubAgent.member;
  const storageAgent = gcp.storage.getProjectServiceAccountOutput({ project });
  const storageAgentMember = pulumi.interpolate`serviceAccount:${storageAgent.emailAddress}`;

  const buckets = declareBuckets(config, afterApis);
  const bundles = declareBundles(located, buckets.sources, afterApis);

  // Firestore: the configured existing database, or "(default)" created here (and kept on destroy).
  const firestoreName = firestoreDatabaseName(config);
  const firestore = config.firestoreDatabase
    ? pulumi.output(config.firestoreDatabase)
    : new gcp.firestore.Database('firestore', {
      project,
      name: firestoreName,
      locationId: config.region,
      type: 'FIRESTORE_NATIVE',
      deletionPolicy: 'ABANDON',
      deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
    }, afterApis).name;

  // One secret per name the definitions use; values are added by the operator, never here.
  const secrets = new Map<string, gcp.secretmanager.Secret>();
  for (const name of [...new Set(pipelines.flatMap(secretsOf))].sort()) {
    secrets.set(name, new gcp.secretmanager.Secret(`secret-${name}`, {
      project,
      secretId: name,
      replication: { auto: {} },
      labels: { sluice: 'true' },
    }, afterApis));
  }

  // The one identity Pub/Sub pushes as. The Pub/Sub service agent mints its OIDC tokens (needed
  // explicitly in projects created before 2021-04-08, harmless after).
  const invoker = new gcp.serviceaccount.Account('invoker', {
    project,
    accountId: invokerAccountId(config.prefix),
    displayName: `${config.prefix} push invoker`,
    description: 'Identity of the Pub/Sub push subscriptions; the only principal allowed to invoke Sluice stage functions.',
  }, afterApis);
  new gcp.serviceaccount.IAMMember('invoker-token-creator', {
    serviceAccountId: invoker.name,
    role: ROLES.tokenCreator,
    member: pubsubAgentMember,
  });

  // Cloud Build runs the function builds as this account instead of a broad default one.
  const builder = new gcp.serviceaccount.Account('builder', {
    project,
    accountId: builderAccountId(config.prefix),
    displayName: `${config.prefix} function builder`,
    description: 'Builds Sluice stage functions from their uploaded bundles.',
  }, afterApis);
  // Build logs have no narrower home than the project; images go to our own repository, and the
  // builder may write there only.
  const images = new gcp.artifactregistry.Repository('function-images', {
    project,
    location: config.region,
    repositoryId: functionImagesRepositoryId(config.prefix),
    format: 'DOCKER',
    description: 'Images of the Sluice stage functions, pushed by their builds.',
    labels: { sluice: 'true' },
  }, afterApis);
  const builderGrants: pulumi.Resource[] = [
    new gcp.projects.IAMMember('builder-logging-logWriter', { project, role: ROLES.logWriter, member: builder.member }, afterApis),
    new gcp.artifactregistry.RepositoryIamMember('builder-pushes-images', {
      project,
      location: config.region,
      repository: images.repositoryId,
      role: ROLES.imageWriter,
      member: builder.member,
    }, afterApis),
  ];
  builderGrants.push(new gcp.storage.BucketIAMMember('builder-reads-sources', { bucket: buckets.sources.name, role: ROLES.objectViewer, member: builder.member }));

  const topics = new Map<string, gcp.pubsub.Topic>();
  for (const topology of topologies) {
    for (const plan of topology.topics) {
      const topic = new gcp.pubsub.Topic(plan.name, { project, name: plan.name, labels: { sluice: 'true' } }, afterApis);
      topics.set(plan.name, topic);
      if (plan.kind === 'dead-letter') {
        // Dead-lettering publishes as the Pub/Sub service agent.
        new gcp.pubsub.TopicIAMMember(`${plan.name}-agent-publisher`, { project, topic: topic.name, role: ROLES.publisher, member: pubsubAgentMember });
      }
      // A source's provider publishing to its push topic (Gmail's users.watch, as Google's own
      // gmail-api-push account): on that topic only.
      for (const publisher of plan.publishers ?? []) {
        new gcp.pubsub.TopicIAMMember(`${plan.name}-publisher-${publisher.replace(/^[a-z]+:/i, '').split('@')[0]}`, { project, topic: topic.name, role: ROLES.publisher, member: publisher });
      }
    }
  }
  const topic = (name: string): gcp.pubsub.Topic => {
    const found = topics.get(name);
    if (!found) throw new Error(`topic ${name} is not declared`);
    return found;
  };

  // The ops function first: notify's alerts link to its dashboard (SLUICE_DASHBOARD_URL).
  const opsName = opsFunctionName(config.prefix);
  const opsBundle = bundles.get('ops')!;
  const opsFunction = new OpsFunction(opsName, {
    config,
    access: opsAccessOf(pipelines, stages, ops, config.prefix),
    source: { bucket: opsBundle.bucket, object: opsBundle.outputName },
    builderServiceAccountId: builder.id,
    imagesRepository: images.id,
    firestoreDatabase: firestoreName,
    builderGrants,
    after: apis,
    environment: {
      SLUICE_PREFIX: config.prefix,
      SLUICE_BUCKET: dataBucketName(config),
      GOOGLE_CLOUD_PROJECT: project,
      SLUICE_FIRESTORE_DATABASE: firestore,
      // Where the pipelines' scheduler jobs are (pause/resume name them by it).
      SLUICE_REGION: config.region,
      LOG_LEVEL: config.logLevel,
      ...(ops.dashboardUrl ? { SLUICE_DASHBOARD_URL: ops.dashboardUrl } : {}),
    },
    topics,
    secrets,
    dataBucket: { name: dataBucketName(config), resource: buckets.data },
  }, afterApis);
  const dashboardUrl: pulumi.Output<string> = ops.dashboardUrl
    ? pulumi.output(ops.dashboardUrl)
    : opsFunction.url.apply((url) => `${url.replace(/\/+$/, '')}/ui/`);

  const functions: Array<{ name: string; deployed: StageFunction }> = [];
  for (const [index, pipeline] of pipelines.entries()) {
    const topology = topologies[index]!;
    for (const fn of topology.functions) {
      const stage = stages.find((s) => s.name === fn.stage)!;
      const access = accessOf(pipeline, stage, config.prefix, { cloudSqlInstance: config.cloudSqlInstance });
      const bundle = bundles.get(stage.name)!;
      functions.push({ name: fn.name, deployed: new StageFunction(fn.name, {
        config,
        stage,
        access,
        source: { bucket: bundle.bucket, object: bundle.outputName },
        builderServiceAccountId: builder.id,
        imagesRepository: images.id,
        firestoreDatabase: firestoreName,
        builderGrants,
        after: apis,
        environment: {
          SLUICE_PIPELINE: pipeline.name,
          SLUICE_STAGE: stage.name,
          SLUICE_PREFIX: config.prefix,
          SLUICE_BUCKET: dataBucketName(config),
          GOOGLE_CLOUD_PROJECT: project,
          SLUICE_FIRESTORE_DATABASE: firestore,
          LOG_LEVEL: config.logLevel,
          // Links in alerts; only notify sends any.
          ...(stage.name === 'notify' ? { SLUICE_DASHBOARD_URL: dashboardUrl } : {}),
        },
        topics,
        secrets,
        dataBucket: { name: dataBucketName(config), resource: buckets.data },
        invoker,
        pubsubAgentMember,
        pushSubscriptions: topology.pushSubscriptions.filter((s) => s.targetFunction === fn.name),
      }, afterApis) });
    }

    // Dead-letter topics need a subscription, or what reaches them is dropped.
    for (const plan of topology.pullSubscriptions) {
      new gcp.pubsub.Subscription(plan.subscription, {
        project,
        name: plan.subscription,
        topic: topic(plan.topic).name,
        ackDeadlineSeconds: 60,
        messageRetentionDuration: '604800s',
        expirationPolicy: { ttl: '' },
        labels: { sluice: 'true' },
      });
    }

    // Object finalize under raw/<pipeline>/ → the transform topic, published by the Storage service agent.
    for (const plan of topology.bucketNotifications) {
      const target = topic(plan.topic);
      const grant = new gcp.pubsub.TopicIAMMember(`${plan.topic}-storage-publisher`, { project, topic: target.name, role: ROLES.publisher, member: storageAgentMember });
      new gcp.storage.Notification(`${plan.topic}-notification`, {
        bucket: buckets.data.name,
        topic: target.id,
        eventTypes: [...plan.eventTypes],
        objectNamePrefix: plan.objectNamePrefix,
        payloadFormat: plan.payloadFormat,
      }, { dependsOn: [grant] });
    }
  }

  const schedules: Array<[string, pulumi.Input<string>]> = [];
  for (const topology of topologies) {
    for (const plan of topology.schedules) {
      const job = new gcp.cloudscheduler.Job(plan.name, {
        project,
        region: config.region,
        name: plan.name,
        description: plan.description,
        schedule: plan.cron,
        timeZone: plan.timeZone,
        pubsubTarget: { topicName: topic(plan.topic).id, data: Buffer.from(JSON.stringify(plan.payload)).toString('base64') },
      }, afterApis);
      schedules.push([plan.name, job.id]);
    }
  }

  // The composite indexes the run lists query by, and the TTL policies that enforce retention
  // (shared/firestore-indexes.ts, which the local cloud's emulator honours too).
  declareFirestoreIndexes({ project, database: firestore }, afterApis);

  if (config.alertEmail) {
    declareDeadLetterAlert({ project, prefix: config.prefix, email: config.alertEmail }, afterApis);
  }

  const serviceAccounts: Array<[string, pulumi.Input<string>]> = [
    ['invoker', invoker.email],
    ['builder', builder.email],
    [opsName, opsFunction.serviceAccount.email],
    ...functions.map((f): [string, pulumi.Input<string>] => [f.name, f.deployed.serviceAccount.email]),
  ];
  return {
    dataBucket: buckets.data.name,
    sourcesBucket: buckets.sources.name,
    firestoreDatabase: firestore,
    topics: record([...topics].map(([name, t]): [string, pulumi.Input<string>] => [name, t.id])),
    functionUrls: record([...functions.map((f): [string, pulumi.Input<string>] => [f.name, f.deployed.url]), [opsName, opsFunction.url]]),
    opsUrl: opsFunction.url,
    dashboardUrl,
    serviceAccounts: record(serviceAccounts),
    schedules: record(schedules),
  };
}

