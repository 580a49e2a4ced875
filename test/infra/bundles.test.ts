// scripts/build-functions.ts and scripts/measure-bundles.ts on a tiny stage entry: one CJS bundle
// with everything but functions-framework inside, a package.json naming that dependency at our
// version, a zip any unzip reads (and byte-identical on rebuild), and a cold load that registers the
// function with the functions-framework the runtime would load.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctionBundles, crc32, findStageEntries, FUNCTIONS_FRAMEWORK, type BuiltBundle } from '../../scripts/build-functions';
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
  it('writes index.js, package.json and a zip per stage', () => {
    expect(built).toEqual([expect.objectContaining({ stage: 'fetch', dir: join(outDir, 'fetch'), zip: join(outDir, 'fetch.zip') })]);
    const code = readFileSync(join(outDir, 'fetch', 'index.js'), 'utf8');
    expect(code).toContain(`require("${FUNCTIONS_FRAMEWORK}")`);
    expect(code).not.toMatch(/require\("zod"\)/); // everything else is bundled
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: few, very long lines
    const pkg = JSON.parse(readFileSync(join(outDir, 'fetch', 'package.json'), 'utf8'));
    const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('index.js');
    expect(pkg.type).toBeUndefined(); // CommonJS
    expect(pkg.dependencies).toEqual({ [FUNCTIONS_FRAMEWORK]: ours.dependencies[FUNCTIONS_FRAMEWORK] });
  });

  it('zips both files readably, with correct CRCs, byte-identical on rebuild', async () => {
    const zip = join(outDir, 'fetch.zip');
    const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual(['index.js', 'package.json']);
    execFileSync('unzip', ['-tq', zip]); // throws on a CRC or format error
    expect(execFileSync('unzip', ['-p', zip, 'index.js'])).toEqual(readFileSync(join(outDir, 'fetch', 'index.js')));
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
    expect(fetch).toMatchObject({ stage: 'fetch', bytes: built[0]!.bytes, zipBytes: built[0]!.zipBytes });
    expect(fetch!.samplesMs).toHaveLength(3);
    expect(fetch!.loadMs).toBeGreaterThan(0);
    // A bundle this small is far under the goal even on a busy machine.
    expect(fetch!.loadMs).toBeLessThan(LOAD_GOAL_MS);
    expect(formatTable(results)).toMatch(/^stage\s+index\.js\s+zip\s+cold load/);
  });
});
