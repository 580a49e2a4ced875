// index.js of a deployed stage function: loads the stage bundle (stage.js) with the V8 code cache
// (stage.cache) that the deploy build wrote for this very Node.js (package.json "gcp-build"). A
// missing cache costs only speed; a rejected one (another Node.js or V8 flags) is logged once, since
// it means every cold start compiles from source again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileStage } from './compile-stage';
import { CODE_CACHE_FILE, CODE_CACHE_STATUS, STAGE_BUNDLE_FILE } from './package-layout';

const file = join(__dirname, STAGE_BUNDLE_FILE);
const cacheFile = join(__dirname, CODE_CACHE_FILE);
const off = process.env.SLUICE_CODE_CACHE === 'off';
const cachedData = !off && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
const compiled = compileStage({ file, off, ...(cachedData ? { cachedData } : {}) });
(globalThis as Record<symbol, unknown>)[CODE_CACHE_STATUS] = compiled.status;
if (compiled.status === 'rejected') {
  process.stdout.write(`${JSON.stringify({ severity: 'WARNING', message: 'V8 code cache rejected: compiling the stage bundle from source', cache: cacheFile, node: process.version })}\n`);
}
compiled.run(module);
