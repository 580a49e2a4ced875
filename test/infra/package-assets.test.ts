// The ops package carries the dashboard's static files: the build copies functions/ops/dashboard's
// html/css/js into <package>/dashboard/ and into the zip, and nothing else of that folder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFunctionBundles, FUNCTIONS_FRAMEWORK, PACKAGE_FILES } from '../../scripts/build-functions';

const ROOT = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'sluice-assets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('package assets', () => {
  it('copies the dashboard files into the ops package and its zip', async () => {
    copyFileSync(join(ROOT, 'package.json'), join(scratch, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    const dashboard = join(scratch, 'functions', 'ops', 'dashboard');
    mkdirSync(dashboard, { recursive: true });
    writeFileSync(join(dashboard, 'index.html'), '<!doctype html><title>ops</title>');
    writeFileSync(join(dashboard, 'app.js'), 'export {};');
    writeFileSync(join(dashboard, 'serve-dashboard.ts'), '// source, bundled, not copied');
    const entry = join(scratch, 'ops-main.ts');
    writeFileSync(entry, `import * as ff from '${FUNCTIONS_FRAMEWORK}';\nff.http('ops', (_req, res) => { res.send('ok'); });\n`);
    const [built] = await buildFunctionBundles({ root: scratch, outDir: join(scratch, 'dist'), entries: [{ stage: 'ops', entry }], warmupPipeline: 'p', writeCodeCache: false });
    expect(readFileSync(join(built!.dir, 'dashboard', 'index.html'), 'utf8')).toContain('<title>ops</title>');
    const listing = execFileSync('unzip', ['-Z1', built!.zip], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual([...PACKAGE_FILES, 'dashboard/app.js', 'dashboard/index.html'].sort());
  }, 60_000);
});
