// write-code-cache.js of a stage package, run by the deploy build (package.json "gcp-build": Google's
// Node.js buildpack runs it after installing dependencies, with the Node.js the function will run on)
// and by `npm run build` here. It runs the stage bundle's start-up once, as a cold start would, then
// asks V8 for a cache of everything compiled so far, so the cache covers the whole load path and not
// only the top level. Start-up needs a configuration; a placeholder one is enough because start-up
// only parses it and creates clients, without network calls. A failure never fails the deploy: the
// function works without a cache, only its cold start is slower.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileStage } from './compile-stage';
import { CODE_CACHE_FILE, STAGE_BUNDLE_FILE } from './package-layout';

// Replaced at build time with the stage name and a pipeline the bundle defines.
declare const __SLUICE_WARMUP__: { stage: string; pipeline: string };

const placeholder: Record<string, string> = {
  SLUICE_STAGE: __SLUICE_WARMUP__.stage,
  SLUICE_PIPELINE: __SLUICE_WARMUP__.pipeline,
  SLUICE_BUCKET: 'code-cache-warmup',
  GOOGLE_CLOUD_PROJECT: 'code-cache-warmup',
  LOG_LEVEL: 'ERROR',
};
for (const [name, value] of Object.entries(placeholder)) process.env[name] ??= value;

const file = join(__dirname, STAGE_BUNDLE_FILE);
const compiled = compileStage({ file });
let ranStartUp = true;
try {
  compiled.run({ exports: {} });
} catch (error) {
  ranStartUp = false;
  process.stdout.write(`${JSON.stringify({ severity: 'WARNING', message: 'stage start-up failed while writing the code cache; caching the top level only', error: error instanceof Error ? error.message : String(error) })}\n`);
}
const cache = compiled.script.createCachedData();
writeFileSync(join(__dirname, CODE_CACHE_FILE), cache);
process.stdout.write(`${JSON.stringify({ severity: 'INFO', message: 'code cache written', bytes: cache.length, ranStartUp, node: process.version })}\n`);
// Clients created by start-up may hold timers; the cache is written, nothing else is to be done.
process.exit(0);
