// scripts/build-functions.ts and scripts/measure-bundles.ts on a tiny stage entry: one CJS bundle
// with everything but the external dependencies inside, a loader that runs it with a V8 code cache,
// a package.json naming the external dependencies at our versions and the cache writer as its
// gcp-build, a zip any unzip reads (and byte-identical on rebuild), and a cold load that registers
// the function with the functions-framework the runtime would load.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { buildFunctionBundles, crc32, EXTERNAL_DEPENDENCIES, findStageEntries, FUNCTIONS_FRAMEWORK, PACKAGE_FILES, writeCodeCache, type BuiltBundle } from '../../scripts/build-functions';
import { omitModulesPlugin } from '../../scripts/function-package/omitted-modules';
import { CODE_CACHE_STATUS } from '../../scripts/function-package/package-layout';
import { formatTable, LOAD_GOAL_MS, measureBundles } from '../../scripts/measure-bundles';

const ROOT = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'sluice-bundles-'));
const outDir = join(scratch, 'dist', 'functions');
let built: BuiltBundle[] = [];

beforeAll(async () => {
  // A stand-in for functions/<stage>/main.ts: registers under the stage name and pulls in shared code and zod.
  const entry = join(scratch, 'fetch-main.ts');
  writeFileSync(entry, [
    `import * as ff from '${FUNCTIONS_FRAMEWORK}';`,
    `import { parseRuntimeConfig } from '${join(ROOT, 'shared', 'runtime-config')}';`,
    'const config = parseRuntimeConfig(process.env);',
    "ff.http('fetch', (_req, res) => { res.send(`${config.SLUICE_STAGE} ${import.meta.url.startsWith('file:')}`); });",
    '',
  ].join('\n'));
  built = await buildFunctionBundles({ root: ROOT, outDir, entries: [{ stage: 'fetch', entry }] });
}, 60_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('build-functions', () => {
  it('writes the loader, the bundle, the cache writer, package.json and a zip per stage', () => {
    expect(built).toEqual([expect.objectContaining({ stage: 'fetch', dir: join(outDir, 'fetch'), zip: join(outDir, 'fetch.zip') })]);
    const code = readFileSync(join(outDir, 'fetch', 'stage.js'), 'utf8');
    expect(code).toContain(`require("${FUNCTIONS_FRAMEWORK}")`);
    expect(code).not.toMatch(/require\("zod"\)/); // everything else is bundled
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: few, very long lines
    const pkg = JSON.parse(readFileSync(join(outDir, 'fetch', 'package.json'), 'utf8'));
    const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('index.js');
    expect(pkg.type).toBeUndefined(); // CommonJS
    expect(pkg.scripts).toEqual({ 'gcp-build': 'node write-code-cache.js' });
    expect(pkg.dependencies).toEqual(Object.fromEntries(EXTERNAL_DEPENDENCIES.map((name) => [name, ours.dependencies[name]])));
    // npm run build wrote a cache for this Node.js; it is not part of the deployed zip.
    expect(built[0]!.cacheBytes).toBeGreaterThan(0);
  });

  it('zips the package readably, with correct CRCs, byte-identical on rebuild', async () => {
    const zip = join(outDir, 'fetch.zip');
    const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual([...PACKAGE_FILES].sort());
    execFileSync('unzip', ['-tq', zip]); // throws on a CRC or format error
    expect(execFileSync('unzip', ['-p', zip, 'stage.js'])).toEqual(readFileSync(join(outDir, 'fetch', 'stage.js')));
    const first = readFileSync(zip);
    await buildFunctionBundles({ root: ROOT, outDir, entries: [{ stage: 'fetch', entry: join(scratch, 'fetch-main.ts') }] });
    expect(readFileSync(zip).equals(first)).toBe(true);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('loads cold and registers the stage with the functions-framework the runtime provides', () => {
    const probe = `
      require(${JSON.stringify(join(outDir, 'fetch', 'index.js'))});
      const { getFunction } = require('${FUNCTIONS_FRAMEWORK}/testing');
      process.stdout.write(typeof getFunction('fetch'));
    `;
    const env = { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), SLUICE_PIPELINE: 'p', SLUICE_STAGE: 'fetch', SLUICE_BUCKET: 'bucket', GOOGLE_CLOUD_PROJECT: 'project' };
    expect(execFileSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' })).toBe('function');
  });

  describe('code cache', () => {
    // Loads the package in a fresh process and reports what the loader did with the cache and
    // whether the stage registered.
    function loadStatus(extraEnv: Record<string, string> = {}): { status: string; registered: string; stdout: string } {
      const probe = `
        require(${JSON.stringify(join(outDir, 'fetch', 'index.js'))});
        const { getFunction } = require('${FUNCTIONS_FRAMEWORK}/testing');
        process.stdout.write(JSON.stringify({ status: globalThis[Symbol.for(${JSON.stringify(CODE_CACHE_STATUS.description)})], registered: typeof getFunction('fetch') }));
      `;
      const env = { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), SLUICE_PIPELINE: 'p', SLUICE_STAGE: 'fetch', SLUICE_BUCKET: 'bucket', GOOGLE_CLOUD_PROJECT: 'project', ...extraEnv };
      const stdout = execFileSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
      const last = stdout.trim().split('\n').pop()!;
      return { ...(JSON.parse(last) as { status: string; registered: string }), stdout };
    }
    const cacheFile = join(outDir, 'fetch', 'stage.cache');

    it('is accepted when written by this Node.js for this bundle', () => {
      expect(loadStatus()).toMatchObject({ status: 'accepted', registered: 'function' });
    });

    it('can be switched off', () => {
      expect(loadStatus({ SLUICE_CODE_CACHE: 'off' })).toMatchObject({ status: 'off', registered: 'function' });
    });

    it('is written under the heap flag the buildpack will start the function with', () => {
      // GOOGLE_CONTAINER_MEMORY_HINT_MB=576 at build → NODE_OPTIONS=--max-old-space-size=512 at run time;
      // V8 rejects a cache made under other flags.
      try {
        writeCodeCache(ROOT, join(outDir, 'fetch'), { GOOGLE_CONTAINER_MEMORY_HINT_MB: '576' });
        expect(loadStatus({ NODE_OPTIONS: '--max-old-space-size=512' })).toMatchObject({ status: 'accepted', registered: 'function' });
        expect(loadStatus()).toMatchObject({ status: 'rejected', registered: 'function' });
      } finally {
        writeCodeCache(ROOT, join(outDir, 'fetch'));
      }
      expect(loadStatus()).toMatchObject({ status: 'accepted' });
    });

    it('when missing or rejected, the stage still loads; a rejection is logged', () => {
      const good = readFileSync(cacheFile);
      try {
        rmSync(cacheFile);
        expect(loadStatus()).toMatchObject({ status: 'absent', registered: 'function' });
        // V8 checks a cache against the source and its own version; a damaged one is what another
        // Node.js's cache looks like to it.
        const damaged = Buffer.from(good);
        damaged.fill(0x5a, 0, 64);
        writeFileSync(cacheFile, damaged);
        const rejected = loadStatus();
        expect(rejected).toMatchObject({ status: 'rejected', registered: 'function' });
        const warning = JSON.parse(rejected.stdout.split('\n').find((line) => line.includes('code cache rejected'))!);
        expect(warning).toMatchObject({ severity: 'WARNING', node: process.version });
      } finally {
        writeFileSync(cacheFile, good);
      }
    });
  });

  it('leaves out the static protobuf modules only re-exported for TypeScript', async () => {
    // A stand-in for the pubsub package: an index that re-exports its generated static module.
    const pkg = join(scratch, 'omit', 'node_modules', '@google-cloud', 'pubsub');
    mkdirSync(join(pkg, 'build', 'protos'), { recursive: true });
    mkdirSync(join(pkg, 'build', 'src'), { recursive: true });
    writeFileSync(join(pkg, 'build', 'protos', 'protos.js'), 'module.exports = { google: { marker: "STATIC_PROTOS_BODY" } };');
    writeFileSync(join(pkg, 'build', 'src', 'index.js'), 'exports.protos = require("../protos/protos"); exports.ok = true;');
    const entry = join(scratch, 'omit', 'entry.js');
    writeFileSync(entry, `const p = require(${JSON.stringify(join(pkg, 'build', 'src', 'index.js'))}); module.exports = p.ok;`);
    const result = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'cjs', plugins: [omitModulesPlugin()], logLevel: 'silent' });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toContain('STATIC_PROTOS_BODY');
    expect(code).toContain('exports2.ok = true'); // the rest of the package stays
  });

  it('finds only functions/<stage>/main.ts entry points', () => {
    const root = join(scratch, 'repo');
    mkdirSync(join(root, 'functions', 'fetch'), { recursive: true });
    mkdirSync(join(root, 'functions', 'runtime'), { recursive: true });
    writeFileSync(join(root, 'functions', 'fetch', 'main.ts'), '');
    writeFileSync(join(root, 'functions', 'fetch', 'stage.ts'), '');
    writeFileSync(join(root, 'functions', 'stages.ts'), '');
    expect(findStageEntries(root)).toEqual([{ stage: 'fetch', entry: join(root, 'functions', 'fetch', 'main.ts') }]);
  });
});

describe('measure-bundles', () => {
  it('reports size and a cold load time per bundle', async () => {
    const results = await measureBundles({ root: ROOT, bundleDir: outDir, runs: 3 });
    expect(results).toHaveLength(1);
    const [fetch] = results;
    expect(fetch).toMatchObject({ stage: 'fetch', bytes: built[0]!.bytes, zipBytes: built[0]!.zipBytes, cacheStatus: 'accepted' });
    // Not compared with the build's figure: an earlier test rebuilt, and a cache's size varies slightly.
    expect(fetch!.cacheBytes).toBeGreaterThan(0);
    expect(fetch!.samplesMs).toHaveLength(3);
    expect(fetch!.uncachedSamplesMs).toHaveLength(3);
    expect(fetch!.loadMs).toBeGreaterThan(0);
    expect(fetch!.uncachedLoadMs).toBeGreaterThan(0);
    // A bundle this small is far under the goal even on a busy machine.
    expect(fetch!.loadMs).toBeLessThan(LOAD_GOAL_MS);
    expect(formatTable(results)).toMatch(/^stage\s+stage\.js\s+zip\s+code cache\s+cold load/);
  });
});
