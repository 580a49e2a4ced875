// Compiles and runs a stage bundle (stage.js) the way require() would, but through vm.Script so a V8
// code cache can be handed in and taken out. Why: a cold start spends most of its module-load time
// having V8 parse and compile ~4 MB of bundled client libraries; with a cache made from the same
// bundle by the same Node.js build, V8 skips that work. Shared by the function's loader (index.js)
// and the cache writer run at deploy-build time (write-code-cache.js).
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

// What happened to the cache on this load; the loader publishes it for logs and the benchmark.
export type CodeCacheStatus = 'accepted' | 'rejected' | 'absent' | 'off';

export interface CompiledStage {
  script: vm.Script;
  status: CodeCacheStatus;
  // Runs the bundle with `module` as its CommonJS module, so its exports become the caller's.
  run(module: { exports: unknown }): void;
}

export interface CompileOptions {
  file: string;
  // Undefined: compile without a cache.
  cachedData?: Buffer;
  // Set when the caller chose not to use a cache at all (SLUICE_CODE_CACHE=off).
  off?: boolean;
}

export function compileStage(options: CompileOptions): CompiledStage {
  const { file } = options;
  // Module.wrap gives the same (exports, require, module, __filename, __dirname) function require()
  // builds, so the bundle cannot tell the difference.
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    ...(options.cachedData ? { cachedData: options.cachedData } : {}),
  });
  const status: CodeCacheStatus = options.off ? 'off' : !options.cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return {
    script,
    status,
    run(module) {
      const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
      // require resolves from the bundle's own directory: its package's node_modules, then NODE_PATH.
      wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
    },
  };
}
