// Reads a secret by name from, in order: the environment variable Cloud Functions fills from Secret
// Manager (secretEnvironmentVariables), a local secrets directory (the local cloud), or Secret Manager
// itself. Values are cached per instance; none is ever logged or put in an error message, and each is
// handed to the redactor as it is read, so that every sink scrubs it even when a dependency quotes it.
// `rotate` (only for the names in `rotatable`) stores a refresh token Google rotated through a
// SecretWriter and serves it from then on.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError, TransientError } from '../../shared/errors';
import { processRedactor, type Redactor } from '../../shared/redact';
import { secretEnvVarName } from '../../shared/stage-secrets';
import type { SecretReader } from './context';
import { secretWriterFor, type SecretWriter } from './secret-writer';

export interface SecretReaderOptions {
  env: Record<string, string | undefined>;
  secretsDir?: string;
  projectId: string;
  // Only these may be read: the secrets this stage of this pipeline is granted.
  allowed: readonly string[];
  // Where read values are registered; the process's own by default, which the logger, run recorder,
  // mailer and dead-letter publisher all consult.
  redactor?: Redactor;
  // Only these may be written (rotatedSecretsForStage): OAuth refresh tokens the stage reads. Without
  // any, the reader has no `rotate`.
  rotatable?: readonly string[];
  // Where rotated values go; by default the local secrets directory when there is one, else Secret Manager.
  writer?: SecretWriter;
}

export function createSecretReader(options: SecretReaderOptions): SecretReader {
  const cache = new Map<string, Promise<string>>();
  const allowed = new Set(options.allowed);
  const redactor = options.redactor ?? processRedactor;

  async function fromSecretManager(name: string): Promise<string> {
    // Loaded lazily: the local cloud never needs the client.
    const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
    const client = new SecretManagerServiceClient();
    try {
      const [version] = await client.accessSecretVersion({ name: `projects/${options.projectId}/secrets/${name}/versions/latest` });
      const data = version.payload?.data;
      if (data === undefined || data === null) throw new PermanentError(`secret "${name}" has no value`);
      return typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    } catch (error) {
      const code = (error as { code?: number }).code;
      // NOT_FOUND / PERMISSION_DENIED will not heal by retrying.
      if (code === 5 || code === 7) throw new PermanentError(`secret "${name}" cannot be read (grpc code ${code})`);
      throw new TransientError(`secret "${name}" could not be read right now`);
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  async function load(name: string): Promise<string> {
    const fromEnv = options.env[secretEnvVarName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (options.secretsDir) {
      try {
        return (await readFile(join(options.secretsDir, name), 'utf8')).replace(/\r?\n$/, '');
      } catch {
        throw new PermanentError(`secret "${name}" is not in the local secrets directory`);
      }
    }
    return fromSecretManager(name);
  }

  const reader: SecretReader = {
    read(name: string): Promise<string> {
      if (!allowed.has(name)) return Promise.reject(new PermanentError(`secret "${name}" is not granted to this stage`));
      let pending = cache.get(name);
      if (!pending) {
        // Registered before anyone is given the value (a URL's password is registered on its own too).
        pending = load(name).then((value) => {
          redactor.addSecret(value);
          return value;
        });
        // A failed read is not cached: the next attempt tries again.
        pending.catch(() => cache.delete(name));
        cache.set(name, pending);
      }
      return pending;
    },
  };
  const rotatable = new Set(options.rotatable ?? []);
  if (rotatable.size === 0) return reader;
  const writer = options.writer ?? secretWriterFor({ ...(options.secretsDir ? { secretsDir: options.secretsDir } : {}), projectId: options.projectId });
  return {
    ...reader,
    async rotate(name: string, value: string): Promise<void> {
      if (!rotatable.has(name) || !allowed.has(name)) throw new PermanentError(`secret "${name}" may not be written by this stage`);
      // Known to every sink before anything can quote it.
      redactor.addSecret(value);
      await writer.write(name, value);
      cache.set(name, Promise.resolve(value));
    },
  };
}
