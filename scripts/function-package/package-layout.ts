// File names inside a built stage package (dist/functions/<stage>/), shared by the build script, the
// loader, the cache writer and the benchmark.
export const LOADER_FILE = 'index.js';
export const STAGE_BUNDLE_FILE = 'stage.js';
export const CODE_CACHE_FILE = 'stage.cache';
export const CACHE_WRITER_FILE = 'write-code-cache.js';
// Where the loader records what happened to the cache (read by the benchmark's probe).
export const CODE_CACHE_STATUS = Symbol.for('sluice.codeCacheStatus');
