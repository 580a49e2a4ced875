// The local cloud's stand-in for Secret Manager's values of a user's own pipelines: one JSON object
// in `<data dir>/secrets.json` (.sluice/secrets.json: git-ignored, mode 0600), secret name → value,
// written by `npx sluice secrets set <name>` (setLocalSecret) or by hand. `npm start` and
// `npm run emulator` read it and give each listed pipeline the secrets it declares; a declared secret
// with no value is named at start-up, before any run (missingSecrets), not when a stage first reads it.
//
// A value that is exactly `${NAME}` stands for one of the local cloud's own values, known only once
// it runs (its ports change every start): DATABASE_URL, SMTP_URL, SFTP_PASSWORD and the other names
// of .sluice/emulator.env (resolveLocalValues).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { secretRef } from '../shared/config-primitives';
import type { Pipeline } from '../shared/pipeline-definition';

export const LOCAL_SECRETS_FILE_NAME = 'secrets.json';

const secretName = secretRef.shape.secret;
const secretsFileSchema = z.record(secretName, z.string());

export function localSecretsFile(dataDir: string): string {
  return path.join(dataDir, LOCAL_SECRETS_FILE_NAME);
}

// {} when the file does not exist yet. A file that is not a JSON object of name → string is refused
// naming the file and the entry, never echoing a value.
export function readLocalSecrets(dataDir: string): Record<string, string> {
  const file = localSecretsFile(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON: it must be one object of secret name → value`);
  }
  const parsed = secretsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `entry "${issue.path.map(String).join('.')}"` : 'the file';
    throw new Error(`${file}: ${where}: ${issue.code === 'invalid_key' ? 'secret names are lower-case letters, digits and -' : 'must be one object of secret name → string value'}`);
  }
  return parsed.data;
}

function writeLocalSecrets(dataDir: string, values: Record<string, string>): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = localSecretsFile(dataDir);
  // Atomic and owner-only: the values are passwords; a crash mid-write leaves the old file whole.
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(values, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
  fs.chmodSync(file, 0o600);
}

export function setLocalSecret(dataDir: string, name: string, value: string): void {
  const checked = secretName.safeParse(name);
  if (!checked.success) throw new Error(`invalid secret name "${name}": secret names are lower-case letters, digits and -`);
  writeLocalSecrets(dataDir, { ...readLocalSecrets(dataDir), [name]: value });
}

// True when there was a value to remove.
export function deleteLocalSecret(dataDir: string, name: string): boolean {
  const values = readLocalSecrets(dataDir);
  if (!(name in values)) return false;
  delete values[name];
  writeLocalSecrets(dataDir, values);
  return true;
}

const LOCAL_VALUE = /^\$\{([A-Z][A-Z0-9_]*)\}$/;

// Replaces each `${NAME}` value by the local cloud's value of that name; an unknown name is refused
// naming the secret and the names there are.
export function resolveLocalValues(values: Record<string, string>, local: Record<string, string>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const reference = LOCAL_VALUE.exec(value)?.[1];
    if (reference === undefined) {
      resolved[name] = value;
      continue;
    }
    const localValue = local[reference];
    if (localValue === undefined) throw new Error(`secret "${name}" is \${${reference}}, which the local cloud does not have (it has: ${Object.keys(local).sort().join(', ')})`);
    resolved[name] = localValue;
  }
  return resolved;
}

export interface MissingSecret {
  pipeline: string;
  secret: string;
}

// Every secret a listed pipeline declares (its `secrets`, which lists every reference in it) that has
// no value, in list order.
export function missingSecrets(pipelines: readonly Pipeline[], values: Readonly<Record<string, string>>): MissingSecret[] {
  return pipelines.flatMap((pipeline) => pipeline.secrets.filter((secret) => values[secret] === undefined).map((secret) => ({ pipeline: pipeline.name, secret })));
}

export function missingSecretLine(missing: MissingSecret, file: string): string {
  return `sluice: pipeline "${missing.pipeline}" needs secret "${missing.secret}": set it with npx sluice secrets set ${missing.secret}, or in ${file}`;
}
