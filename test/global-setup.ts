// Starts ONE local cloud for the whole test run and hands its endpoints to every test file
// (inject('localCloud'), see test/support/local-cloud.ts). SLUICE_TEST_NO_GLOBAL_SETUP=1 starts
// nothing, for quick unit runs.
import type { TestProject } from 'vitest/node';
import { createLogger } from '../shared/logger';
import { startLocalCloud } from '../emulator/stack';
import type {} from './support/local-cloud'; // the ProvidedContext declaration

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const env = process.env;
  if (env.SLUICE_TEST_NO_GLOBAL_SETUP === '1') return undefined;
  // Emulator clients still ask google-auth for a universe domain, which probes the GCE metadata
  // server (and warns when absent). Tests never run on GCE: skip the probe in every test worker.
  env.METADATA_SERVER_DETECTION ??= 'none';
  const logger = createLogger({ component: 'local-cloud' }, (line) => process.stderr.write(line + '\n'), 'WARNING');
  const cloud = await startLocalCloud({ env, fastPostgres: true, logger });
  process.stderr.write(`local cloud ready in ${cloud.coldStartMs} ms (${cloud.endpoints.dataDir})\n`);
  project.provide('localCloud', cloud.endpoints);
  return () => cloud.stop();
}
