// `npm run emulator`: start the whole local cloud with persistent state in .sluice/, print one
// NAME=value line per endpoint on stdout (and write them to .sluice/emulator.env), log JSON
// lines on stderr, run until SIGINT/SIGTERM, then stop every child process and exit 0.
// It also deploys every pipeline in pipelines/index.ts, schedules running (the demo pipelines with
// their credentials seeded but none of the demo's data; a user's own with their secrets from
// .sluice/secrets.json), and serves the ops API and dashboard, so `npx sluice trigger <pipeline>`
// works here as under `npm start`; how to reach them is said on stderr (stdout stays NAME=value).
// `--no-deploy`: the local cloud only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlers } from '../functions/handlers';
import { pipelines } from '../pipelines/index';
import { ops } from '../pipelines/ops';
import { createLogger } from '../shared/logger';
import { demoSecretNames, isDemoPipeline, seedDemoSecrets } from './demo/demo-secrets';
import { formatEnvLines, writeEnvFile } from './env-file';
import { GoogleApiDoubleClient } from './google-apis/double-client';
import { checkSecrets, localValuesOf, MissingSecretsError, startLocalSession, type LocalSession } from './local-session';
import { opsHintLines } from './ops-hint';
import { endpointsToEnv, startLocalCloud } from './stack';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const logger = createLogger({ component: 'local-cloud' }, (line) => process.stderr.write(line + '\n'));
  const dataDir = path.resolve(env.SLUICE_DATA_DIR || path.join(repoRoot, '.sluice'));
  const envFile = path.join(dataDir, 'emulator.env');
  const deploy = !process.argv.includes('--no-deploy');
  // No metadata server exists locally; without this the ops service's Google clients probe for one.
  env.METADATA_SERVER_DETECTION ??= 'none';
  if (deploy) {
    try {
      checkSecrets(pipelines, dataDir, demoSecretNames(pipelines));
    } catch (error) {
      if (!(error instanceof MissingSecretsError)) throw error;
      process.stderr.write(`${error.lines.join('\n')}\n`);
      return 2;
    }
  }

  // Signals that arrive while starting are honoured once start-up settles (it cleans up itself).
  let stopRequested: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      logger.warn('second signal: exiting now (children are signalled by the exit handler)', { signal });
      process.exit(1);
    }
    stopRequested = signal;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let cloud;
  try {
    cloud = await startLocalCloud({ dataDir, env, logger });
  } catch (error) {
    logger.error('local cloud failed to start', { error });
    return 1;
  }
  const lines = endpointsToEnv(cloud.endpoints);
  writeEnvFile(envFile, lines);
  process.stdout.write(formatEnvLines(lines));
  logger.info('local cloud running', { coldStartMs: cloud.coldStartMs, envFile });

  let session: LocalSession | undefined;
  if (deploy && !stopRequested) {
    try {
      const { endpoints } = cloud;
      const google = new GoogleApiDoubleClient(endpoints.google);
      const seeds = await seedDemoSecrets({ google, endpoints, databaseUrl: endpoints.databaseUrl, pipelines });
      session = await startLocalSession({
        endpoints, pipelines, handlers, ops, dataDir, seeds,
        localValues: localValuesOf(lines, endpoints, endpoints.databaseUrl),
        logger, runSchedules: true, serveOps: true,
      });
      logger.info('pipelines deployed', { pipelines: pipelines.map((p) => p.name), ops: session.ops?.url });
      for (const line of session.ops ? opsHintLines(session.ops, pipelines.filter((p) => !isDemoPipeline(p))) : []) process.stderr.write(`${line}\n`);
    } catch (error) {
      await cloud.stop();
      fs.rmSync(envFile, { force: true });
      if (error instanceof MissingSecretsError) {
        process.stderr.write(`${error.lines.join('\n')}\n`);
        return 2;
      }
      logger.error('pipelines failed to deploy', { error });
      return 1;
    }
  }

  if (!stopRequested) await new Promise<void>((resolve) => (wake = resolve));
  logger.info('stopping local cloud', { signal: stopRequested });
  await session?.stop().catch((error: unknown) => logger.error('local deployment failed to stop', { error }));
  await cloud.stop();
  // The endpoints are gone: a stale env file would point tools at dead ports.
  fs.rmSync(envFile, { force: true });
  return 0;
}

main(process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${JSON.stringify({ severity: 'CRITICAL', message: 'emulator cli crashed', error: String(error) })}\n`);
    process.exit(1);
  },
);
