// infra/ must run where only @pulumi/* is installed for it: it may read the plain-data definitions
// (shared/, functions/stages.ts, functions/*/stage.ts, pipelines/) but never runtime-only code
// (handlers, functions/runtime, emulator) or a Google client library, pg, ssh2, nodemailer.
// esbuild resolves the real import graph (type-only imports vanish, as they do at run time).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ALLOWED_PACKAGES = new Set(['@pulumi/pulumi', '@pulumi/gcp', 'zod', 'croner']);
// Connector and destination configs, and what each kind needs from the cloud (topology tables), are
// plain data living beside their runtime part.
const ALLOWED_LOCAL = [
  /^infra\//, /^shared\/[^/]+\.ts$/, /^functions\/stages\.ts$/, /^functions\/[^/]+\/stage\.ts$/, /^pipelines\//,
  /^functions\/fetch\/sources\/source-configs\.ts$/, /^functions\/fetch\/sources\/[^/]+\/config\.ts$/,
  /^functions\/notify\/destinations\/destination-configs\.ts$/, /^functions\/notify\/destinations\/[^/]+\/config\.ts$/,
  /^functions\/fetch\/sources\/source-topologies\.ts$/, /^functions\/fetch\/sources\/[^/]+\/topology\.ts$/,
  /^functions\/notify\/destinations\/destination-topologies\.ts$/,
];
const FORBIDDEN_LOCAL = [/^functions\/[^/]+\/handler/, /^functions\/runtime\//, /^emulator\//];
// Plain-data shared modules may only use these (plus node: built-ins).
const SHARED_PACKAGES = new Set(['zod', 'croner']);

interface Violation { file: string; imports: string }

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);

async function importViolations(entryPoints: string[]): Promise<{ violations: Violation[]; locals: string[] }> {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-imports-'));
  try {
    const result = await build({
      entryPoints, absWorkingDir: ROOT, bundle: true, write: false, outdir, platform: 'node', format: 'esm',
      packages: 'external', metafile: true, logLevel: 'silent',
    });
    const violations: Violation[] = [];
    const locals = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, join(ROOT, p)));
    for (const [input, meta] of Object.entries(result.metafile.inputs)) {
      const file = relative(ROOT, join(ROOT, input));
      if (FORBIDDEN_LOCAL.some((re) => re.test(file)) || (!ALLOWED_LOCAL.some((re) => re.test(file)) && !file.startsWith('..'))) {
        violations.push({ file, imports: '(this file itself is not plain data)' });
      }
      for (const imported of meta.imports) {
        if (!imported.external || isBuiltin(imported.path)) continue;
        const allowed = file.startsWith('shared/') ? SHARED_PACKAGES : ALLOWED_PACKAGES;
        if (!allowed.has(packageOf(imported.path))) violations.push({ file, imports: imported.path });
      }
    }
    return { violations, locals };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function infraSources(dir = join(ROOT, 'infra')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return infraSources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'sluice-imports-fixture-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('infra/ import graph', () => {
  it('reaches only plain-data modules and allowed packages', async () => {
    const { violations, locals } = await importViolations(infraSources());
    expect(violations).toEqual([]);
    // Sanity: the graph really was followed into the definitions.
    expect(locals).toContain('pipelines/index.ts');
    expect(locals).toContain('functions/stages.ts');
    expect(locals).toContain('shared/topology.ts');
  });

  it('would catch a runtime-only import', async () => {
    const fixture = join(scratch, 'bad.ts');
    writeFileSync(fixture, "import { PubSub } from '@google-cloud/pubsub';\nimport pg from 'pg';\nexport const x = [PubSub, pg];\n");
    const { violations } = await importViolations([fixture]);
    expect(violations.map((v) => v.imports).sort()).toEqual(['@google-cloud/pubsub', 'pg']);
  });
});
