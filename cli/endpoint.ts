// Where the ops API is and which token to send. In order: --api / SLUICE_API_URL (a deployment;
// the token from --token / SLUICE_TOKEN, an ID token for the ops function's URL), else the local
// cloud's discovery file `.sluice/ops.json` (written by `npm start` / `npm run emulator`), looked
// for from the working directory upwards — so while the local cloud runs, no flag is needed.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from './exit-codes';

export interface Endpoint {
  url: string;
  token?: string;
  // Where the URL came from, for error messages ("… at http://127.0.0.1:4000 (from .sluice/ops.json)").
  source: string;
}

const opsFileSchema = z.object({ url: z.string().url(), token: z.string().min(1), dashboard: z.string().optional() });
export const OPS_FILE = path.join('.sluice', 'ops.json');

export function findOpsFile(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, OPS_FILE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function resolveEndpoint(flags: { api?: string; token?: string }, env: NodeJS.ProcessEnv, cwd: string): Endpoint {
  const api = flags.api ?? (env.SLUICE_API_URL || undefined);
  if (api !== undefined) {
    const token = flags.token ?? (env.SLUICE_TOKEN || undefined);
    if (!/^https?:\/\//.test(api)) throw new CliError(`--api must be an http(s) URL, got "${api}"`, EXIT.usage);
    return { url: api.replace(/\/+$/, ''), token, source: flags.api !== undefined ? '--api' : 'SLUICE_API_URL' };
  }
  const file = findOpsFile(cwd);
  if (file === undefined) {
    throw new CliError('no ops API to talk to: start the local cloud with `npm start` (it writes .sluice/ops.json), or pass --api URL (or set SLUICE_API_URL)', EXIT.usage);
  }
  let parsed;
  try {
    parsed = opsFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    throw new CliError(`${file} is not JSON (${(error as Error).message}): restart \`npm start\` or pass --api URL`, EXIT.usage);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${file}: ${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`, EXIT.usage);
  }
  // SLUICE_TOKEN goes with SLUICE_API_URL (a deployment's ID token): the local API takes its own
  // dev token, or an explicit --token (to try a viewer's, say).
  return { url: parsed.data.url.replace(/\/+$/, ''), token: flags.token ?? parsed.data.token, source: path.relative(cwd, file) || file };
}
