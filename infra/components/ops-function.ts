// The ops function (API and dashboard, functions/ops/) with everything that belongs to it alone: its
// service account and that account's grants (ops-access.ts says which and why), the Cloud Functions
// gen2 HTTP function, and run.invoker on its Cloud Run service for the declared viewers and
// operators. Authentication stays required: no allUsers or allAuthenticatedUsers is ever granted;
// the API maps each caller's ID token to viewer or operator on every call.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { secretEnvVarName } from '../../shared/stage-secrets';
import { ROLES } from '../access-plan';
import type { SluiceConfig } from '../config';
import { firestoreDatabaseCondition, objectPrefixCondition, schedulerControlRoleId, serviceAccountId } from '../naming';
import { OPS_ROLES, SCHEDULER_CONTROL_PERMISSIONS, type OpsAccess } from '../ops-access';

export interface OpsFunctionArgs {
  config: SluiceConfig;
  access: OpsAccess;
  source: { bucket: pulumi.Input<string>; object: pulumi.Input<string> };
  builderServiceAccountId: pulumi.Input<string>;
  imagesRepository: pulumi.Input<string>;
  firestoreDatabase: string;
  builderGrants: readonly pulumi.Resource[];
  after?: readonly pulumi.Resource[];
  environment: Record<string, pulumi.Input<string>>;
  topics: ReadonlyMap<string, gcp.pubsub.Topic>;
  secrets: ReadonlyMap<string, gcp.secretmanager.Secret>;
  dataBucket: { name: string; resource: pulumi.Resource };
}

// Sized for an API answering people and a few live dashboard streams: the event stream of a page
// stays open up to the timeout, then the browser reconnects on its own (EventSource).
export const OPS_SERVICE = { memory: '512Mi', timeoutSeconds: 900, maxInstances: 5, concurrency: 40 } as const;

export class OpsFunction extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly function: gcp.cloudfunctionsv2.Function;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: OpsFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:OpsFunction', name, {}, opts);
    const { config, access } = args;
    const project = config.project;
    const after = [...(args.after ?? [])];
    const parent: pulumi.CustomResourceOptions = { parent: this, dependsOn: after };

    this.serviceAccount = new gcp.serviceaccount.Account(`${name}-sa`, {
      project,
      accountId: serviceAccountId(name),
      displayName: name,
      description: 'Runs the Sluice ops API and dashboard: reads run state, triggers, reruns, cancels, pauses, replays.',
    }, parent);
    const member = this.serviceAccount.member;

    new gcp.projects.IAMMember(`${name}-firestore-user`, {
      project,
      role: ROLES.firestoreUser,
      member,
      condition: firestoreDatabaseCondition(project, args.firestoreDatabase),
    }, parent);

    for (const topicName of access.publishTopics) {
      const topic = args.topics.get(topicName);
      if (!topic) throw new Error(`${name}: topic ${topicName} is not declared`);
      new gcp.pubsub.TopicIAMMember(`${name}-publishes-${topicName}`, { project, topic: topic.name, role: ROLES.publisher, member }, parent);
    }

    for (const grant of access.bucket) {
      new gcp.storage.BucketIAMMember(`${name}-${grant.area}-${grant.pipeline}-${grant.role.split('.').pop()}`, {
        bucket: args.dataBucket.name,
        role: grant.role,
        member,
        condition: objectPrefixCondition(args.dataBucket.name, grant.area, grant.pipeline),
      }, { parent: this, dependsOn: [...after, args.dataBucket.resource] });
    }

    if (access.scheduleJobs.length > 0) {
      const role = new gcp.projects.IAMCustomRole(`${name}-scheduler-control`, {
        project,
        roleId: schedulerControlRoleId(config.prefix),
        title: `${config.prefix} scheduler pause/resume`,
        description: 'Pause and resume Cloud Scheduler jobs (Sluice ops: pause/resume a pipeline); no create, update or delete.',
        permissions: [...SCHEDULER_CONTROL_PERMISSIONS],
        stage: 'GA',
      }, parent);
      new gcp.projects.IAMMember(`${name}-scheduler-control`, { project, role: role.name, member }, parent);
    }

    new gcp.projects.IAMMember(`${name}-logging-viewer`, { project, role: OPS_ROLES.logViewer, member }, parent);

    const secretGrants: pulumi.Resource[] = [];
    const secretEnvironmentVariables: gcp.types.input.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariable[] = [];
    for (const secretName of access.secrets) {
      const secret = args.secrets.get(secretName);
      if (!secret) throw new Error(`${name}: secret ${secretName} is not declared by any pipeline`);
      secretGrants.push(new gcp.secretmanager.SecretIamMember(`${name}-reads-${secretName}`, { project, secretId: secret.secretId, role: ROLES.secretAccessor, member }, parent));
      if (access.rotatedSecrets.includes(secretName)) continue;
      secretEnvironmentVariables.push({ key: secretEnvVarName(secretName), projectId: project, secret: secret.secretId, version: 'latest' });
    }

    this.function = new gcp.cloudfunctionsv2.Function(name, {
      project,
      location: config.region,
      name,
      description: 'Sluice operations: the ops API (runs, controls, dead letters, health) and the dashboard under /ui/.',
      buildConfig: {
        runtime: config.nodeRuntime,
        // functions/ops/main.ts registers the HTTP handler under this name.
        entryPoint: 'ops',
        serviceAccount: args.builderServiceAccountId,
        dockerRepository: args.imagesRepository,
        source: { storageSource: { bucket: args.source.bucket, object: args.source.object } },
      },
      serviceConfig: {
        availableMemory: OPS_SERVICE.memory,
        // More than one concurrent request per instance needs at least one whole CPU.
        availableCpu: '1',
        timeoutSeconds: OPS_SERVICE.timeoutSeconds,
        maxInstanceCount: OPS_SERVICE.maxInstances,
        maxInstanceRequestConcurrency: OPS_SERVICE.concurrency,
        serviceAccountEmail: this.serviceAccount.email,
        environmentVariables: args.environment,
        secretEnvironmentVariables,
        // Reached by people and the CLI from outside the project; IAM (run.invoker, below) decides who.
        ingressSettings: 'ALLOW_ALL',
        allTrafficOnLatestRevision: true,
      },
      labels: { sluice: 'true', 'sluice-function': 'ops' },
    }, { parent: this, dependsOn: [...after, ...secretGrants, ...args.builderGrants] });

    this.url = pulumi.all([this.function.serviceConfig, this.function.url]).apply(([service, url]) => service?.uri || url);

    for (const principal of access.invokers) {
      new gcp.cloudrunv2.ServiceIamMember(`${name}-invoker-${principal.replace(/[^a-zA-Z0-9]+/g, '-')}`, {
        project,
        location: config.region,
        name: this.function.name,
        role: ROLES.runInvoker,
        member: principal,
      }, parent);
    }

    this.registerOutputs({ url: this.url, serviceAccountEmail: this.serviceAccount.email });
  }
}
