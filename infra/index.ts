// `pulumi up` entry point (see Pulumi.yaml and infra/README.md): the stack's config, the pipelines of
// pipelines/index.ts and the stage declarations of functions/stages.ts, declared by program.ts.
import { fileURLToPath } from 'node:url';
import { stageList } from '../functions/stages';
import { pipelines } from '../pipelines/index';
import { ops } from '../pipelines/ops';
import { loadSluiceConfig } from './config';
import { declareSluice } from './program';

const outputs = declareSluice({
  pipelines,
  stages: stageList,
  config: loadSluiceConfig(),
  ops,
  bundles: { bundleDir: fileURLToPath(new URL('../dist/functions', import.meta.url)), requireBundles: true },
});

export const dataBucket = outputs.dataBucket;
export const sourcesBucket = outputs.sourcesBucket;
export const firestoreDatabase = outputs.firestoreDatabase;
export const topics = outputs.topics;
export const functionUrls = outputs.functionUrls;
export const opsUrl = outputs.opsUrl;
export const dashboardUrl = outputs.dashboardUrl;
export const serviceAccounts = outputs.serviceAccounts;
export const schedules = outputs.schedules;
