// Stores a secret's next value: an OAuth refresh token Google rotated (the runtime), or the one
// `npm run auth` obtained. Where it goes follows where the reader reads: the local secrets directory
// in the local cloud, Secret Manager otherwise. Never logs or quotes the value.
import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError, TransientError } from '../../shared/errors';

export interface SecretWriter {
  write(name: string, value: string): Promise<void>;
  // Printable: where values go ("local secrets directory /x", "Secret Manager project p").
  describe: string;
}

// A secret name is a file name here: shared/config-primitives.ts allows only [a-z0-9-], checked again
// because this writes outside any sandbox.
const SAFE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

// Temp file + rename: a reader (another function of the local cloud) sees the old value or the new
// one, never half a token. 0600 like every file the local cloud writes in that directory.
export function localSecretWriter(secretsDir: string): SecretWriter {
  return {
    describe: `local secrets directory ${secretsDir}`,
    async write(name, value) {
      if (!SAFE_NAME.test(name)) throw new PermanentError(`secret name "${name}" is not a plain secret name`);
      const target = join(secretsDir, name);
      const temp = join(secretsDir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(temp, value, { mode: 0o600, flag: 'wx' });
        // writeFile's mode is filtered by the umask; the value is a credential.
        await chmod(temp, 0o600);
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw new PermanentError(`secret "${name}" could not be written to the local secrets directory (${(error as { code?: string }).code ?? 'error'})`);
      }
    },
  };
}

// A new version, `latest` from then on (the reader reads `latest`). The previous version is left
// enabled: disabling it needs a second, wider grant (secretVersionManager rather than
// secretVersionAdder), and a function instance that started before the rotation still holds the old
// value in its environment until it refreshes; Google keeps the old refresh token valid for a while
// after rotating anyway. Old versions can be disabled or destroyed by hand or by a rotation policy.
export function secretManagerWriter(projectId: string): SecretWriter {
  return {
    describe: `Secret Manager in project ${projectId}`,
    async write(name, value) {
      if (!SAFE_NAME.test(name)) throw new PermanentError(`secret name "${name}" is not a plain secret name`);
      const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
      const client = new SecretManagerServiceClient();
      try {
        await client.addSecretVersion({ parent: `projects/${projectId}/secrets/${name}`, payload: { data: Buffer.from(value, 'utf8') } });
      } catch (error) {
        const code = (error as { code?: number }).code;
        // NOT_FOUND / PERMISSION_DENIED / FAILED_PRECONDITION (secret disabled) will not heal by retrying.
        if (code === 5 || code === 7 || code === 9) throw new PermanentError(`secret "${name}" cannot be written (grpc code ${code}): the function needs roles/secretmanager.secretVersionAdder on it`);
        throw new TransientError(`secret "${name}" could not be written right now (grpc code ${code ?? 'none'})`);
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  };
}

export function secretWriterFor(options: { secretsDir?: string; projectId: string }): SecretWriter {
  return options.secretsDir ? localSecretWriter(options.secretsDir) : secretManagerWriter(options.projectId);
}
