#!/usr/bin/env node
// `npx sluice …` in a clone: runs the TypeScript CLI (cli/main.ts) through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
const code = await runCli(process.argv.slice(2), { streams: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }, env: process.env, cwd: process.cwd() });
process.exit(code);
