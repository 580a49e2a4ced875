// The NAME=value lines the emulator CLI prints and writes to .sluice/emulator.env, so a shell
// (`set -a; . .sluice/emulator.env`), npm scripts and tests all find the same endpoints.
import fs from 'node:fs';
import path from 'node:path';

const NAME = /^[A-Z_][A-Z0-9_]*$/;

export function formatEnvLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!NAME.test(name)) throw new Error(`not an environment variable name: ${name}`);
      if (/[\r\n]/.test(value)) throw new Error(`${name}: a value cannot span lines`);
      return `${name}=${value}\n`;
    })
    .join('');
}

export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at <= 0) continue;
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return env;
}

/** Written atomically and readable by the owner only: the lines include DATABASE_URL with its password. */
export function writeEnvFile(file: string, env: Record<string, string>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, formatEnvLines(env), { mode: 0o600 });
  fs.renameSync(temp, file);
}

export function readEnvFile(file: string): Record<string, string> {
  return parseEnvLines(fs.readFileSync(file, 'utf8'));
}
