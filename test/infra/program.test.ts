// The Pulumi program under mocks, for the demo pipelines and a synthetic set: every rule of the
// deployment (identities, triggers, dead-lettering, schedules, secrets, storage, no public or
// primitive grants) checked against what topologyOf and the stage declarations say.
import { beforeAll, describe, expect, it } from 'vitest';
import { stageList } from '../../functions/stages';
import { accessOf, bucketGrantsFor } from '../../infra/access-plan';
import { parseSluiceConfig, type SluiceConfig } from '../../infra/config';
import { builderAccountId, dataBucketName, firestoreDatabaseName, functionImagesRepositoryId, invokerAccountId, opsFunctionName, serviceAccountEmail, serviceAccountId } from '../../infra/naming';
import { opsAccessOf } from '../../infra/ops-access';
import { defineOps } from '../../shared/ops-definition';
import { declareSluice } from '../../infra/program';
import { MissingBundleError } from '../../infra/storage';
import { pipelines as demoPipelines } from '../../pipelines/index';
import type { Pipeline } from '../../shared/pipeline-definition';
import { rotatedSecretsForStage, secretEnvVarName, secretsForStage } from '../../shared/stage-secrets';
import { topologyOf } from '../../shared/topology';
import { declareUnderMocks, PUBSUB_AGENT, STORAGE_AGENT, type DeclaredResource } from './pulumi-mocks';
import { syntheticPipelines } from './synthetic-pipelines';

interface Scenario {
  label: string;
  pipelines: readonly Pipeline[];
  config: SluiceConfig;
  resources: DeclaredResource[];
  outputs: Record<string, any>;
}

const scenarios: Scenario[] = [
  {
    label: 'demo pipelines',
    pipelines: demoPipelines,
    config: parseSluiceConfig((key) => ({ 'gcp:project': 'demo-project', 'gcp:region': 'us-east1' } as Record<string, string>)[key]),
    resources: [],
    outputs: {},
  },
  {
    label: 'synthetic pipelines',
    pipelines: syntheticPipelines,
    config: parseSluiceConfig((key) => ({
      'gcp:project': 'synth-project-42',
      'gcp:region': 'europe-west3',
      'sluice:prefix': 'acme',
      'sluice:cloudSqlInstance': 'synth-project-42:europe-west3:warehouse',
      'sluice:alertEmail': 'ops@example.com',
      'sluice:firestoreDatabase': 'runs-db',
      'sluice:archiveRetentionDays': '365',
    } as Record<string, string>)[key]),
    resources: [],
    outputs: {},
  },
];

beforeAll(async () => {
  for (const scenario of scenarios) {
    const { resources, outputs } = await declareUnderMocks(() => declareSluice({
      pipelines: scenario.pipelines,
      stages: stageList,
      config: scenario.config,
      bundles: { bundleDir: '/nonexistent/dist/functions', requireBundles: false },
    }) as unknown as Record<string, import('@pulumi/pulumi').Output<unknown>>);
    scenario.resources = resources;
    scenario.outputs = outputs;
  }
}, 120_000);

const ofType = (s: Scenario, suffix: string) => s.resources.filter((r) => r.type.endsWith(suffix));
const named = (s: Scenario, suffix: string, name: string) => {
  const found = ofType(s, suffix).find((r) => r.inputs.name === name);
  if (!found) throw new Error(`no ${suffix} named ${name}`);
  return found;
};
const topologies = (s: Scenario) => s.pipelines.map((p) => topologyOf(p, stageList, s.config.prefix));
const invokerEmail = (s: Scenario) => serviceAccountEmail(invokerAccountId(s.config.prefix), s.config.project);
const functionEmail = (s: Scenario, fn: string) => serviceAccountEmail(serviceAccountId(fn), s.config.project);
// The pipelines' stage functions (the ops function is checked in ops-function.test.ts).
const stageFunctions = (s: Scenario) => ofType(s, 'cloudfunctionsv2/function:Function').filter((f) => f.inputs.labels?.['sluice-stage']);
const opsName = (s: Scenario) => opsFunctionName(s.config.prefix);
const opsMember = (s: Scenario) => `serviceAccount:${functionEmail(s, opsName(s))}`;
// Every resource that grants a role to a member.
const grants = (s: Scenario) => s.resources.filter((r) => typeof r.inputs.role === 'string');

describe.each(scenarios)('$label', (s) => {
  it('declares exactly the topics, functions and subscriptions of topologyOf', () => {
    const expected = topologies(s);
    expect(ofType(s, ':Topic').map((r) => r.inputs.name).sort()).toEqual(expected.flatMap((t) => t.topics.map((x) => x.name)).sort());
    expect(ofType(s, 'cloudfunctionsv2/function:Function').map((r) => r.inputs.name).sort())
      .toEqual([...expected.flatMap((t) => t.functions.map((f) => f.name)), opsName(s)].sort());
    expect(ofType(s, 'pubsub/subscription:Subscription').map((r) => r.inputs.name).sort())
      .toEqual(expected.flatMap((t) => [...t.pushSubscriptions.map((x) => x.subscription), ...t.pullSubscriptions.map((x) => x.subscription)]).sort());
  });

  it('gives every function its own service account, sized and configured from its stage', () => {
    const fns = stageFunctions(s);
    const emails = ofType(s, 'cloudfunctionsv2/function:Function').map((f) => f.inputs.serviceConfig.serviceAccountEmail);
    expect(new Set(emails).size).toBe(fns.length + 1);
    const accounts = ofType(s, 'serviceaccount/account:Account');
    expect(accounts).toHaveLength(fns.length + 3); // + invoker + builder + ops
    for (const fn of fns) {
      const stage = stageList.find((x) => x.name === fn.inputs.buildConfig.entryPoint)!;
      expect(fn.inputs.name.endsWith(`-${stage.name}`)).toBe(true);
      expect(fn.inputs.serviceConfig.serviceAccountEmail).toBe(functionEmail(s, fn.inputs.name));
      expect(fn.inputs.location).toBe(s.config.region);
      expect(fn.inputs.buildConfig.runtime).toBe(s.config.nodeRuntime);
      expect(fn.inputs.buildConfig.source.storageSource.object).toBe(`functions/${stage.name}.zip`);
      expect(fn.inputs.serviceConfig).toMatchObject({
        availableMemory: stage.memory,
        timeoutSeconds: stage.timeoutSeconds,
        maxInstanceCount: stage.maxInstances,
        maxInstanceRequestConcurrency: stage.concurrency,
      });
      const env = fn.inputs.serviceConfig.environmentVariables;
      // notify links its alerts to the dashboard.
      const dashboard = stage.name === 'notify' ? ['SLUICE_DASHBOARD_URL'] : [];
      expect(Object.keys(env).sort()).toEqual(['GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL', 'SLUICE_BUCKET', ...dashboard, 'SLUICE_FIRESTORE_DATABASE', 'SLUICE_PIPELINE', 'SLUICE_PREFIX', 'SLUICE_STAGE'].sort());
      expect(env).toMatchObject({ SLUICE_STAGE: stage.name, SLUICE_PREFIX: s.config.prefix, SLUICE_BUCKET: dataBucketName(s.config), GOOGLE_CLOUD_PROJECT: s.config.project });
      expect(env.SLUICE_FIRESTORE_DATABASE).toBe(s.config.firestoreDatabase ?? '(default)');
    }
  });

  it('pushes every subscription with a dead-letter policy, a retry policy and an OIDC token of the invoker', () => {
    for (const topology of topologies(s)) {
      for (const plan of topology.pushSubscriptions) {
        const sub = named(s, 'pubsub/subscription:Subscription', plan.subscription);
        const url = `https://${plan.targetFunction}-mock.a.run.app`;
        expect(sub.inputs.topic).toBe(plan.topic);
        expect(sub.inputs.ackDeadlineSeconds).toBe(plan.ackDeadlineSeconds);
        expect(sub.inputs.retryPolicy).toEqual({ minimumBackoff: `${plan.minBackoffSeconds}s`, maximumBackoff: `${plan.maxBackoffSeconds}s` });
        expect(sub.inputs.deadLetterPolicy).toEqual({
          deadLetterTopic: `projects/${s.config.project}/topics/${plan.deadLetterTopic}`,
          maxDeliveryAttempts: plan.maxDeliveryAttempts,
        });
        // The topic in the path, as the functions framework expects; the audience is the service URL.
        expect(sub.inputs.pushConfig).toEqual({
          pushEndpoint: `${url}/projects/${s.config.project}/topics/${plan.topic}`,
          oidcToken: { serviceAccountEmail: invokerEmail(s), audience: url },
        });
      }
      for (const plan of topology.pullSubscriptions) {
        const sub = named(s, 'pubsub/subscription:Subscription', plan.subscription);
        expect(sub.inputs.pushConfig).toBeUndefined();
        expect(sub.inputs.topic).toBe(plan.topic);
      }
    }
  });

  it('lets only the invoker account invoke, once per function', () => {
    // The ops function's invokers are the declared people (ops-function.test.ts).
    const invokes = grants(s).filter((g) => /invoker/i.test(g.inputs.role) && !String(g.name).startsWith(`${opsName(s)}-`));
    const fns = stageFunctions(s).map((f) => f.inputs.name).sort();
    expect(invokes.every((g) => g.type.endsWith('cloudrunv2/serviceIamMember:ServiceIamMember') && g.inputs.role === 'roles/run.invoker')).toBe(true);
    expect(invokes.every((g) => g.inputs.member === `serviceAccount:${invokerEmail(s)}`)).toBe(true);
    expect(invokes.map((g) => g.inputs.name).sort()).toEqual(fns);
    // The invoker itself holds nothing else.
    expect(grants(s).filter((g) => g.inputs.member === `serviceAccount:${invokerEmail(s)}`)).toHaveLength(fns.length);
  });

  it('gives the Pub/Sub and Storage service agents exactly what dead-lettering and notifications need', () => {
    const expected = topologies(s);
    const agentGrants = (member: string) => grants(s).filter((g) => g.inputs.member === member);
    const pubsub = agentGrants(PUBSUB_AGENT);
    const dlTopics = expected.flatMap((t) => t.topics.filter((x) => x.kind === 'dead-letter').map((x) => x.name)).sort();
    expect(pubsub.filter((g) => g.inputs.role === 'roles/pubsub.publisher').map((g) => g.inputs.topic).sort()).toEqual(dlTopics);
    expect(pubsub.filter((g) => g.inputs.role === 'roles/pubsub.subscriber').map((g) => g.inputs.subscription).sort())
      .toEqual(expected.flatMap((t) => t.pushSubscriptions.map((x) => x.subscription)).sort());
    const tokenCreator = pubsub.filter((g) => g.inputs.role === 'roles/iam.serviceAccountTokenCreator');
    expect(tokenCreator.map((g) => g.inputs.serviceAccountId)).toEqual([`projects/${s.config.project}/serviceAccounts/${invokerEmail(s)}`]);
    expect(pubsub).toHaveLength(dlTopics.length + tokenCreator.length + pubsub.filter((g) => g.inputs.role === 'roles/pubsub.subscriber').length);

    // The Pub/Sub agent is declared, so it exists before anything is granted to it.
    expect(ofType(s, 'projects/serviceIdentity:ServiceIdentity').map((r) => r.inputs.service)).toEqual(['pubsub.googleapis.com']);

    const storage = agentGrants(STORAGE_AGENT);
    expect(storage.every((g) => g.inputs.role === 'roles/pubsub.publisher')).toBe(true);
    expect(storage.map((g) => g.inputs.topic).sort()).toEqual(expected.flatMap((t) => t.bucketNotifications.map((n) => n.topic)).sort());
    const notifications = ofType(s, 'storage/notification:Notification');
    expect(notifications.map((n) => ({ topic: n.inputs.topic, prefix: n.inputs.objectNamePrefix, format: n.inputs.payloadFormat, events: n.inputs.eventTypes })).sort((a, b) => a.topic.localeCompare(b.topic)))
      .toEqual(expected.flatMap((t) => t.bucketNotifications).map((n) => ({ topic: `projects/${s.config.project}/topics/${n.topic}`, prefix: n.objectNamePrefix, format: 'JSON_API_V1', events: ['OBJECT_FINALIZE'] })).sort((a, b) => a.topic.localeCompare(b.topic)));
    expect(notifications.every((n) => n.inputs.bucket === dataBucketName(s.config))).toBe(true);
  });

  it('schedules each scheduled pipeline on its fetch topic, every pipeline\'s watchdog on its notify topic, and each source action on its fetch topic', () => {
    const jobs = ofType(s, 'cloudscheduler/job:Job');
    const scheduled = s.pipelines.filter((p) => p.schedule);
    const actions = topologies(s).flatMap((t) => t.schedules).filter((plan) => plan.payload.type === 'sluice.source-action');
    expect(jobs).toHaveLength(scheduled.length + s.pipelines.length + actions.length);
    for (const job of jobs) expect(job.inputs.timeZone).toMatch(/^[A-Za-z_]+\/[A-Za-z_]+$/);
    expect(jobs.filter((j) => String(j.inputs.pubsubTarget.topicName).endsWith('-notify'))).toHaveLength(s.pipelines.length);
    expect(jobs.filter((j) => String(j.inputs.pubsubTarget.topicName).endsWith('-fetch'))).toHaveLength(scheduled.length + actions.length);
    for (const plan of topologies(s).flatMap((t) => t.schedules)) {
      const job = named(s, 'cloudscheduler/job:Job', plan.name);
      expect(job.inputs).toMatchObject({ schedule: plan.cron, timeZone: plan.timeZone, region: s.config.region });
      expect(job.inputs.pubsubTarget.topicName).toBe(`projects/${s.config.project}/topics/${plan.topic}`);
      expect(JSON.parse(Buffer.from(job.inputs.pubsubTarget.data, 'base64').toString('utf8'))).toEqual(plan.payload);
    }
  });

  it('declares one secret per name used and grants access exactly to the functions that read it', () => {
    const used = new Set(s.pipelines.flatMap((p) => p.secrets));
    expect(ofType(s, 'secretmanager/secret:Secret').map((r) => r.inputs.secretId).sort()).toEqual([...used].sort());
    // No secret version (that would put a value in the state).
    expect(s.resources.some((r) => r.type.includes('SecretVersion'))).toBe(false);

    const expected = new Set<string>();
    for (const p of s.pipelines) {
      for (const stage of stageList) {
        for (const secret of secretsForStage(p, stage)) expected.add(`${secret} ${functionEmail(s, `${s.config.prefix}-${p.name}-${stage.name}`)}`);
      }
    }
    // The ops function's health checks read each pipeline's database and source secrets.
    for (const secret of opsAccessOf(s.pipelines, stageList, defineOps({}), s.config.prefix).secrets) expected.add(`${secret} ${functionEmail(s, opsName(s))}`);
    const actual = grants(s).filter((g) => g.inputs.role === 'roles/secretmanager.secretAccessor');
    expect(actual.every((g) => g.type.endsWith('secretmanager/secretIamMember:SecretIamMember'))).toBe(true);
    expect(new Set(actual.map((g) => `${g.inputs.secretId} ${g.inputs.member.replace('serviceAccount:', '')}`))).toEqual(expected);
    expect(actual).toHaveLength(expected.size);

    for (const fn of stageFunctions(s)) {
      const p = s.pipelines.find((x) => x.name === fn.inputs.serviceConfig.environmentVariables.SLUICE_PIPELINE)!;
      const stage = stageList.find((x) => x.name === fn.inputs.buildConfig.entryPoint)!;
      const secretEnv = fn.inputs.serviceConfig.secretEnvironmentVariables ?? [];
      // Refresh tokens a stage may rotate are read from Secret Manager at each sign-in, not from the environment.
      const fromEnv = secretsForStage(p, stage).filter((name) => !rotatedSecretsForStage(p, stage).includes(name));
      expect(secretEnv).toEqual(fromEnv.map((name) => ({ key: secretEnvVarName(name), secret: name, version: 'latest', projectId: s.config.project })));
    }
  });

  it('grants each function only what its stage uses, object access confined to its pipeline and area', () => {
    const allowedProjectRoles = new Set(['roles/datastore.user', 'roles/cloudsql.client']);
    for (const p of s.pipelines) {
      for (const stage of stageList) {
        const fnName = `${s.config.prefix}-${p.name}-${stage.name}`;
        const member = `serviceAccount:${functionEmail(s, fnName)}`;
        const mine = grants(s).filter((g) => g.inputs.member === member);
        const access = accessOf(p, stage, s.config.prefix, { cloudSqlInstance: s.config.cloudSqlInstance });

        const bucket = mine.filter((g) => g.type.endsWith('storage/bucketIAMMember:BucketIAMMember'));
        expect(bucket.map((g) => `${g.inputs.role} ${g.inputs.condition.expression}`).sort()).toEqual(
          bucketGrantsFor(stage.uses.bucket).map((b) => `${b.role} resource.name.startsWith("projects/_/buckets/${dataBucketName(s.config)}/objects/${b.area}/${p.name}/")`).sort(),
        );
        expect(bucket.every((g) => g.inputs.bucket === dataBucketName(s.config))).toBe(true);

        const publishes = mine.filter((g) => g.inputs.role === 'roles/pubsub.publisher').map((g) => g.inputs.topic).sort();
        expect(publishes).toEqual([...access.publishTopics].sort());
        expect(publishes).toContain(`${s.config.prefix}-${p.name}-${stage.name}-dead-letter`);
        expect(publishes.every((t: string) => t.startsWith(`${s.config.prefix}-${p.name}-`))).toBe(true);

        const project = mine.filter((g) => g.type.endsWith('projects/iAMMember:IAMMember'));
        expect(project.every((g) => allowedProjectRoles.has(g.inputs.role))).toBe(true);
        expect(project.some((g) => g.inputs.role === 'roles/datastore.user')).toBe(stage.uses.firestore);
        // Firestore only on the deployment's own database, in the expression Google documents.
        for (const g of project.filter((x) => x.inputs.role === 'roles/datastore.user')) {
          expect(g.inputs.condition?.expression).toBe(`resource.name == "projects/${s.config.project}/databases/${firestoreDatabaseName(s.config)}"`);
          expect(g.inputs.condition?.title).toMatch(/^[A-Za-z0-9 _-]{1,100}$/);
        }
        expect(project.some((g) => g.inputs.role === 'roles/cloudsql.client')).toBe(stage.uses.database && s.config.cloudSqlInstance !== undefined);

        // A version added only to the refresh tokens it signs in with, and only on those secrets.
        const rotates = mine.filter((g) => g.inputs.role === 'roles/secretmanager.secretVersionAdder');
        expect(rotates.map((g) => g.inputs.secretId).sort()).toEqual(rotatedSecretsForStage(p, stage));
        expect(rotates.every((g) => g.type.endsWith('secretmanager/secretIamMember:SecretIamMember'))).toBe(true);
        expect(rotatedSecretsForStage(p, stage).every((name) => secretsForStage(p, stage).includes(name))).toBe(true);

        const other = mine.filter((g) => !bucket.includes(g) && !project.includes(g) && !rotates.includes(g) && g.inputs.role !== 'roles/pubsub.publisher' && g.inputs.role !== 'roles/secretmanager.secretAccessor');
        expect(other).toEqual([]);
      }
    }
  });

  it('has no primitive, admin or public grant anywhere', () => {
    const forbiddenRoles = /^roles\/(owner|editor|viewer|storage\.admin|pubsub\.admin|pubsub\.editor|iam\.serviceAccountAdmin|secretmanager\.admin|resourcemanager\..*|run\.admin|cloudfunctions\.admin)$/;
    for (const g of grants(s)) {
      expect(g.inputs.role).not.toMatch(forbiddenRoles);
      expect(g.inputs.member).toMatch(/^serviceAccount:/);
    }
    const text = JSON.stringify(s.resources.map((r) => r.inputs));
    expect(text).not.toMatch(/allUsers|allAuthenticatedUsers/);
    // Project-level grants: Firestore (conditioned on its database) and Cloud SQL for functions, build
    // logs for the builder. Nothing else, and no unconditioned Firestore role.
    // The ops function also reads logs and pauses scheduler jobs (its custom role), both project-wide.
    const projectGrants = grants(s).filter((g) => g.type.endsWith('projects/iAMMember:IAMMember'));
    const opsProject = [`projects/${s.config.project}/roles/${s.config.prefix.replace(/-/g, '_')}_scheduler_control`, 'roles/logging.viewer'];
    expect(projectGrants.filter((g) => opsProject.includes(g.inputs.role)).every((g) => g.inputs.member === opsMember(s))).toBe(true);
    expect([...new Set(projectGrants.map((g) => g.inputs.role))].every((r) => ['roles/datastore.user', 'roles/cloudsql.client', 'roles/logging.logWriter', ...opsProject].includes(r))).toBe(true);
    expect(projectGrants.filter((g) => g.inputs.role === 'roles/datastore.user').every((g) => g.inputs.condition?.expression)).toBe(true);
  });

  it('lets the builder push images only to its own repository, which every function builds into', () => {
    const builder = `serviceAccount:${serviceAccountEmail(builderAccountId(s.config.prefix), s.config.project)}`;
    const repoId = functionImagesRepositoryId(s.config.prefix);
    const [repo, ...more] = ofType(s, 'artifactregistry/repository:Repository');
    expect(more).toEqual([]);
    expect(repo?.inputs).toMatchObject({ repositoryId: repoId, location: s.config.region, format: 'DOCKER', project: s.config.project });
    const mine = grants(s).filter((g) => g.inputs.member === builder);
    expect(mine.map((g) => `${g.type.split(':').pop()} ${g.inputs.role}`).sort()).toEqual([
      'BucketIAMMember roles/storage.objectViewer',
      'IAMMember roles/logging.logWriter',
      'RepositoryIamMember roles/artifactregistry.writer',
    ]);
    const writer = mine.find((g) => g.inputs.role === 'roles/artifactregistry.writer')!;
    expect(writer.inputs).toMatchObject({ repository: repoId, location: s.config.region, project: s.config.project });
    // No Artifact Registry role anywhere on the project.
    expect(grants(s).some((g) => g.type.endsWith('projects/iAMMember:IAMMember') && g.inputs.role.startsWith('roles/artifactregistry.'))).toBe(false);
    for (const fn of ofType(s, 'cloudfunctionsv2/function:Function')) {
      expect(fn.inputs.buildConfig.dockerRepository).toBe(`projects/${s.config.project}/locations/${s.config.region}/repositories/${repoId}`);
    }
  });

  it('takes internal traffic only, pushed to the run.app URL that Cloud Run counts as internal for Pub/Sub', () => {
    const fns = stageFunctions(s);
    expect(fns.length).toBeGreaterThan(0);
    for (const fn of fns) expect(fn.inputs.serviceConfig.ingressSettings).toBe('ALLOW_INTERNAL_ONLY');
    // Not the cloudfunctions.net URL, and not a custom domain: the Cloud Run service's own URL.
    for (const sub of ofType(s, 'pubsub/subscription:Subscription').filter((x) => x.inputs.pushConfig)) {
      expect(sub.inputs.pushConfig.pushEndpoint).toMatch(/^https:\/\/[a-z0-9-]+-mock\.a\.run\.app\//);
    }
  });

  it('enforces public access prevention and uniform access on the buckets, with retention lifecycle rules', () => {
    const buckets = ofType(s, 'storage/bucket:Bucket');
    expect(buckets).toHaveLength(2);
    for (const b of buckets) expect(b.inputs).toMatchObject({ publicAccessPrevention: 'enforced', uniformBucketLevelAccess: true });
    const data = named(s, 'storage/bucket:Bucket', dataBucketName(s.config));
    const ages = Object.fromEntries(data.inputs.lifecycleRules.map((r: any) => [r.condition.matchesPrefixes[0], r.condition.age]));
    expect(ages).toEqual({ 'archive/': s.config.archiveRetentionDays, 'quarantine/': s.config.quarantineRetentionDays, 'staged/': s.config.stagedRetentionDays });
    expect(data.inputs.lifecycleRules.every((r: any) => r.action.type === 'Delete')).toBe(true);
  });

  it('creates the Firestore database only when no existing one is configured', () => {
    const dbs = ofType(s, 'firestore/database:Database');
    if (s.config.firestoreDatabase) expect(dbs).toEqual([]);
    else expect(dbs.map((d) => d.inputs)).toMatchObject([{ name: '(default)', type: 'FIRESTORE_NATIVE', locationId: s.config.region }]);
  });

  it('uploads one bundle per stage and the ops bundle, and alerts the operator only when an e-mail is configured', () => {
    expect(ofType(s, 'storage/bucketObject:BucketObject').map((o) => o.inputs.name).sort()).toEqual([...stageList.map((x) => `functions/${x.name}.zip`), 'functions/ops.zip'].sort());
    expect(ofType(s, 'monitoring/alertPolicy:AlertPolicy')).toHaveLength(s.config.alertEmail ? 1 : 0);
  });

  it('exports bucket names, topic names, function URLs and service account e-mails', () => {
    const expected = topologies(s);
    expect(s.outputs.dataBucket).toBe(dataBucketName(s.config));
    expect(typeof s.outputs.sourcesBucket).toBe('string');
    expect(Object.keys(s.outputs.topics).sort()).toEqual(expected.flatMap((t) => t.topics.map((x) => x.name)).sort());
    const fnNames = [...expected.flatMap((t) => t.functions.map((f) => f.name)), opsName(s)].sort();
    expect(Object.keys(s.outputs.functionUrls).sort()).toEqual(fnNames);
    expect(Object.values(s.outputs.functionUrls).every((u) => String(u).startsWith('https://'))).toBe(true);
    expect(Object.keys(s.outputs.serviceAccounts).sort()).toEqual(['builder', 'invoker', ...fnNames].sort());
    expect(Object.keys(s.outputs.schedules).sort()).toEqual(expected.flatMap((t) => t.schedules.map((x) => x.name)).sort());
  });
});

describe('the synthetic set', () => {
  const synthetic = scenarios[1]!;
  it('shares one secret between two pipelines, granted to both of their readers only', () => {
    const accessors = grants(synthetic).filter((g) => g.inputs.role === 'roles/secretmanager.secretAccessor' && g.inputs.secretId === 'shared-smtp-url');
    expect(accessors.map((g) => g.inputs.member).sort()).toEqual(
      ['inventory', 'payroll', 'vendor-mail', 'pos-to-drive'].map((p) => `serviceAccount:${functionEmail(synthetic, `acme-${p}-notify`)}`).sort(),
    );
    expect(ofType(synthetic, 'secretmanager/secret:Secret').filter((r) => r.inputs.secretId === 'shared-smtp-url')).toHaveLength(1);
  });

  it("lets only the pipeline's notify function read its alert webhook's URL", () => {
    const readers = grants(synthetic).filter((g) => g.inputs.role === 'roles/secretmanager.secretAccessor' && g.inputs.secretId === 'payroll-alert-webhook');
    expect(readers.map((g) => g.inputs.member)).toEqual([`serviceAccount:${functionEmail(synthetic, 'acme-payroll-notify')}`]);
    const notify = ofType(synthetic, 'cloudfunctionsv2/function:Function').find((f) => f.inputs.name === 'acme-payroll-notify')!;
    expect(notify.inputs.serviceConfig.secretEnvironmentVariables).toContainEqual({ key: 'SLUICE_SECRET_PAYROLL_ALERT_WEBHOOK', secret: 'payroll-alert-webhook', version: 'latest', projectId: synthetic.config.project });
  });

  it('has no trigger schedule for the unscheduled pipeline, and a watchdog for every pipeline', () => {
    const names = ofType(synthetic, 'cloudscheduler/job:Job').map((j) => String(j.inputs.name));
    expect(names.filter((n) => n.endsWith('-schedule')).sort()).toEqual(['acme-inventory-schedule', 'acme-payroll-schedule', 'acme-pos-to-drive-schedule', 'acme-vendor-mail-schedule']);
    expect(names.filter((n) => n.endsWith('-watchdog'))).toHaveLength(synthetic.pipelines.length);
  });
});

describe('the Workspace connectors in the synthetic set', () => {
  const synthetic = scenarios[1]!;
  const GMAIL_PUSH = 'serviceAccount:gmail-api-push@system.gserviceaccount.com';
  const member = (fn: string) => `serviceAccount:${functionEmail(synthetic, fn)}`;

  it("declares Gmail's push topic, lets only Gmail's push account publish to it, and pushes it to the fetch function", () => {
    const topic = named(synthetic, ':Topic', 'acme-vendor-mail-gmail-push');
    expect(topic.inputs.project).toBe('synth-project-42');
    const publishers = grants(synthetic).filter((g) => g.inputs.member === GMAIL_PUSH);
    expect(publishers.map((g) => ({ type: g.type, topic: g.inputs.topic, role: g.inputs.role }))).toEqual([
      { type: 'gcp:pubsub/topicIAMMember:TopicIAMMember', topic: 'acme-vendor-mail-gmail-push', role: 'roles/pubsub.publisher' },
    ]);
    // Nobody else publishes to it (the fetch function only publishes to its next stages).
    expect(grants(synthetic).filter((g) => g.inputs.topic === 'acme-vendor-mail-gmail-push').map((g) => g.inputs.member)).toEqual([GMAIL_PUSH]);
    // No push topic for the pipelines that do not read Gmail with push.
    expect(ofType(synthetic, ':Topic').filter((t) => String(t.inputs.name).endsWith('-gmail-push')).map((t) => t.inputs.name)).toEqual(['acme-vendor-mail-gmail-push']);

    const sub = named(synthetic, 'pubsub/subscription:Subscription', 'acme-vendor-mail-gmail-push-fetch');
    expect(sub.inputs).toMatchObject({
      topic: 'acme-vendor-mail-gmail-push',
      deadLetterPolicy: { deadLetterTopic: 'projects/synth-project-42/topics/acme-vendor-mail-fetch-dead-letter' },
      pushConfig: { pushEndpoint: 'https://acme-vendor-mail-fetch-mock.a.run.app/projects/synth-project-42/topics/acme-vendor-mail-gmail-push' },
    });
    // Dead-lettering from it works like from any push subscription.
    expect(grants(synthetic).some((g) => g.inputs.subscription === 'acme-vendor-mail-gmail-push-fetch' && g.inputs.member === PUBSUB_AGENT && g.inputs.role === 'roles/pubsub.subscriber')).toBe(true);
  });

  it('renews the Gmail watch daily through the fetch topic', () => {
    const job = named(synthetic, 'cloudscheduler/job:Job', 'acme-vendor-mail-gmail-watch');
    expect(job.inputs).toMatchObject({ schedule: '17 4 * * *', timeZone: 'Etc/UTC', region: 'europe-west3' });
    expect(job.inputs.pubsubTarget.topicName).toBe('projects/synth-project-42/topics/acme-vendor-mail-fetch');
    expect(JSON.parse(Buffer.from(job.inputs.pubsubTarget.data, 'base64').toString('utf8')))
      .toEqual({ v: '1', type: 'sluice.source-action', pipeline: 'vendor-mail', action: 'renew-watch', topic: 'acme-vendor-mail-gmail-push' });
  });

  it("creates every connector secret, lets fetch read the Gmail sign-in and notify Drive's, and each write back only its own refresh token", () => {
    const declared = ofType(synthetic, 'secretmanager/secret:Secret').map((r) => r.inputs.secretId);
    for (const name of ['google-oauth-client-id', 'google-oauth-client-secret', 'vendor-mail-gmail-token', 'vendor-mail-drive-key', 'pos-to-drive-drive-token']) {
      expect(declared.filter((d) => d === name)).toEqual([name]);
    }
    const readers = (secret: string) => grants(synthetic)
      .filter((g) => g.inputs.role === 'roles/secretmanager.secretAccessor' && g.inputs.secretId === secret).map((g) => g.inputs.member).sort();
    // The ops function's health check signs in to the source too.
    expect(readers('vendor-mail-gmail-token')).toEqual([member('acme-ops'), member('acme-vendor-mail-fetch')].sort());
    expect(readers('vendor-mail-drive-key')).toEqual([member('acme-vendor-mail-notify')]);
    expect(readers('pos-to-drive-drive-token')).toEqual([member('acme-pos-to-drive-notify')]);
    // One OAuth client, two pipelines' sign-ins: its reader in each.
    expect(readers('google-oauth-client-id')).toEqual([member('acme-ops'), member('acme-vendor-mail-fetch'), member('acme-pos-to-drive-notify')].sort());

    const adders = grants(synthetic).filter((g) => g.inputs.role === 'roles/secretmanager.secretVersionAdder');
    expect(adders.map((g) => `${g.inputs.secretId} ${g.inputs.member}`).sort()).toEqual([
      `pos-to-drive-drive-token ${member('acme-pos-to-drive-notify')}`,
      `vendor-mail-gmail-token ${member('acme-vendor-mail-fetch')}`,
    ]);
    // Never on the project, never the client id/secret or a service-account key.
    expect(grants(synthetic).some((g) => g.type.endsWith('projects/iAMMember:IAMMember') && String(g.inputs.role).startsWith('roles/secretmanager.'))).toBe(false);
  });

  it('enables the Gmail and Drive APIs because a pipeline uses them, and the demo only what it uses', () => {
    const services = (s: Scenario) => ofType(s, 'projects/service:Service').map((r) => r.inputs.service);
    expect(services(synthetic)).toEqual(expect.arrayContaining(['gmail.googleapis.com', 'drive.googleapis.com', 'pubsub.googleapis.com']));
    expect(new Set(services(synthetic)).size).toBe(services(synthetic).length);
    const demo = scenarios[0]!;
    const demoNeeds = new Set(topologies(demo).flatMap((t) => t.services));
    for (const api of ['gmail.googleapis.com', 'drive.googleapis.com']) expect(services(demo).includes(api)).toBe(demoNeeds.has(api));
    for (const service of ofType(synthetic, 'projects/service:Service')) expect(service.inputs.disableOnDestroy).toBe(false);
  });

  it("gives each notify function the bucket access its stage declares, whatever its destinations", () => {
    const notify = stageList.find((x) => x.name === 'notify')!;
    for (const p of ['vendor-mail', 'pos-to-drive']) {
      const bucket = grants(synthetic).filter((g) => g.inputs.member === member(`acme-${p}-notify`) && g.type.endsWith('storage/bucketIAMMember:BucketIAMMember'));
      expect(bucket.map((g) => `${g.inputs.role} ${g.inputs.condition.title}`).sort())
        .toEqual(bucketGrantsFor(notify.uses.bucket).map((b) => `${b.role} ${b.area}-${p}`).sort());
    }
  });
});

describe('a real deploy', () => {
  it('fails with a clear message when the bundles were not built', () => {
    expect(() => declareSluice({
      pipelines: demoPipelines,
      stages: stageList,
      config: scenarios[0]!.config,
      bundles: { bundleDir: '/nonexistent/dist/functions', requireBundles: true },
    })).toThrow(MissingBundleError);
  });
});
