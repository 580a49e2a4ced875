// write-code-cache.js of a stage package, run by the deploy build (package.json "gcp-build": Google's
// Node.js buildpack runs it after installing dependencies, with the Node.js the function will run on)
// and by `npm run build` here. It runs the stage bundle's start-up once, as a cold start would, then
// asks V8 for a cache of everything compiled so far, so the cache covers the whole load path and not
// only the top level. Start-up needs a configuration; a placeholder one is enough because start-up
// only parses it and creates clients, without network calls. A failure never fails the deploy: the
// function works without a cache, only its cold start is slower.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileStage } from './compile-stage';
import { CODE_CACHE_FILE, STAGE_BUNDLE_FILE } from './package-layout';

// Replaced at build time with the stage name and a pipeline the bundle defines.
declare const __SLUICE_WARMUP__: { stage: string; pipeline: string };

const say = (severity: 'INFO' | 'WARNING', message: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ severity, message, stage: __SLUICE_WARMUP__.stage, ...fields })}\n`);

// V8 accepts a cache only under the flags it was made with. The functions-framework buildpack starts
// the function with NODE_OPTIONS=--max-old-space-size=<GOOGLE_CONTAINER_MEMORY_HINT_MB - 64> when
// that build variable is set, so the cache must be written under the same flag.
function runtimeHeapFlag(): string | undefined {
  const hint = Number(process.env.GOOGLE_CONTAINER_MEMORY_HINT_MB);
  return Number.isInteger(hint) && hint > 64 ? `--max-old-space-size=${hint - 64}` : undefined;
}

function hasFlag(flag: string): boolean {
  return process.execArgv.includes(flag) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag);
}

function writeCache(): void {
  // The bundle serves exactly one stage and one of the pipelines it was built with; whatever the
  // environment says (a developer's shell, the build's variables) the start-up runs with these.
  Object.assign(process.env, {
    SLUICE_STAGE: __SLUICE_WARMUP__.stage,
    SLUICE_PIPELINE: __SLUICE_WARMUP__.pipeline,
    SLUICE_BUCKET: 'code-cache-warmup',
    GOOGLE_CLOUD_PROJECT: 'code-cache-warmup',
    // The ops function's start-up needs the scheduler jobs' region; the stages ignore it.
    SLUICE_REGION: 'us-central1',
    LOG_LEVEL: 'ERROR',
  });
  const compiled = compileStage({ file: join(__dirname, STAGE_BUNDLE_FILE) });
  let ranStartUp = true;
  try {
    compiled.run({ exports: {} });
  } catch (error) {
    ranStartUp = false;
    say('WARNING', 'stage start-up failed while writing the code cache; caching the top level only', { error: error instanceof Error ? error.message : String(error) });
  }
  const cache = compiled.script.createCachedData();
  writeFileSync(join(__dirname, CODE_CACHE_FILE), cache);
  say('INFO', 'code cache written', { bytes: cache.length, ranStartUp, node: process.version, flags: process.execArgv.join(' ') || undefined });
}

const flag = runtimeHeapFlag();
try {
  if (flag && !hasFlag(flag)) {
    const child = spawnSync(process.execPath, [flag, __filename], { stdio: 'inherit', env: process.env });
    if (child.status !== 0) say('WARNING', 'code cache writer failed; the function will compile from source', { status: child.status, signal: child.signal });
  } else {
    writeCache();
  }
} catch (error) {
  say('WARNING', 'code cache writer failed; the function will compile from source', { error: error instanceof Error ? error.message : String(error) });
}
// Clients created by start-up may hold timers; the cache is written (or given up), nothing else is to be done.
process.exit(0);
