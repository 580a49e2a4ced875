// The ops function under Pulumi mocks: its own service account with exactly the grants ops-access.ts
// derives (and nothing else), authentication required (run.invoker for the declared viewers and
// operators only, never allUsers), the dashboard URL notify links alerts to, and the Firestore
// indexes and TTL policies of shared/firestore-indexes.ts.
import type * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageList } from '../../functions/stages';
import { parseSluiceConfig } from '../../infra/config';
import { dataBucketName, opsFunctionName, serviceAccountEmail, serviceAccountId } from '../../infra/naming';
import { SCHEDULER_CONTROL_PERMISSIONS } from '../../infra/ops-access';
import { declareSluice } from '../../infra/program';
import { DECLARED_INDEXES, DECLARED_TTL_FIELDS } from '../../shared/firestore-indexes';
import { defineOps, type OpsDefinition } from '../../shared/ops-definition';
import { secretsForStage } from '../../shared/stage-secrets';
import { topicName } from '../../shared/topology';
import { declareUnderMocks, type DeclaredResource } from './pulumi-mocks';
import { syntheticPipelines } from './synthetic-pipelines';

const config = parseSluiceConfig((key) => ({ 'gcp:project': 'synth-project-42', 'gcp:region': 'europe-west3', 'sluice:prefix': 'acme', 'sluice:firestoreDatabase': 'runs-db' } as Record<string, string>)[key]);
const OPS = 'acme-ops';
const opsEmail = serviceAccountEmail(serviceAccountId(OPS), config.project);
const opsMember = `serviceAccount:${opsEmail}`;
const viewers = ['user:ana@example.com', 'group:finance@example.com'];
const operators = ['user:ops@example.com', 'serviceAccount:ci@synth-project-42.iam.gserviceaccount.com'];

interface Declared { resources: DeclaredResource[]; outputs: Record<string, any> }

async function declare(ops: OpsDefinition): Promise<Declared> {
  return declareUnderMocks(() => declareSluice({
    pipelines: syntheticPipelines,
    stages: stageList,
    config,
    ops,
    bundles: { bundleDir: '/nonexistent/dist/functions', requireBundles: false },
  }) as unknown as Record<string, pulumi.Output<unknown>>);
}

let plain: Declared;
let declaredUrl: Declared;
beforeAll(async () => {
  plain = await declare(defineOps({ viewers, operators }));
  declaredUrl = await declare(defineOps({ viewers, dashboardUrl: 'https://ops.example.com/ui/' }));
}, 120_000);

const ofType = (d: Declared, suffix: string) => d.resources.filter((r) => r.type.endsWith(suffix));
const grants = (d: Declared) => d.resources.filter((r) => typeof r.inputs.role === 'string');
const fn = (d: Declared, name: string) => ofType(d, 'cloudfunctionsv2/function:Function').find((f) => f.inputs.name === name)!;

describe('the ops function', () => {
  it('is one HTTP function from the ops bundle, run by its own service account', () => {
    expect(opsFunctionName('acme')).toBe(OPS);
    const ops = fn(plain, OPS);
    expect(ops.inputs.eventTrigger).toBeUndefined();
    expect(ops.inputs.buildConfig).toMatchObject({ entryPoint: 'ops', runtime: config.nodeRuntime, source: { storageSource: { object: 'functions/ops.zip' } } });
    expect(ops.inputs.serviceConfig.serviceAccountEmail).toBe(opsEmail);
    // Reached from outside by people and the CLI; IAM decides who.
    expect(ops.inputs.serviceConfig.ingressSettings).toBe('ALLOW_ALL');
    expect(ofType(plain, 'serviceaccount/account:Account').filter((a) => a.inputs.accountId === serviceAccountId(OPS))).toHaveLength(1);
    expect(ops.inputs.serviceConfig.environmentVariables).toMatchObject({
      SLUICE_PREFIX: 'acme', SLUICE_BUCKET: dataBucketName(config), GOOGLE_CLOUD_PROJECT: config.project, SLUICE_FIRESTORE_DATABASE: 'runs-db', SLUICE_REGION: 'europe-west3',
    });
    expect(plain.outputs.functionUrls[OPS]).toBe(`https://${OPS}-mock.a.run.app`);
    expect(plain.outputs.serviceAccounts[OPS]).toBe(opsEmail);
    expect(plain.outputs.opsUrl).toBe(`https://${OPS}-mock.a.run.app`);
  });

  it('requires authentication: run.invoker for each declared viewer and operator, nobody else, never allUsers', () => {
    const invokers = grants(plain).filter((g) => g.inputs.role === 'roles/run.invoker' && g.inputs.name === OPS);
    expect(invokers.every((g) => g.type.endsWith('cloudrunv2/serviceIamMember:ServiceIamMember'))).toBe(true);
    expect(invokers.map((g) => g.inputs.member).sort()).toEqual([...viewers, ...operators].sort());
    expect(JSON.stringify(plain.resources.map((r) => r.inputs))).not.toMatch(/allUsers|allAuthenticatedUsers/);
    // The push invoker account cannot call it.
    expect(invokers.some((g) => String(g.inputs.member).includes('invoker'))).toBe(false);
  });

  it('grants its account exactly what the controls need, each on the narrowest resource', () => {
    const mine = grants(plain).filter((g) => g.inputs.member === opsMember);
    const take = (predicate: (g: DeclaredResource) => boolean) => mine.filter(predicate);

    const firestore = take((g) => g.inputs.role === 'roles/datastore.user');
    expect(firestore.map((g) => g.inputs.condition.expression)).toEqual([`resource.name == "projects/${config.project}/databases/runs-db"`]);

    // Trigger, rerun and replay: every pipeline's stage input topics, nothing else (no dead-letter topic).
    const publishes = take((g) => g.inputs.role === 'roles/pubsub.publisher');
    expect(publishes.map((g) => g.inputs.topic).sort()).toEqual(syntheticPipelines.flatMap((p) => stageList.map((s) => topicName('acme', p.name, s.name))).sort());

    // Rerun copies raw objects: read and create under raw/<pipeline>/ only.
    const objects = take((g) => g.type.endsWith('storage/bucketIAMMember:BucketIAMMember'));
    expect(objects.map((g) => `${g.inputs.role} ${g.inputs.condition.expression}`).sort()).toEqual(syntheticPipelines.flatMap((p) => [
      `roles/storage.objectCreator resource.name.startsWith("projects/_/buckets/${dataBucketName(config)}/objects/raw/${p.name}/")`,
      `roles/storage.objectViewer resource.name.startsWith("projects/_/buckets/${dataBucketName(config)}/objects/raw/${p.name}/")`,
    ]).sort());

    // Pause/resume: a custom role with the four scheduler permissions, not cloudscheduler.admin.
    const [role, ...moreRoles] = ofType(plain, 'projects/iAMCustomRole:IAMCustomRole');
    expect(moreRoles).toEqual([]);
    expect(role!.inputs).toMatchObject({ project: config.project, roleId: 'acme_scheduler_control', stage: 'GA' });
    expect([...role!.inputs.permissions].sort()).toEqual([...SCHEDULER_CONTROL_PERMISSIONS].sort());
    expect(role!.inputs.permissions).not.toContain('cloudscheduler.jobs.create');
    const scheduler = take((g) => g.inputs.role === `projects/${config.project}/roles/acme_scheduler_control`);
    expect(scheduler).toHaveLength(1);
    expect(grants(plain).some((g) => String(g.inputs.role).startsWith('roles/cloudscheduler.'))).toBe(false);

    const logs = take((g) => g.inputs.role === 'roles/logging.viewer');
    expect(logs.map((g) => g.type)).toEqual(['gcp:projects/iAMMember:IAMMember']);

    // Health checks: each pipeline's database and source secrets, read-only.
    const secrets = take((g) => g.inputs.role === 'roles/secretmanager.secretAccessor');
    const expected = new Set(syntheticPipelines.flatMap((p) => secretsForStage(p, { uses: { bucket: { read: [], write: [], delete: [] }, firestore: false, database: true, secrets: ['database', 'source'] } })));
    expect(secrets.map((g) => g.inputs.secretId).sort()).toEqual([...expected].sort());
    expect(secrets.every((g) => g.type.endsWith('secretmanager/secretIamMember:SecretIamMember'))).toBe(true);
    // Never a mail or destination secret, never a version adder.
    expect(secrets.some((g) => g.inputs.secretId === 'shared-smtp-url')).toBe(false);

    expect(mine).toHaveLength(firestore.length + publishes.length + objects.length + scheduler.length + logs.length + secrets.length);
  });

  it("links notify's alerts to its dashboard at /ui/, or to ops.dashboardUrl when declared", () => {
    const notifyEnv = (d: Declared) => ofType(d, 'cloudfunctionsv2/function:Function')
      .filter((f) => f.inputs.labels?.['sluice-stage'] === 'notify').map((f) => f.inputs.serviceConfig.environmentVariables.SLUICE_DASHBOARD_URL);
    expect(new Set(notifyEnv(plain))).toEqual(new Set([`https://${OPS}-mock.a.run.app/ui/`]));
    expect(notifyEnv(plain)).toHaveLength(syntheticPipelines.length);
    expect(plain.outputs.dashboardUrl).toBe(`https://${OPS}-mock.a.run.app/ui/`);
    expect(fn(plain, OPS).inputs.serviceConfig.environmentVariables.SLUICE_DASHBOARD_URL).toBeUndefined();

    expect(new Set(notifyEnv(declaredUrl))).toEqual(new Set(['https://ops.example.com/ui/']));
    expect(declaredUrl.outputs.dashboardUrl).toBe('https://ops.example.com/ui/');
    expect(fn(declaredUrl, OPS).inputs.serviceConfig.environmentVariables.SLUICE_DASHBOARD_URL).toBe('https://ops.example.com/ui/');
    // Only viewers declared: only they invoke.
    expect(grants(declaredUrl).filter((g) => g.inputs.role === 'roles/run.invoker' && g.inputs.name === OPS).map((g) => g.inputs.member).sort()).toEqual([...viewers].sort());
  });
});

describe('Firestore indexes and retention', () => {
  it('declares every composite index of shared/firestore-indexes.ts on the deployment database', () => {
    const indexes = ofType(plain, 'firestore/index:Index');
    expect(indexes).toHaveLength(DECLARED_INDEXES.length);
    const shape = (collection: string, scope: string, fields: Array<{ fieldPath: string; order: string }>) => `${collection} ${scope} ${fields.map((f) => `${f.fieldPath}:${f.order}`).join(',')}`;
    expect(indexes.map((i) => shape(i.inputs.collection, i.inputs.queryScope, i.inputs.fields)).sort())
      .toEqual(DECLARED_INDEXES.map((i) => shape(i.collectionGroup, i.queryScope, i.fields)).sort());
    expect(indexes.every((i) => i.inputs.database === 'runs-db' && i.inputs.project === config.project)).toBe(true);
  });

  it('turns on a TTL policy for every expiry field, exempt from single-field indexing', () => {
    const fields = ofType(plain, 'firestore/field:Field');
    expect(fields.map((f) => `${f.inputs.collection}.${f.inputs.field}`).sort()).toEqual(DECLARED_TTL_FIELDS.map((t) => `${t.collectionGroup}.${t.fieldPath}`).sort());
    for (const field of fields) expect(field.inputs).toMatchObject({ database: 'runs-db', project: config.project, ttlConfig: {}, indexConfig: {} });
  });
});
