// Runs a Pulumi program in-process under `pulumi.runtime.setMocks` and returns every resource it
// declared (type, logical name, resolved inputs) with the provider-computed outputs a real
// deployment would fill in (e-mails, ids, URLs), so tests can check the declared cloud.
import * as pulumi from '@pulumi/pulumi';

export interface DeclaredResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
}

export const PROJECT_NUMBER = '123456789012';
export const PUBSUB_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
export const STORAGE_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com`;

// What the GCP provider would compute for the resources whose outputs the program uses.
function computedState(type: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
  const project = inputs.project ?? 'mock-project';
  switch (type) {
    case 'gcp:serviceaccount/account:Account': {
      const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
      const name = `projects/${project}/serviceAccounts/${email}`;
      return { id: name, state: { email, member: `serviceAccount:${email}`, name } };
    }
    case 'gcp:pubsub/topic:Topic':
      return { id: `projects/${project}/topics/${inputs.name}`, state: {} };
    case 'gcp:pubsub/subscription:Subscription':
      return { id: `projects/${project}/subscriptions/${inputs.name}`, state: {} };
    case 'gcp:cloudfunctionsv2/function:Function':
      return {
        id: `projects/${project}/locations/${inputs.location}/functions/${inputs.name}`,
        state: {
          url: `https://${inputs.location}-${project}.cloudfunctions.net/${inputs.name}`,
          serviceConfig: { ...inputs.serviceConfig, uri: `https://${inputs.name}-mock.a.run.app` },
        },
      };
    case 'gcp:secretmanager/secret:Secret':
      return { id: `projects/${project}/secrets/${inputs.secretId}`, state: { name: `projects/${project}/secrets/${inputs.secretId}` } };
    case 'gcp:storage/bucketObject:BucketObject':
      return { id: `${inputs.bucket}-${inputs.name}`, state: { outputName: inputs.name } };
    case 'gcp:projects/serviceIdentity:ServiceIdentity': {
      const email = PUBSUB_AGENT.slice('serviceAccount:'.length);
      return { id: `${inputs.service}-identity`, state: { email, member: PUBSUB_AGENT } };
    }
    case 'gcp:artifactregistry/repository:Repository': {
      const name = `projects/${project}/locations/${inputs.location}/repositories/${inputs.repositoryId}`;
      return { id: name, state: { name } };
    }
    case 'gcp:cloudscheduler/job:Job':
      return { id: `projects/${project}/locations/${inputs.region}/jobs/${inputs.name}`, state: {} };
    case 'gcp:projects/iAMCustomRole:IAMCustomRole': {
      const name = `projects/${project}/roles/${inputs.roleId}`;
      return { id: name, state: { name } };
    }
    case 'gcp:monitoring/notificationChannel:NotificationChannel':
      return { id: `projects/${project}/notificationChannels/1`, state: { name: `projects/${project}/notificationChannels/1` } };
    default:
      return { id: `${inputs.name ?? type}-id`, state: {} };
  }
}

export async function installMocks(resources: DeclaredResource[], project = 'mock-project'): Promise<void> {
  await pulumi.runtime.setMocks({
    newResource(args) {
      const { id, state } = computedState(args.type, args.inputs);
      const full = { ...args.inputs, ...state };
      resources.push({ type: args.type, name: args.name, inputs: args.inputs, state: full });
      return { id, state: full };
    },
    call(args) {
      if (args.token === 'gcp:organizations/getProject:getProject') {
        return { number: PROJECT_NUMBER, projectId: args.inputs.projectId ?? project, name: 'Mock project' };
      }
      if (args.token === 'gcp:storage/getProjectServiceAccount:getProjectServiceAccount') {
        const emailAddress = STORAGE_AGENT.slice('serviceAccount:'.length);
        return { emailAddress, member: STORAGE_AGENT, project: args.inputs.project ?? project };
      }
      throw new Error(`unexpected data source call ${args.token}`);
    },
  }, 'sluice', 'test', false);
}

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolvePromise) => output.apply((value) => { resolvePromise(value); return value; }));
}

// Runs `program` under fresh mocks; resolves once every resource registration has completed.
export async function declareUnderMocks<T extends Record<string, pulumi.Output<unknown>>>(
  program: () => T,
): Promise<{ resources: DeclaredResource[]; outputs: { [K in keyof T]: T[K] extends pulumi.Output<infer U> ? U : never } }> {
  const resources: DeclaredResource[] = [];
  await installMocks(resources);
  const declared = program();
  const entries = await Promise.all(Object.entries(declared).map(async ([key, value]) => [key, await resolve(value)] as const));
  // Wait for registrations nothing in the outputs depends on (IAM members, notifications...).
  await pulumi.runtime.disconnect();
  return { resources, outputs: Object.fromEntries(entries) as any };
}
