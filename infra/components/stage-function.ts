// One stage function of one pipeline with everything that belongs to it alone: its service account
// and that account's grants, the Cloud Functions gen2 function, the push subscriptions that deliver
// to it (its own input and, for notify, the dead-letter "alert" subscriptions), the Pub/Sub service
// agent's subscriber grant on each (required for dead-lettering) and the invoker's run.invoker grant.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StageDeclaration } from '../../shared/stage-declaration';
import { secretEnvVarName } from '../../shared/stage-secrets';
import type { PushSubscriptionPlan } from '../../shared/topology';
import { ROLES, type FunctionAccess } from '../access-plan';
import type { SluiceConfig } from '../config';
import { firestoreDatabaseCondition, objectPrefixCondition, serviceAccountId } from '../naming';

export interface StageFunctionArgs {
  config: SluiceConfig;
  stage: Readonly<StageDeclaration>;
  access: FunctionAccess;
  // The stage's bundle in the sources bucket (shared by every pipeline's function of this stage).
  source: { bucket: pulumi.Input<string>; object: pulumi.Input<string> };
  builderServiceAccountId: pulumi.Input<string>;
  // The Artifact Registry repository the build pushes the image to (projects/…/repositories/…).
  imagesRepository: pulumi.Input<string>;
  // The Firestore database the run records live in; the function's Firestore role is confined to it.
  firestoreDatabase: string;
  // The builder account's grants: the function's first build runs as that account and fails without them.
  builderGrants: readonly pulumi.Resource[];
  // What every child must wait for: the project's APIs being enabled.
  after?: readonly pulumi.Resource[];
  // Non-secret settings (shared/runtime-config.ts).
  environment: Record<string, pulumi.Input<string>>;
  topics: ReadonlyMap<string, gcp.pubsub.Topic>;
  secrets: ReadonlyMap<string, gcp.secretmanager.Secret>;
  dataBucket: { name: string; resource: pulumi.Resource };
  invoker: gcp.serviceaccount.Account;
  pubsubAgentMember: pulumi.Input<string>;
  // The push subscriptions whose target is this function.
  pushSubscriptions: readonly PushSubscriptionPlan[];
}

export class StageFunction extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly function: gcp.cloudfunctionsv2.Function;
  // The Cloud Run URL the push subscriptions deliver to (and the OIDC audience).
  readonly url: pulumi.Output<string>;
  readonly subscriptions: gcp.pubsub.Subscription[] = [];

  constructor(name: string, args: StageFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:StageFunction', name, {}, opts);
    const { config, stage, access } = args;
    // A component's dependsOn does not reach its children; each child carries `after` itself, so
    // nothing here is created before the APIs it calls are enabled.
    const after = [...(args.after ?? [])];
    const parent: pulumi.CustomResourceOptions = { parent: this, dependsOn: after };
    const topic = (topicName: string): gcp.pubsub.Topic => {
      const found = args.topics.get(topicName);
      if (!found) throw new Error(`${name}: topic ${topicName} is not declared`);
      return found;
    };

    this.serviceAccount = new gcp.serviceaccount.Account(`${name}-sa`, {
      project: config.project,
      accountId: serviceAccountId(name),
      displayName: name,
      description: `Runs ${name}: ${stage.description}`.slice(0, 256),
    }, parent);
    const member = this.serviceAccount.member;

    for (const topicName of access.publishTopics) {
      new gcp.pubsub.TopicIAMMember(`${name}-publishes-${topicName}`, {
        project: config.project,
        topic: topic(topicName).name,
        role: ROLES.publisher,
        member,
      }, parent);
    }

    for (const grant of access.bucket) {
      new gcp.storage.BucketIAMMember(`${name}-${grant.area}-${grant.role.split('.').pop()}`, {
        bucket: args.dataBucket.name,
        role: grant.role,
        member,
        condition: objectPrefixCondition(args.dataBucket.name, grant.area, access.pipeline),
      }, { parent: this, dependsOn: [...after, args.dataBucket.resource] });
    }

    // Firestore has no resource-level IAM policy, so the role is granted on the project with an IAM
    // condition naming the one database (a function parsing untrusted files must not reach any other
    // database in the project). Cloud SQL client has no narrower resource at all.
    if (access.firestore) {
      new gcp.projects.IAMMember(`${name}-firestore-user`, {
        project: config.project,
        role: ROLES.firestoreUser,
        member,
        condition: firestoreDatabaseCondition(config.project, args.firestoreDatabase),
      }, parent);
    }
    if (access.cloudSql) {
      new gcp.projects.IAMMember(`${name}-cloudsql-client`, { project: config.project, role: ROLES.cloudSqlClient, member }, parent);
    }

    // Granted before the function exists: a deploy checks that the runtime account can read its secrets.
    const secretGrants: pulumi.Resource[] = [];
    const secretEnvironmentVariables: gcp.types.input.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariable[] = [];
    for (const secretName of access.secrets) {
      const secret = args.secrets.get(secretName);
      if (!secret) throw new Error(`${name}: secret ${secretName} is not declared by its pipeline`);
      secretGrants.push(new gcp.secretmanager.SecretIamMember(`${name}-reads-${secretName}`, {
        project: config.project,
        secretId: secret.secretId,
        role: ROLES.secretAccessor,
        member,
      }, parent));
      // Not for a refresh token the stage may rotate: the runtime reads those from Secret Manager on
      // each sign-in (functions/runtime/secret-reader.ts), since an instance's environment keeps the
      // version current when it started.
      if (access.rotatedSecrets.includes(secretName)) continue;
      secretEnvironmentVariables.push({ key: secretEnvVarName(secretName), projectId: config.project, secret: secret.secretId, version: 'latest' });
    }
    // A refresh token Google rotates is written back as the secret's next version by the stage that
    // signed in with it (it reads it too, above). Only on those secrets, never on the project.
    for (const secretName of access.rotatedSecrets) {
      const secret = args.secrets.get(secretName);
      if (!secret || !access.secrets.includes(secretName)) throw new Error(`${name}: rotated secret ${secretName} is not one it reads`);
      new gcp.secretmanager.SecretIamMember(`${name}-rotates-${secretName}`, {
        project: config.project,
        secretId: secret.secretId,
        role: ROLES.secretVersionAdder,
        member,
      }, parent);
    }

    this.function = new gcp.cloudfunctionsv2.Function(name, {
      project: config.project,
      location: config.region,
      name,
      description: stage.description,
      buildConfig: {
        runtime: config.nodeRuntime,
        // functions/<stage>/main.ts registers itself under the stage's name.
        entryPoint: stage.name,
        serviceAccount: args.builderServiceAccountId,
        dockerRepository: args.imagesRepository,
        source: { storageSource: { bucket: args.source.bucket, object: args.source.object } },
      },
      serviceConfig: {
        availableMemory: stage.memory,
        // More than one concurrent request per instance needs at least one whole CPU.
        ...(stage.concurrency > 1 ? { availableCpu: '1' } : {}),
        timeoutSeconds: stage.timeoutSeconds,
        maxInstanceCount: stage.maxInstances,
        maxInstanceRequestConcurrency: stage.concurrency,
        serviceAccountEmail: this.serviceAccount.email,
        environmentVariables: args.environment,
        secretEnvironmentVariables,
        // Internal only: Pub/Sub push from this project counts as internal traffic for the Cloud Run
        // service behind a gen2 function when it targets the service's run.app URL (this.url below);
        // see infra/README.md, "Ingress". IAM still decides who gets through: only the invoker account.
        ingressSettings: 'ALLOW_INTERNAL_ONLY',
        allTrafficOnLatestRevision: true,
      },
      labels: { sluice: 'true', 'sluice-pipeline': access.pipeline, 'sluice-stage': stage.name },
    }, { parent: this, dependsOn: [...after, ...secretGrants, ...args.builderGrants] });

    this.url = pulumi.all([this.function.serviceConfig, this.function.url]).apply(([service, url]) => service?.uri || url);

    // A gen2 function is served by the Cloud Run service of the same name; invoking it is run.invoker there.
    const invokerGrant = new gcp.cloudrunv2.ServiceIamMember(`${name}-invoker`, {
      project: config.project,
      location: config.region,
      name: this.function.name,
      role: ROLES.runInvoker,
      member: args.invoker.member,
    }, parent);

    for (const plan of args.pushSubscriptions) {
      if (plan.targetFunction !== name) throw new Error(`${plan.subscription} targets ${plan.targetFunction}, not ${name}`);
      const subscription = new gcp.pubsub.Subscription(plan.subscription, {
        project: config.project,
        name: plan.subscription,
        topic: topic(plan.topic).name,
        ackDeadlineSeconds: plan.ackDeadlineSeconds,
        retryPolicy: { minimumBackoff: `${plan.minBackoffSeconds}s`, maximumBackoff: `${plan.maxBackoffSeconds}s` },
        deadLetterPolicy: { deadLetterTopic: topic(plan.deadLetterTopic).id, maxDeliveryAttempts: plan.maxDeliveryAttempts },
        pushConfig: {
          // The stage answers any path; the topic in it makes request logs say where a push came from,
          // and the local cloud pushes to the same shape.
          pushEndpoint: pulumi.interpolate`${this.url}/projects/${config.project}/topics/${plan.topic}`,
          // Cloud Run checks the token's audience against the service URL, not the path.
          oidcToken: { serviceAccountEmail: args.invoker.email, audience: this.url },
        },
        // Never expire for inactivity: a pipeline may be quiet for months.
        expirationPolicy: { ttl: '' },
      }, { parent: this, dependsOn: [...after, invokerGrant] });
      // Dead-lettering forwards a message only if the Pub/Sub service agent may consume the source subscription.
      new gcp.pubsub.SubscriptionIAMMember(`${plan.subscription}-agent-subscriber`, {
        project: config.project,
        subscription: subscription.name,
        role: ROLES.subscriber,
        member: args.pubsubAgentMember,
      }, parent);
      this.subscriptions.push(subscription);
    }

    this.registerOutputs({ url: this.url, serviceAccountEmail: this.serviceAccount.email });
  }
}
