import { defineConfig } from 'vitest/config';

// One local cloud per test run (test/global-setup.ts); test files isolate themselves by unique
// name prefixes, so they may run in parallel against it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Fails a test file that connects anywhere but loopback (the project's rule for tests).
    setupFiles: ['test/support/loopback-only.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
  },
});
