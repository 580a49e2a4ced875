// `npm run build`: one package per stage function, so a cold start loads only what that stage needs.
// For each `functions/<stage>/main.ts` it writes dist/functions/<stage>/ and dist/functions/<stage>.zip,
// which infra/ uploads and deploys. The ops function (functions/ops/main.ts: the ops API and the
// dashboard, entry point "ops") is packaged the same way, as dist/functions/ops.zip. A package holds (names in function-package/package-layout.ts):
//   stage.js            the esbuild bundle of the stage and everything it imports;
//   index.js            the loader ("main"): runs stage.js with a V8 code cache when one is valid;
//   write-code-cache.js writes that cache; package.json runs it as "gcp-build", so the deploy build
//                       makes it with the Node.js the function runs on;
//   package.json        the dependencies left external.
// `npm run build` also writes stage.cache here for the local Node.js (not into the zip: the cache is
// only valid for the exact Node.js build that made it, and it is not byte-stable across builds).
//
// The bundle is CommonJS: the Cloud Functions Node.js runtime starts `functions-framework
// --target=<stage>` and loads the package's `main` with require() unless package.json says
// "type": "module"; CJS needs neither that nor top-level await support.
// External, and dependencies of the deployed package:
// - @google-cloud/functions-framework: the runtime's copy owns the registry that --target is looked
//   up in, and a second bundled copy would register into one nobody reads.
// - @google-cloud/secret-manager: deployed functions get their secrets as environment variables
//   (secretEnvironmentVariables); the client is a fallback loaded on first use, so bundling it would
//   only make every cold start parse 0.7 MB it never runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build, type BuildOptions as EsbuildOptions } from 'esbuild';
import { omitModulesPlugin } from './function-package/omitted-modules';
import { CACHE_WRITER_FILE, CODE_CACHE_FILE, LOADER_FILE, STAGE_BUNDLE_FILE } from './function-package/package-layout';

export const FUNCTIONS_FRAMEWORK = '@google-cloud/functions-framework';
export const EXTERNAL_DEPENDENCIES = [FUNCTIONS_FRAMEWORK, '@google-cloud/secret-manager'] as const;

// Optional native add-ons some dependencies try to load inside try/catch; they are not installed
// and the pure-JS fallbacks are what runs, so they stay unresolved instead of failing the build.
const OPTIONAL_NATIVE = ['pg-native', 'cpu-features', '*.node'];

// The files that make up a deployed package, in zip order.
export const PACKAGE_FILES = [LOADER_FILE, STAGE_BUNDLE_FILE, CACHE_WRITER_FILE, 'package.json'] as const;

// Files a package carries besides its code, by function: the ops function serves the dashboard's
// static files (functions/ops/dashboard/*.html|css|js) from <package>/dashboard/. Copied as they are,
// in name order, into the package directory and its zip.
export const PACKAGE_ASSETS: Readonly<Record<string, { from: string; to: string; match: RegExp }>> = {
  ops: { from: join('functions', 'ops', 'dashboard'), to: 'dashboard', match: /\.(html|css|js)$/ },
};

function copyPackageAssets(root: string, stage: string, dir: string): Array<{ name: string; data: Buffer }> {
  const assets = PACKAGE_ASSETS[stage];
  const from = assets && join(root, assets.from);
  if (!assets || !from || !existsSync(from)) return [];
  mkdirSync(join(dir, assets.to), { recursive: true });
  return readdirSync(from)
    .filter((name) => assets.match.test(name) && statSync(join(from, name)).isFile())
    .sort()
    .map((name) => {
      const data = readFileSync(join(from, name));
      writeFileSync(join(dir, assets.to, name), data);
      return { name: `${assets.to}/${name}`, data };
    });
}

export interface StageEntry {
  stage: string;
  entry: string;
}

export interface BuiltBundle {
  stage: string;
  dir: string;
  zip: string;
  // Size of stage.js, the bundle itself.
  bytes: number;
  zipBytes: number;
  // Size of the code cache written for this machine's Node.js; null when writing it was skipped.
  cacheBytes: number | null;
}

export interface BuildOptions {
  // Repository root: where package.json and node_modules are.
  root: string;
  // Output directory; default <root>/dist/functions.
  outDir?: string;
  // Default: every functions/<stage>/main.ts under root.
  entries?: StageEntry[];
  // A pipeline the bundles define: the cache writer starts the stage up with it. Default: the first
  // one in pipelines/index.ts.
  warmupPipeline?: string;
  // Write stage.cache for this machine's Node.js (default true).
  writeCodeCache?: boolean;
}

export function findStageEntries(root: string): StageEntry[] {
  const functionsDir = join(root, 'functions');
  if (!existsSync(functionsDir)) return [];
  return readdirSync(functionsDir)
    .filter((name) => statSync(join(functionsDir, name)).isDirectory() && existsSync(join(functionsDir, name, 'main.ts')))
    .sort()
    .map((stage) => ({ stage, entry: join(functionsDir, stage, 'main.ts') }));
}

function externalVersions(root: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const versions: Record<string, string> = {};
  for (const name of EXTERNAL_DEPENDENCIES) {
    const version = pkg.dependencies?.[name];
    if (!version) throw new Error(`${name} is not a dependency in ${join(root, 'package.json')}`);
    versions[name] = version;
  }
  return versions;
}

async function firstPipelineName(root: string): Promise<string> {
  const { pipelines } = (await import(pathToFileURL(join(root, 'pipelines', 'index.ts')).href)) as { pipelines: ReadonlyArray<{ name: string }> };
  const first = pipelines[0];
  if (!first) throw new Error('pipelines/index.ts defines no pipeline: the code cache writer needs one to start a stage');
  return first.name;
}

const COMMON: EsbuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  // The bundle runs through vm.Script (function-package/compile-stage.ts), which has no dynamic
  // import() hook; CommonJS require() does the same job for a lazily loaded dependency.
  supported: { 'dynamic-import': false },
  logLevel: 'silent',
};

export async function buildFunctionBundles(options: BuildOptions): Promise<BuiltBundle[]> {
  const root = resolve(options.root);
  const outDir = resolve(options.outDir ?? join(root, 'dist', 'functions'));
  const entries = options.entries ?? findStageEntries(root);
  const dependencies = externalVersions(root);
  const warmupPipeline = options.warmupPipeline ?? (await firstPipelineName(root));
  const packageDir = join(dirname(fileURLToPath(import.meta.url)), 'function-package');
  const built: BuiltBundle[] = [];
  for (const { stage, entry } of entries) {
    const dir = join(outDir, stage);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const result = await build({
      ...COMMON,
      entryPoints: [entry],
      outfile: join(dir, STAGE_BUNDLE_FILE),
      external: [...EXTERNAL_DEPENDENCIES, ...OPTIONAL_NATIVE],
      nodePaths: [join(root, 'node_modules')],
      plugins: [omitModulesPlugin()],
      // ESM sources may use import.meta.url; in a CJS bundle it is derived from __filename.
      define: { 'import.meta.url': '__sluiceImportMetaUrl' },
      banner: { js: 'var __sluiceImportMetaUrl=require("node:url").pathToFileURL(__filename).href;' },
    });
    for (const warning of result.warnings) {
      console.warn(JSON.stringify({ severity: 'WARNING', message: 'esbuild warning', stage, text: warning.text, file: warning.location?.file }));
    }
    await build({ ...COMMON, entryPoints: [join(packageDir, 'stage-loader.ts')], outfile: join(dir, LOADER_FILE) });
    await build({
      ...COMMON,
      entryPoints: [join(packageDir, 'write-code-cache.ts')],
      outfile: join(dir, CACHE_WRITER_FILE),
      define: { __SLUICE_WARMUP__: JSON.stringify({ stage, pipeline: warmupPipeline }) },
    });
    const packageJson = {
      name: `sluice-${stage}`,
      version: '1.0.0',
      private: true,
      description: `Sluice ${stage} stage function (generated by scripts/build-functions.ts)`,
      main: LOADER_FILE,
      engines: { node: '>=20' },
      // Google's Node.js buildpack runs this after `npm install`, with the runtime's own Node.js.
      scripts: { 'gcp-build': `node ${CACHE_WRITER_FILE}` },
      dependencies,
    };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
    const files = [...PACKAGE_FILES.map((name) => ({ name, data: readFileSync(join(dir, name)) })), ...copyPackageAssets(root, stage, dir)];
    const zip = join(outDir, `${stage}.zip`);
    writeZip(zip, files);
    const cacheBytes = options.writeCodeCache === false ? null : writeCodeCache(root, dir);
    built.push({ stage, dir, zip, bytes: statSync(join(dir, STAGE_BUNDLE_FILE)).size, zipBytes: statSync(zip).size, cacheBytes });
  }
  return built;
}

// Runs the package's own cache writer, as the deploy build does, resolving the external dependencies
// from our node_modules.
export function writeCodeCache(root: string, dir: string, env: Record<string, string> = {}): number {
  rmSync(join(dir, CODE_CACHE_FILE), { force: true });
  execFileSync(process.execPath, [join(dir, CACHE_WRITER_FILE)], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: join(root, 'node_modules'), ...env },
    // Its JSON lines (cache written, or why not) are part of the build's output.
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 60_000,
  });
  const cache = join(dir, CODE_CACHE_FILE);
  // The writer never fails a deploy build; here a missing cache is worth stopping for.
  if (!existsSync(cache)) throw new Error(`no code cache was written in ${dir}; the writer's warning above says why`);
  return statSync(cache).size;
}

// A minimal deterministic zip writer (deflate, fixed timestamps): identical inputs give an identical
// zip, so an unchanged bundle keeps its content hash and its functions are not redeployed.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function zipBuffer(files: ReadonlyArray<{ name: string; data: Buffer }>): Buffer {
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest a zip can say
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const compressed = deflateRawSync(file.data, { level: 9 });
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, directory, end]);
}

export function writeZip(path: string, files: ReadonlyArray<{ name: string; data: Buffer }>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, zipBuffer(files));
}

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const entries = findStageEntries(root);
  if (entries.length === 0) {
    console.error(JSON.stringify({ severity: 'ERROR', message: 'no functions/<stage>/main.ts entry points to bundle' }));
    process.exitCode = 1;
    return;
  }
  const built = await buildFunctionBundles({ root, entries });
  for (const bundle of built) {
    console.log(JSON.stringify({ severity: 'INFO', message: 'bundle written', stage: bundle.stage, bytes: bundle.bytes, zipBytes: bundle.zipBytes, cacheBytes: bundle.cacheBytes, zip: bundle.zip }));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(JSON.stringify({ severity: 'ERROR', message: 'build failed', error: error instanceof Error ? error.message : String(error) }));
    process.exitCode = 1;
  });
}
