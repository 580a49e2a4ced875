// `npm run emulator`: start the whole local cloud with persistent state in .sluice/, print one
// NAME=value line per endpoint on stdout (and write them to .sluice/emulator.env), log JSON
// lines on stderr, run until SIGINT/SIGTERM, then stop every child process and exit 0.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../shared/logger';
import { formatEnvLines, writeEnvFile } from './env-file';
import { endpointsToEnv, startLocalCloud } from './stack';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const logger = createLogger({ component: 'local-cloud' }, (line) => process.stderr.write(line + '\n'));
  const dataDir = path.resolve(env.SLUICE_DATA_DIR || path.join(repoRoot, '.sluice'));
  const envFile = path.join(dataDir, 'emulator.env');

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

  if (!stopRequested) await new Promise<void>((resolve) => (wake = resolve));
  logger.info('stopping local cloud', { signal: stopRequested });
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
