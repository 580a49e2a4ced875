// `sluice secrets set <name>`: a secret value for the local cloud's pipelines, kept in
// .sluice/secrets.json (git-ignored, owner-only) by emulator/local-secrets.ts; `npm start` reads it.
// Deployed pipelines read Secret Manager: there, use `gcloud secrets versions add <name> --data-file=-`.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { withExamples, type CommandKit } from '../command-kit';
import { CliError, EXIT } from '../exit-codes';
import { readSecretValue } from '../read-secret';

type SetLocalSecret = (dataDir: string, name: string, value: string) => void;

// The local cloud's data dir: $SLUICE_DATA_DIR, else the nearest .sluice/ from the working directory
// up, else .sluice/ beside the nearest package.json (where `npm start` will make it).
export function localDataDir(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env.SLUICE_DATA_DIR) return path.resolve(cwd, env.SLUICE_DATA_DIR);
  let packageDir: string | undefined;
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.sluice'))) return path.join(dir, '.sluice');
    if (packageDir === undefined && fs.existsSync(path.join(dir, 'package.json'))) packageDir = dir;
    if (path.dirname(dir) === dir) break;
  }
  return path.join(packageDir ?? path.resolve(cwd), '.sluice');
}

// Loaded when used: the CLI's other commands need none of the local cloud's code.
async function loadSetLocalSecret(): Promise<SetLocalSecret> {
  return (await import('../../emulator/local-secrets')).setLocalSecret;
}

export function registerSecrets(program: Command, kit: CommandKit): void {
  const secrets = withExamples(program.command('secrets').description("the local cloud's secret values (deployed: Secret Manager)"), 'sluice secrets set sftp-password');
  kit.run(
    withExamples(
      secrets.command('set').description('set a secret for the local cloud: typed without echo, or piped on stdin; stored in .sluice/secrets.json').argument('<name>'),
      'sluice secrets set sftp-password',
      "printf %s \"$PASSWORD\" | sluice secrets set sftp-password",
    ),
    async (ctx, [name]) => {
      const { stdin, stderr } = ctx.base.streams;
      const value = await readSecretValue(stdin, stderr, `value for ${name!}: `);
      if (value === '') throw new CliError(`no value for secret "${name!}" on stdin`, EXIT.usage);
      const dataDir = localDataDir(ctx.base.env, ctx.base.cwd);
      const setLocalSecret = await loadSetLocalSecret();
      try {
        setLocalSecret(dataDir, name!, value);
      } catch (error) {
        // Its messages name the secret and the file, never the value.
        throw new CliError((error as Error).message, EXIT.usage);
      }
      ctx.out.message(`set secret "${name!}" in ${path.join(path.relative(ctx.base.cwd, dataDir) || '.', 'secrets.json')} (npm start reads it when it starts)`);
    },
  );
}
